/** What the memory-balloon plan records: one decision per VM each cycle, beside the jobs it sends. */
import type { Plan } from '../../snapshot.js';

export type MemoryDecisionKind = 'grow' | 'release' | 'hold' | 'starved' | 'unmanaged' | 'stale' | 'warmup' | 'protect';

export interface MemoryDecision {
  vmUuid: string;
  hostId: string;
  kind: MemoryDecisionKind;
  reason: string;
  inputs: Record<string, unknown>;
}

export interface MemoryPlan extends Plan {
  decisions: MemoryDecision[];
}
