/**
 * The numa-placement plan: on each host with more than one NUMA cell, each VM's memory and vCPUs on one
 * cell when one holds it, one set-numa job at a time. Pure and stateless: the cool-down comes from
 * snapshot.jobs and the pins Ballast recorded (cooldown.ts), the placement from the VM's numatune and
 * affinity.
 *
 * Per host:
 *   1. a host with one cell (or none reported): nothing to place — one host decision says so;
 *   2. every VM's facts (vm-facts.ts); placements in flight are booked first (cell-book.ts);
 *   3. the other VMs, largest CPU demand first (then memory, then name): where each should be
 *      (choose.ts); a placement is made unless the VM is in its cool-down, the host's maxMovesPerCycle
 *      are used, or its automation is not auto; each one made is booked, so the next sees it;
 *   4. the signal (placed-signal.ts): the VMs placed this cycle and those in flight, with their cells.
 */
import type { ClusterSnapshot, HostView, VmView } from '../../snapshot.js';
import type { ActionOf } from '../../jobs/index.js';
import { publish } from '../policy-signals.js';
import { newestInFlight } from '../newest-in-flight.js';
import { withOverrides } from '../vm-groups.js';
import type { NumaPlacementArgs } from './args.js';
import { CellBook } from './cell-book.js';
import { choosePlacement } from './choose.js';
import { liveJobApplies } from './live-move.js';
import type { NumaPlan } from './decision.js';
import { placementJobTimes } from './cooldown.js';
import { decideVm, gateMove, placeJob, type HostPlan } from './emit.js';
import { numaPlaced, type NumaPlaced } from './placed-signal.js';
import { placementFacts, type PlacementVm } from './vm-facts.js';

export type { NumaDecision, NumaDecisionKind, NumaPlan } from './decision.js';

export function planNumaPlacement(snapshot: ClusterSnapshot, args: NumaPlacementArgs): NumaPlan {
  const out: NumaPlan = { jobs: [], decisions: [] };
  const placed: NumaPlaced[] = [];
  const inFlight = newestInFlight(snapshot.jobs, 'set-numa');
  const placedAt = placementJobTimes(snapshot.jobs);
  const hosts = new Map<string, HostView>(snapshot.hosts.map((h) => [h.hostId, h]));
  const byHost = new Map<string, VmView[]>();
  for (const vm of snapshot.vms) {
    const list = byHost.get(vm.hostId);
    if (list) list.push(vm);
    else byHost.set(vm.hostId, [vm]);
  }
  for (const host of snapshot.hosts) if (!byHost.has(host.hostId)) byHost.set(host.hostId, []);
  for (const hostId of [...byHost.keys()].sort()) {
    const vms = [...(byHost.get(hostId) ?? [])].sort((a, b) => a.name.localeCompare(b.name) || a.uuid.localeCompare(b.uuid));
    planHost(hostId, hosts.get(hostId), vms, args, snapshot, { inFlight, placedAt }, out, placed);
  }
  out.signals = [publish(numaPlaced, placed)];
  return out;
}

function planHost(
  hostId: string,
  host: HostView | undefined,
  vms: VmView[],
  args: NumaPlacementArgs,
  snapshot: ClusterSnapshot,
  jobs: { inFlight: ReadonlyMap<string, ActionOf<'set-numa'>>; placedAt: ReadonlyMap<string, number> },
  out: NumaPlan,
  placed: NumaPlaced[],
): void {
  // 1. nothing to place on a host with one cell (or an unknown host)
  if (!host) {
    for (const vm of vms) out.decisions.push({ vmUuid: vm.uuid, hostId, kind: 'stale', reason: `host ${hostId} is not in the snapshot`, inputs: {} });
    return;
  }
  if (host.numaCells.length <= 1) {
    const cells = host.numaCells.length === 0 ? 'reports no NUMA cells' : 'has one NUMA cell';
    out.decisions.push({ hostId, kind: 'single-cell', reason: `host ${hostId} ${cells}: nothing to place`, inputs: { cells: host.numaCells.length, vms: vms.length } });
    return;
  }
  const knobs = withOverrides(args.host, args.hosts[hostId]);
  const h: HostPlan = { hostId, knobs, book: new CellBook(host, knobs), snapshot, out, placed, moves: 0, placedAt: jobs.placedAt };
  // 2. facts; placements in flight booked first
  const rest: PlacementVm[] = [];
  for (const v of vms.map((vm) => placementFacts(vm, host, args, snapshot.nowMs))) {
    const job = jobs.inFlight.get(v.vm.uuid);
    if (!job) {
      rest.push(v);
      continue;
    }
    // booked only when libvirt will apply it (a job it refuses changes nothing)
    const lands = v.vm.numaTune !== undefined && liveJobApplies(v.vm.numaTune, job);
    if (lands && v.placedCell !== job.cell) h.book.place(v, job.cell);
    placed.push({ hostId, vmUuid: v.vm.uuid, vmName: v.vm.name, cell: job.cell, pcpus: h.book.pcpusOf(job.cell), state: 'in-flight' });
    decideVm(h, v, v.leftAlone ?? { kind: 'in-flight', reason: `a set-numa job to cell ${job.cell} is in flight${lands ? '' : ' (libvirt will refuse it: not booked)'}` });
  }
  // 3. the others, largest first
  rest.sort((a, b) => b.demandPercent - a.demandPercent || b.memoryMiB - a.memoryMiB || a.vm.name.localeCompare(b.vm.name));
  for (const v of rest) {
    if (v.leftAlone) {
      decideVm(h, v, v.leftAlone);
      continue;
    }
    const choice = choosePlacement(v, h.book, knobs);
    const move = choice.move;
    const gate = move ? gateMove(h, v, choice) : undefined;
    if (!move || gate) {
      decideVm(h, v, gate ?? choice);
      continue;
    }
    placeJob(h, v, move, choice.reason);
  }
}
