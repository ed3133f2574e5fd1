/**
 * The memory-balloon policy's plan: a balloon target per VM each cycle. Pure and stateless: everything
 * (trend, over-reclaim cool-down, warm-up) is derived from the snapshot's windows and clock, and a VM's
 * target in flight from the snapshot's jobs (in-flight.ts).
 *
 * Per VM (assess.ts): grow when unused memory is below minUnused now or will be within the lookahead
 * (used-memory trend × lookahead), when swapping, or to grow back after a release raised faults; release
 * gradually (step-limited, never below used + minUnused) when unused is above maxUnused; otherwise hold.
 * Per host: releases fund the budget; grants are limited by the budget (Σ balloons ≤ budgetMiB) and by
 * host free memory (free − Σ growth ≥ hostFreeFloorMiB) and are given level by level (everyone's
 * minimum, then lean targets, then the rest); a shortfall of lean targets is reclaimed from the VMs with
 * the lowest shares per active page (ESX ρ with the idle tax) down to their floors; what cannot be
 * granted is reported as `starved` rather than squeezed out of another guest.
 *
 * planHost below lists the host's steps in order, one function each, over one working state (host-state.ts):
 * trims.ts, reclaim.ts (deficit, pressure, rebalance), grants.ts (room kept, levels, targets), emit.ts.
 */
import type { ClusterSnapshot, HostView, VmView } from '../../snapshot.js';
import type { MemoryBalloonArgs } from './args.js';
import { assessVm } from './assess.js';
import type { MemoryPlan } from './decision.js';
import { emitHost } from './emit.js';
import { grantLevels, roomForConsumers, setGrowTargets } from './grants.js';
import { accountHost } from './host-state.js';
import { targetsInFlight } from './in-flight.js';
import { hostKnobsFor } from './knobs.js';
import { publish } from '../policy-signals.js';
import { measureDeficit, rebalanceTowardFairShares, reclaimUnderPressure } from './reclaim.js';
import { memoryShortage, type MemoryShortage } from './shortage-signal.js';
import { payTrims } from './trims.js';
import { memoryBounds, type MemoryBounds } from '../entitlement-signals.js';

export type { MemoryDecision, MemoryDecisionKind, MemoryPlan } from './decision.js';

export function planMemoryBalloon(snapshot: ClusterSnapshot, args: MemoryBalloonArgs): MemoryPlan {
  const out: MemoryPlan = { jobs: [], decisions: [] };
  const shortages: MemoryShortage[] = [];
  const bounds: MemoryBounds = { vms: [], hosts: [] };
  const inFlight = targetsInFlight(snapshot.jobs);
  const hosts = new Map<string, HostView>(snapshot.hosts.map((h) => [h.hostId, h]));
  const byHost = new Map<string, VmView[]>();
  for (const vm of snapshot.vms) {
    const list = byHost.get(vm.hostId) ?? [];
    list.push(vm);
    byHost.set(vm.hostId, list);
  }
  for (const hostId of [...byHost.keys()].sort()) {
    const vms = [...(byHost.get(hostId) ?? [])].sort((a, b) => a.name.localeCompare(b.name) || a.uuid.localeCompare(b.uuid));
    const short = planHost(hostId, hosts.get(hostId), vms, args, snapshot.nowMs, inFlight, out, bounds);
    if (short) shortages.push(short);
  }
  // every host's budget and floor, also of hosts without VMs (where VMs could move)
  for (const h of snapshot.hosts) {
    if (bounds.hosts.some((b) => b.hostId === h.hostId)) continue;
    const k = hostKnobsFor(args, h.hostId);
    bounds.hosts.push({ hostId: h.hostId, hostFreeFloorMiB: k.hostFreeFloorMiB, ...(k.budgetMiB !== undefined ? { budgetMiB: k.budgetMiB } : {}) });
  }
  out.signals = [publish(memoryBounds, bounds), ...(shortages.length > 0 ? [publish(memoryShortage, shortages)] : [])];
  return out;
}

/** One host's VMs (sorted by name): decisions and jobs into `out`, and the host's shortage if any. */
function planHost(
  hostId: string,
  host: HostView | undefined,
  vms: VmView[],
  args: MemoryBalloonArgs,
  nowMs: number,
  inFlight: ReadonlyMap<string, number>,
  out: MemoryPlan,
  bounds: MemoryBounds,
): MemoryShortage | undefined {
  const knobs = hostKnobsFor(args, hostId);
  // 0. each VM on its own: left alone, or managed with a wish to grow, release or hold (assess.ts)
  const all = vms.map((vm) => assessVm(vm, host, knobs, args, nowMs, inFlight.get(vm.uuid)));
  // 1. account what is committed (balloons, jobs in flight): the budget and host free memory left
  const h = accountHost(hostId, host, knobs, all);
  bounds.hosts.push({ hostId, hostFreeFloorMiB: knobs.hostFreeFloorMiB, ...(knobs.budgetMiB !== undefined ? { budgetMiB: knobs.budgetMiB } : {}) });
  for (const m of h.managed) {
    bounds.vms.push({ vmUuid: m.vm.uuid, hostId, reservationMiB: m.knobs.reservationMiB, limitMiB: m.limitMiB, demandMiB: m.releaseFloorMiB, committedMiB: m.committedMiB });
  }
  // 2. trims (releases in flight raised back to the floor) are paid from the budget first
  payTrims(h);
  // 3. the growers, and what they lack for their lean targets (the deficit)
  measureDeficit(h);
  // 4. pressure: the deficit is reclaimed from the lowest shares per active page, down to their floors
  reclaimUnderPressure(h);
  // 5. what is still owed to growers below their fair share comes back from the VMs above theirs
  rebalanceTowardFairShares(h);
  // 6. room up to their fair share is kept for VMs that consume but do not ask yet
  const keepMiB = roomForConsumers(h, args.control.lookaheadMs);
  // 7. grants level by level (minimum, lean, rest), shared within a level by water-filling
  grantLevels(h, keepMiB);
  // 8. the growers' targets from their grants
  setGrowTargets(h);
  // 9. decisions, jobs and the host's shortage
  return emitHost(h, out);
}
