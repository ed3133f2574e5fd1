/**
 * Stop switches, as the cycle sees them: an operator's cluster-wide pause and per-VM opt-outs. A planned
 * job they stop is still decided and recorded — as a `suppressed` decision whose reason says who stopped
 * it, since when and why — but never sent, so nothing is tracked for it (no in-flight record, no back-off)
 * and the next cycle plans afresh. The engine keeps the switches (in Redis); a bench or a test may leave
 * the port out (nothing is stopped).
 */
import type { VmView } from '@ballast/domain';

/** Why a job was suppressed: a label value of ballast_jobs_suppressed_total. */
export type StopKind = 'paused' | 'opted_out';

export interface StopPort {
  /** Why policies may send no job now (the cluster is paused, e.g. "cluster paused by … since …: …"), or undefined. Read once a cycle. */
  paused(nowMs: number): string | undefined;
  /** Why no policy job may be sent for this VM (it opted out, e.g. "opted out (api by …): …"), or undefined. */
  optedOut(vm: Pick<VmView, 'uuid' | 'name' | 'config'>): string | undefined;
}
