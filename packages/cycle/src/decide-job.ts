/** Whether one planned job is sent, and if not, why (the reasons in order of precedence). */
import { resourceOf, targetKeyOf, type JobRecord, type PlannedJob, type VmState } from '@ballast/domain';
import type { JobTracker } from './job-tracker.js';
import type { StopKind } from './stop-port.js';
import type { Automation } from './validate-policies.js';

export type Verdict = { send: true } | { send: false; kind: 'skipped' | 'conflict'; why: string } | { send: false; kind: 'suppressed'; why: string; stop: StopKind };

export interface DecideContext {
  nowMs: number;
  automation: Automation;
  staleHosts: ReadonlySet<string>;
  /** Keys set by a policy earlier in this cycle → that policy. Updated here. */
  claimed: Map<string, string>;
  records: readonly JobRecord[];
  tracker: Pick<JobTracker, 'sameInFlight' | 'backoff'>;
  holds: { isHeld(targetKey: string, resource: string, nowMs: number): boolean };
  /** Why the cluster is paused this cycle (stop-port.ts), or undefined. */
  paused?: string;
  /** Why a VM-scoped job's VM is opted out of policy jobs, or undefined. */
  optedOut?: (job: PlannedJob) => string | undefined;
  /** A VM-scoped job's VM state as last reported ('crashed', 'running', …), or undefined when unknown. */
  vmState?: (job: PlannedJob) => VmState | undefined;
}

/**
 * States in which no policy job reaches a VM: it does not run (it panicked and is kept for inspection, it is
 * shutting down or off). Such a VM is acted on again once it reports running. A paused VM still can be
 * (a migration moves it paused); policies that need it running say so themselves.
 */
export const NOT_RUNNING: ReadonlySet<VmState> = new Set<VmState>(['crashed', 'shutdown', 'shutoff']);

const skip = (why: string): Verdict => ({ send: false, kind: 'skipped', why });

export function decideJob(p: { policy: string; job: PlannedJob; key: string }, c: DecideContext): Verdict {
  const winner = c.claimed.get(p.key);
  if (winner !== undefined && winner !== p.policy) {
    return { send: false, kind: 'conflict', why: `${winner} runs earlier and set ${p.key} this cycle (the earlier policy wins)` };
  }
  c.claimed.set(p.key, p.policy);
  // an opted-out VM is out of automation altogether (no job, no recommendation); a pause stops only what would be sent
  const optedOut = c.optedOut?.(p.job);
  if (optedOut !== undefined) return { send: false, kind: 'suppressed', why: optedOut, stop: 'opted_out' };
  const state = c.vmState?.(p.job);
  if (state !== undefined && NOT_RUNNING.has(state)) return skip(`VM ${p.job.vmName ?? p.job.vmUuid} is ${state}: no policy acts on it until it runs again`);
  if (c.automation !== 'auto') return skip(`automation is ${c.automation}: not applied`);
  if (c.paused !== undefined) return { send: false, kind: 'suppressed', why: c.paused, stop: 'paused' };
  if (c.staleHosts.has(p.job.hostId)) return skip(`host ${p.job.hostId} is stale`);
  const resource = resourceOf(p.job.action);
  if (c.holds.isHeld(targetKeyOf(p.job), resource, c.nowMs)) return skip(`${resource} is held by a manual job`);
  const json = JSON.stringify(p.job.action);
  const same = c.tracker.sameInFlight(c.records, p.key, json);
  if (same) return skip(`the same target is already in flight (job ${same.id}, ${same.state})`);
  const b = c.tracker.backoff(p.key, json);
  if (b && c.nowMs < b.untilMs) {
    return skip(`the same target failed ${b.failures} times in a row (last: ${b.lastError}); not re-sent before ${new Date(b.untilMs).toISOString()}`);
  }
  return { send: true };
}
