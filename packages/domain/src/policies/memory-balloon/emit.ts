/**
 * The host plan's last step (plan.ts): one decision per VM with its kind, reason and inputs, a set-memory
 * job per auto VM whose target changes, and the host's memory shortage (shortage-signal.ts) when a VM was
 * granted less than it needs.
 */
import type { PlannedJob } from '../../snapshot.js';
import type { Managed, Untouched } from './assessment.js';
import type { MemoryDecision, MemoryDecisionKind, MemoryPlan } from './decision.js';
import { fmt, r1 } from '../shared/format.js';
import type { HostState } from './host-state.js';
import type { MemoryShortage } from './shortage-signal.js';

/** What every decision of the host carries besides its VM's own inputs. */
type HostInputs = Record<string, unknown>;

/** Appends the host's decisions and jobs to `out`; returns its shortage, if any VM is starved. */
export function emitHost(h: HostState, out: MemoryPlan): MemoryShortage | undefined {
  const budgetMiB = h.knobs.budgetMiB;
  const hostInputs: HostInputs = {
    hostFreeMiB: r1(h.freeMiB),
    hostFreeFloorMiB: h.knobs.hostFreeFloorMiB,
    budgetMiB: budgetMiB ?? null,
    hostSumBeforeMiB: r1(h.committedSumMiB),
    growWantedMiB: r1(h.growWantedMiB),
    inflightGrowMiB: r1(h.inflightGrowMiB),
    pressure: h.pressure,
  };
  const short: MemoryShortage['shortVms'] = [];
  for (const a of h.all) {
    if (!a.managed) {
      out.decisions.push(untouchedDecision(a, h.hostId, hostInputs));
      continue;
    }
    if (emitManaged(a, h, hostInputs, out) === 'starved') {
      short.push({ vmUuid: a.vm.uuid, vmName: a.vm.name, shortMiB: r1(Math.max(0, a.requestMiB - a.targetMiB)), unusedMiB: r1(a.unusedMiB) });
    }
  }
  if (short.length === 0) return undefined;
  const limitedBy = budgetMiB !== undefined && h.leftBudgetMiB <= h.leftFreeMiB ? 'budget' : 'host-free';
  return { hostId: h.hostId, limitedBy, ...(budgetMiB !== undefined ? { budgetMiB } : {}), shortVms: short };
}

function untouchedDecision(a: Untouched, hostId: string, hostInputs: HostInputs): MemoryDecision {
  return {
    vmUuid: a.vm.uuid,
    hostId,
    kind: a.kind,
    reason: a.reason,
    inputs: { automation: a.automation, accountMiB: r1(a.accountMiB), ...hostInputs },
  };
}

/** A managed VM's decision, and its job when the target changes and automation is auto; returns the kind. */
function emitManaged(m: Managed, h: HostState, hostInputs: HostInputs, out: MemoryPlan): MemoryDecisionKind {
  const canJob = jobAllowed(m);
  const decided = decide(m, canJob);
  const kind = decided.kind;
  let reason = decided.reason;
  if (m.warmup && kind === 'grow') reason += ' (warming up: grows only)';
  const jobWanted = (kind === 'grow' || kind === 'release' || kind === 'protect' || kind === 'starved') && canJob;
  if (jobWanted && !m.auto) reason += ` (automation ${m.knobs.automation}: not applied)`;
  out.decisions.push({ vmUuid: m.vm.uuid, hostId: h.hostId, kind, reason, inputs: managedInputs(m, h.pressure, hostInputs) });
  if (jobWanted && m.auto) out.jobs.push(setMemoryJob(m, h.hostId, reason, h.knobs.budgetMiB));
  return kind;
}

/** The target can be sent: a change beyond the hysteresis, a whole MiB, within reservation and maximum. */
function jobAllowed(m: Managed): boolean {
  const t = m.targetMiB;
  return (
    Math.abs(t - m.committedMiB) > m.knobs.hysteresisMiB &&
    Number.isInteger(t) &&
    t >= m.knobs.reservationMiB &&
    t <= m.maximumMiB &&
    // above the balloon only as a grant, within the limit; a grower below it only raises a release in flight
    (t <= m.actualMiB || (m.role === 'grow' && t <= m.limitMiB))
  );
}

