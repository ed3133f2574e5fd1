/**
 * The cpu-entitlement plan: each VM's CPU weight and cap, per host, each cycle. Pure and stateless:
 * everything comes from the snapshot (collected tunes, affinities, jobs in flight).
 *
 * Per host, in order:
 *   1. every VM as a contender (contenders.ts): the pCPUs it may run on, its vCPUs, its shares now, and
 *      whether the policy sets its tune (automation, state, cpu tune collected, holds);
 *   2. admission (admission.ts): the reservations must fit the host, each NUMA cell and each set of pCPUs
 *      reserving VMs are confined to, after the headroom; one that does not is refused;
 *   3. weights (size-shares.ts): cpu_shares from the `shares` knob, raised so each admitted reservation
 *      holds under full contention; one that cannot be held within maxShares is refused;
 *   4. decisions and jobs (emit.ts): a set-cpu-tune job with the whole target when the collected tune
 *      differs beyond the tolerances and no job to the same target is in flight. A refused VM gets no job.
 */
import type { ClusterSnapshot, HostView, VmView } from '../../snapshot.js';
import type { ActionOf } from '../../jobs/index.js';
import { withOverrides } from '../vm-groups.js';
import type { CpuEntitlementArgs } from './args.js';
import { admitReservations, capacitySets, type AdmissionCandidate } from './admission.js';
import { contendersOf, hostPcpus, type Contender } from './contenders.js';
import type { CpuPlan } from './decision.js';
import { emitVm } from './emit.js';
import { contendedCpuPercent, cpuLimitPercent } from './entitlement.js';
import { cpuBounds, type CpuBound } from '../entitlement-signals.js';
import { publish } from '../policy-signals.js';
import { tunesInFlight } from './in-flight.js';
import { neighboursOf, sizeShares } from './size-shares.js';

export type { CpuDecision, CpuDecisionKind, CpuPlan } from './decision.js';

export function planCpuEntitlement(snapshot: ClusterSnapshot, args: CpuEntitlementArgs): CpuPlan {
  const out: CpuPlan = { jobs: [], decisions: [] };
  const bounds: CpuBound[] = [];
  const inFlight = tunesInFlight(snapshot.jobs);
  const hosts = new Map<string, HostView>(snapshot.hosts.map((h) => [h.hostId, h]));
  const byHost = new Map<string, VmView[]>();
  for (const vm of snapshot.vms) byHost.set(vm.hostId, [...(byHost.get(vm.hostId) ?? []), vm]);
  for (const hostId of [...byHost.keys()].sort()) {
    const vms = [...(byHost.get(hostId) ?? [])].sort((a, b) => a.name.localeCompare(b.name) || a.uuid.localeCompare(b.uuid));
    planHost(hostId, hosts.get(hostId), vms, args, snapshot.nowMs, inFlight, out, bounds);
  }
  out.signals = [publish(cpuBounds, bounds)];
  return out;
}

function planHost(
  hostId: string,
  host: HostView | undefined,
  vms: VmView[],
  args: CpuEntitlementArgs,
  nowMs: number,
  inFlight: ReadonlyMap<string, ActionOf<'set-cpu-tune'>>,
  out: CpuPlan,
  bounds: CpuBound[],
): void {
  const knobs = withOverrides(args.host, args.hosts[hostId]);
  // 1. contenders: who competes where, and whose tune the policy sets
  const all = contendersOf(vms, host, knobs, args, nowMs);
  for (const c of all) bounds.push({ vmUuid: c.vm.uuid, hostId, reservedPercent: c.reservedPercent, limitPercent: cpuLimitPercent(c.knobs.limitPercent, c.vcpus) });
  const running = all.filter((c) => c.running);
  const managed = new Set(running.filter((c) => !c.leftAlone));
  // 2. admission of the reservations against the capacity of the host, its cells and the affinity sets
  const reserving = [...managed].filter((c) => c.reservedPercent > 0);
  const candidates = admissionCandidates(reserving, running);
  const admission = admitReservations(candidates, capacitySets(host ? hostPcpus(host) : [], host?.numaCells ?? [], candidates, knobs.headroomPercent));
  const byUuid = new Map(reserving.map((c) => [c.vm.uuid, c]));
  const refused = new Map<Contender, string>();
  for (const [uuid, why] of admission.refused) {
    const c = byUuid.get(uuid) as Contender;
    refused.set(c, why);
    managed.delete(c);
  }
  // 3. weights: the knob's shares, raised until every admitted reservation holds (or it is refused)
  const admittedInOrder = admission.admitted.map((uuid) => byUuid.get(uuid) as Contender);
  const sizing = sizeShares(running, managed, admittedInOrder, knobs.maxShares);
  for (const [c, why] of sizing.refused) refused.set(c, why);
  // 4. decisions and jobs
  const h = { hostId, knobs, control: args.control, sizing, refused, admitted: new Set(admittedInOrder.filter((c) => !refused.has(c))), inFlight };
  for (const c of all) emitVm(c, h, out);
}

/** The reserving VMs as admission sees them; an incumbent's reservation holds under the weights as collected. */
function admissionCandidates(reserving: readonly Contender[], running: readonly Contender[]): AdmissionCandidate[] {
  const neighbours = neighboursOf(running);
  return reserving.map((c) => {
    const others = (neighbours.get(c) ?? []).reduce((acc, n) => acc + n.currentShares, 0);
    return {
      uuid: c.vm.uuid,
      name: c.vm.name,
      pcpus: c.pcpus,
      reservedPercent: c.reservedPercent,
      incumbent: contendedCpuPercent(c.currentShares, others, c.pcpus.length) >= c.reservedPercent,
    };
  });
}
