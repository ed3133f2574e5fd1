/** What the cpu-entitlement plan records: one decision per VM each cycle, beside the jobs it sends. */
import type { Plan } from '../../snapshot.js';

/**
 * set: the tune differs from the target (a job in auto); at-target: it does not (within the tolerances);
 * in-flight: a job to this target is under way; refused: its reservation cannot be held (no job at all);
 * unmanaged / stale / not-collected / hold: its tune is left as it is, with the reason.
 */
export type CpuDecisionKind = 'set' | 'at-target' | 'in-flight' | 'refused' | 'unmanaged' | 'stale' | 'not-collected' | 'hold';

export interface CpuDecision {
  vmUuid: string;
  hostId: string;
  kind: CpuDecisionKind;
  reason: string;
  inputs: Record<string, unknown>;
}

export interface CpuPlan extends Plan {
  decisions: CpuDecision[];
}
