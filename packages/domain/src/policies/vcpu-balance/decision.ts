/**
 * What the vcpu-balance plan records: one decision per host each cycle (its spread before and after, the
 * moves, or why none), one per VM it leaves alone (unmanaged, hold, warm-up, with the reason) and one per
 * VM whose vCPUs it pins, beside the pin-vcpu jobs.
 */
import type { Plan } from '../../snapshot.js';

export type HostBalanceKind =
  /** The spread is at most the threshold: no pin change. */
  | 'balanced'
  /** Pins planned (jobs). */
  | 'rebalanced'
  /** Moves only for VMs in 'recommend' automation: decisions, no job. */
  | 'recommend'
  /** The host's vCPUs use less than idleTotalPercent together: no pin change. */
  | 'idle'
  /** A move would lower the spread, but by less than minGainPercent: no pin change. */
  | 'skipped-for-stability'
  /** Above the threshold, but no move the balancer may make lowers the spread. */
  | 'unbalanced'
  /** The host is stale or missing: nothing is planned. */
  | 'stale';

export type VmBalanceKind = 'pin' | 'unmanaged' | 'hold' | 'warmup';

export interface VcpuBalanceDecision {
  hostId: string;
  /** Absent on a host's decision. */
  vmUuid?: string;
  kind: HostBalanceKind | VmBalanceKind;
  reason: string;
  inputs: Record<string, unknown>;
}

export interface VcpuBalancePlan extends Plan {
  decisions: VcpuBalanceDecision[];
}
