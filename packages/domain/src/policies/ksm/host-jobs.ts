/**
 * What the snapshot's set-ksm jobs tell the ksm policy about one host: the settings on their way (a job in
 * flight), the counters a finished job observed (the start of the gain window: HostView keeps no KSM history)
 * and when the policy last stopped ksmd.
 */
import type { ActionOf } from '../../jobs/index.js';
import type { HostKsm } from '../../host-report.js';
import type { KsmRun } from '../../model.js';
import type { JobRecord } from '../../snapshot.js';

export type SetKsmAction = ActionOf<'set-ksm'>;

/** KSM's settings the policy plans against: run state and pace. */
export interface KsmState {
  run: KsmRun;
  pagesToScan: number;
  sleepMillisecs: number;
}

/** What a finished set-ksm job saw right after it applied its settings. */
export interface Checkpoint {
  jobId: string;
  atMs: number;
  run: KsmRun | undefined;
  pagesSharing: number;
  fullScans: number;
}

type KsmJob = JobRecord & { action: SetKsmAction };

/** The host's set-ksm jobs in the snapshot, newest first. */
export function ksmJobsOf(jobs: readonly JobRecord[], hostId: string): KsmJob[] {
  return jobs
    .filter((j): j is KsmJob => j.hostId === hostId && j.action.type === 'set-ksm')
    .sort((a, b) => b.enqueuedAtMs - a.enqueuedAtMs);
}

/** When a job finished (the actuator's clock), or when it was enqueued if that is not known. */
export const finishedAt = (j: JobRecord): number => j.finishedAtMs ?? j.enqueuedAtMs;

/** The collected settings with the fields of the newest job in flight laid over them (what is on its way). */
export function settingsPlanned(ksm: HostKsm & { run: KsmRun }, jobs: readonly KsmJob[]): KsmState {
  const s: KsmState = { run: ksm.run, pagesToScan: ksm.pagesToScan, sleepMillisecs: ksm.sleepMillisecs };
  const a = jobs.find((j) => j.inFlight)?.action;
  if (a?.run !== undefined) s.run = a.run;
  if (a?.pagesToScan !== undefined) s.pagesToScan = a.pagesToScan;
  if (a?.sleepMillisecs !== undefined) s.sleepMillisecs = a.sleepMillisecs;
  return s;
}

/** The newest succeeded job whose result carries the counters it observed (set-ksm-processor's `observed`). */
export function newestCheckpoint(jobs: readonly KsmJob[]): Checkpoint | undefined {
  for (const j of jobs) {
    if (j.state !== 'succeeded') continue;
    const seen = j.result?.observed;
    const counters = seen?.['counters'] as Record<string, unknown> | undefined;
    const pagesSharing = counters?.['pagesSharing'];
    const fullScans = counters?.['fullScans'];
    if (typeof pagesSharing !== 'number' || typeof fullScans !== 'number') continue;
    const run = seen?.['run'];
    return { jobId: j.id, atMs: finishedAt(j), run: run === 'run' || run === 'stop' || run === 'unmerge' ? run : undefined, pagesSharing, fullScans };
  }
  return undefined;
}

/** The newest job, when it is a stop (or unmerge) this policy made and that succeeded. */
export function policyStop(jobs: readonly KsmJob[], policy: string): KsmJob | undefined {
  const newest = jobs.find((j) => j.state === 'succeeded' || j.inFlight);
  const stops = newest?.action.run === 'stop' || newest?.action.run === 'unmerge';
  return newest && newest.policy === policy && newest.state === 'succeeded' && stops ? newest : undefined;
}
