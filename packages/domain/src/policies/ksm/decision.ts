/** What the ksm plan records: one decision per host each cycle, beside the set-ksm jobs it sends. */
import type { Plan } from '../../snapshot.js';

export const KSM_POLICY_NAME = 'ksm';

/**
 * start: ksmd off → on (pressure) · run: on, stays on (the pace may change) · stop: on → off (memory plentiful)
 * · not-paying: on → off (merging does not pay) · idle: off, stays off · cooldown: pressure, but the policy
 * stopped ksmd less than minOffMs ago · unknown: no KSM figures (no job) · unmanaged: not this policy's host.
 */
export type KsmDecisionKind = 'start' | 'run' | 'stop' | 'not-paying' | 'idle' | 'cooldown' | 'unknown' | 'unmanaged';

export interface KsmDecision {
  hostId: string;
  kind: KsmDecisionKind;
  reason: string;
  inputs: Record<string, unknown>;
}

export interface KsmPlan extends Plan {
  decisions: KsmDecision[];
}
