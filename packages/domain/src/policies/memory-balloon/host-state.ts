/**
 * The working state of one host's plan, which the steps of planHost (plan.ts) read and update in turn, and
 * its first step: account what the host's VMs are committed to, and what that leaves of the budget and of
 * host free memory.
 */
import type { HostView } from '../../snapshot.js';
import { KIB_PER_MIB } from '../../units.js';
import type { HostKnobs } from './args.js';
import type { Assessed, Managed } from './assessment.js';

export interface HostState {
  readonly hostId: string;
  readonly knobs: HostKnobs;
  /** Every VM on the host, by name: the managed ones and those left as they are (which still count). */
  readonly all: readonly Assessed[];
  /** The managed VMs, in the same order; the steps change their role and target. */
  readonly managed: readonly Managed[];
  /** Host free memory now, MiB (0 when the host is not in the snapshot). */
  readonly freeMiB: number;
  /** Σ of what the VMs are committed to before any trim, reclaim or grant, MiB (decision input hostSumBeforeMiB). */
  readonly committedSumMiB: number;
  /** MiB that grows in flight will still take from host free memory. */
  readonly inflightGrowMiB: number;
  /** Budget not yet committed or granted, MiB: Infinity without a budget; negative while over it until the grants. */
  leftBudgetMiB: number;
  /** Host free memory above the floor not yet granted, MiB; negative while below the floor until the grants. */
  leftFreeMiB: number;
  /** What the fair shares divide: the budget less what the VMs left alone hold, MiB (Infinity without a budget). */
  readonly poolMiB: number;
  /** Σ shares per MiB of the managed VMs. */
  readonly weights: number;
  /** The managed VMs whose role is 'grow', in order (measureDeficit sets it; rebalancing can take one out). */
  growers: Managed[];
  /** Σ of what the growers want above what they are committed to, MiB (decision input growWantedMiB). */
  growWantedMiB: number;
  /** MiB the growers lack for their lean targets, that reclaim and rebalance still try to free. */
  deficitMiB: number;
  /** The growers lacked their lean targets before any reclaim: the host is under pressure (decision input). */
  pressure: boolean;
  /** MiB granted so far to each grower, on top of what it is committed to. */
  readonly given: Map<Managed, number>;
}

/**
 * Account what the host's VMs are committed to before any grant (balloon, or the job in flight), and what
 * that leaves of the budget and of host free memory above its floor.
 */
export function accountHost(hostId: string, host: HostView | undefined, knobs: HostKnobs, all: readonly Assessed[]): HostState {
  const { committedSumMiB, inflightGrowMiB } = committedSum(all);
  const managed = all.filter((a): a is Managed => a.managed);
  const freeMiB = host ? host.memoryFreeKiB / KIB_PER_MIB : 0;
  return {
    hostId,
    knobs,
    all,
    managed,
    freeMiB,
    committedSumMiB,
    inflightGrowMiB,
    leftBudgetMiB: knobs.budgetMiB === undefined ? Infinity : knobs.budgetMiB - committedSumMiB,
    leftFreeMiB: freeMiB - knobs.hostFreeFloorMiB - inflightGrowMiB,
    poolMiB: knobs.budgetMiB === undefined ? Infinity : knobs.budgetMiB - all.reduce((acc, a) => acc + (a.managed ? 0 : a.accountMiB), 0),
    weights: managed.reduce((acc, m) => acc + m.sharesPerMiB, 0),
    growers: [],
    growWantedMiB: 0,
    deficitMiB: 0,
    pressure: false,
    given: new Map(),
  };
}

/**
 * Auto VMs' releases count at their new target (the job replaces the one in flight); other auto VMs at what
 * is committed; VMs whose jobs this policy does not send at the larger of balloon and target in flight.
 */
function committedSum(all: readonly Assessed[]): { committedSumMiB: number; inflightGrowMiB: number } {
  let sum = 0;
  let inflight = 0;
  for (const a of all) {
    if (!a.managed) {
      sum += a.accountMiB;
      inflight += a.inflightGrowMiB;
    } else if (a.auto && a.role === 'release') sum += Math.min(a.targetMiB, a.committedMiB);
    else {
      sum += a.auto ? a.committedMiB : Math.max(a.actualMiB, a.committedMiB);
      inflight += Math.max(0, a.committedMiB - a.actualMiB);
    }
  }
  return { committedSumMiB: sum, inflightGrowMiB: inflight };
}

/** What a grower wants on top of what it is committed to, MiB (the grants' unit). */
export function wantMiB(m: Managed): number {
  return Math.max(0, m.requestMiB - m.committedMiB);
}

/** MiB of a release in flight a grant would cancel: that part costs no host free memory. */
export function releasedAlreadyMiB(m: Managed): number {
  return Math.max(0, m.actualMiB - m.committedMiB);
}

/** The VM's fair share of the budget, by shares, after what the VMs left alone hold (Infinity without a budget). */
export function fairShareMiB(h: HostState, m: Managed): number {
  return h.weights > 0 ? (h.poolMiB * m.sharesPerMiB) / h.weights : Infinity;
}