/** The kind and reason of a managed VM's decision, from its role after the arbitration. */
function decide(m: Managed, canJob: boolean): { kind: MemoryDecisionKind; reason: string } {
  if (m.role === 'grow') return growDecision(m, canJob);
  if (m.role === 'release') return { kind: 'release', reason: releaseReason(m) };
  return { kind: m.holdKind, reason: m.why };
}

/** A grow granted at least the minimum (or in full) is a grow; less is `starved`, with what was granted. */
function growDecision(m: Managed, canJob: boolean): { kind: MemoryDecisionKind; reason: string } {
  const okMiB = Math.ceil(Math.max(m.knobs.reservationMiB, m.usedMiB + m.knobs.minUnusedMiB));
  const full = m.targetMiB >= m.requestMiB;
  if (canJob && (full || m.targetMiB >= okMiB)) {
    return {
      kind: m.protect ? 'protect' : 'grow',
      reason: `${m.why}: grow to ${m.targetMiB} MiB${full ? '' : ` (asked ${m.requestMiB} MiB; host budget/free memory short)`}`,
    };
  }
  return {
    kind: 'starved',
    reason:
      `${m.why}: needs ${m.requestMiB} MiB but the host cannot grant it (budget or free-memory floor reached, ` +
      `no donor can give more without going below its floor)` +
      (canJob ? `; granted what there is: ${m.targetMiB} MiB` : ''),
  };
}

function releaseReason(m: Managed): string {
  const why = m.why ? `${m.why}; ` : '';
  if (m.rebalanced) {
    return `${why}above its fair share of the budget while VMs below theirs need memory: ${fmt(m.reclaimedMiB)} MiB back, release to ${m.targetMiB} MiB`;
  }
  if (m.reclaimedMiB > 0) {
    return `${why}${fmt(m.reclaimedMiB)} MiB reclaimed under host pressure (lowest shares per active page, ρ=${fmt(m.rho)}): release to ${m.targetMiB} MiB`;
  }
  return `${m.why}: release to ${m.targetMiB} MiB`;
}

function managedInputs(m: Managed, pressured: boolean, hostInputs: HostInputs): Record<string, unknown> {
  return {
    automation: m.knobs.automation,
    groups: m.groups,
    actualMiB: r1(m.actualMiB),
    unusedMiB: r1(m.unusedMiB),
    usedMiB: r1(m.usedMiB),
    committedMiB: r1(m.committedMiB),
    trendMiBPerSec: r1(m.trendMiBPerSec),
    consumptionMiBPerSec: r1(m.consumptionMiBPerSec),
    predictedUnusedMiB: r1(m.predictedUnusedMiB),
    targetMiB: r1(m.targetMiB),
    reservationMiB: m.knobs.reservationMiB,
    limitMiB: r1(m.limitMiB),
    minUnusedMiB: m.knobs.minUnusedMiB,
    maxUnusedMiB: m.knobs.maxUnusedMiB,
    releaseFloorMiB: m.releaseFloorMiB,
    sharesPerMiB: m.sharesPerMiB,
    rho: r1(m.rho),
    swapInKiBPerSec: r1(m.swapInKiBPerSec),
    warmup: m.warmup,
    protectUntilMs: m.protectUntilMs ?? null,
    pressure: pressured,
    ...hostInputs,
  };
}

function setMemoryJob(m: Managed, hostId: string, reason: string, budgetMiB: number | undefined): PlannedJob {
  return {
    hostId,
    vmUuid: m.vm.uuid,
    vmName: m.vm.name,
    // Every job carries the host budget: a grow (or a job that turns into one because the balloon moved
    // meanwhile) is applied only once the releases that pay for it have landed, so Σ balloons never passes
    // the budget in between.
    action: {
      type: 'set-memory',
      memoryMiB: m.targetMiB,
      ...(budgetMiB !== undefined ? { hostBudgetMiB: budgetMiB } : {}),
    },
    reason,
  };
}
