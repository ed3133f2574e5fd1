/** What the numa-placement plan records: one decision per VM of a multi-cell host, one per single-cell host. */
import type { Plan } from '../../snapshot.js';

/**
 * place: a set-numa job (in auto) puts the VM's memory and vCPUs on one cell; placed: it is on one cell
 * and stays; in-flight: a placement is under way; cooldown: placed too recently to move again; deferred:
 * the host's moves for this cycle are used; no-fit: no cell holds it; cannot-move: libvirt's live rules
 * forbid the change; unmanaged / stale / not-collected / hold: left as it is, with the reason;
 * single-cell: a host decision (no vmUuid): one cell, nothing to place.
 */
export type NumaDecisionKind =
  | 'place'
  | 'placed'
  | 'in-flight'
  | 'cooldown'
  | 'deferred'
  | 'no-fit'
  | 'cannot-move'
  | 'unmanaged'
  | 'stale'
  | 'not-collected'
  | 'hold'
  | 'single-cell';

export interface NumaDecision {
  vmUuid?: string;
  hostId: string;
  kind: NumaDecisionKind;
  reason: string;
  inputs: Record<string, unknown>;
}

export interface NumaPlan extends Plan {
  decisions: NumaDecision[];
}
