/**
 * The jobs this engine enqueued, with their outcomes as the queue reports them: what the cycle shows
 * policies (snapshot.jobs: in flight, by each policy's own rule, and recent outcomes), what it uses to
 * drop a repeat of a target still in flight, and to back off from a target that keeps failing.
 */
import { jobKeyOf, type ClusterSnapshot, type InFlightRule, type JobOutcome, type JobRecord, type JobSpec } from '@ballast/domain';

/** A job whose policy declares no rule is in flight while queued or active, for at most this long. */
export const DEFAULT_PENDING_MS = 60_000;
/** Finished jobs stay visible (outcomes for policies, failures for the back-off) this long. */
export const OUTCOME_RETENTION_MS = 10 * 60_000;
/** A job never seen to finish is forgotten after this long (its queue entry expired, or Redis lost it). */
export const LOST_AFTER_MS = 60 * 60_000;
/** After the 2nd consecutive failure of the same target it is not re-sent for 10 s, doubling up to 5 min. */
export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 5 * 60_000;

interface Tracked {
  spec: JobSpec;
  key: string;
  actionJson: string;
  enqueuedAtMs: number;
  outcome: JobOutcome;
  /** When this engine first saw it finished (its own clock: the actuator's may differ). */
  doneSeenAtMs?: number;
}

const terminal = (o: JobOutcome): boolean => o.state === 'succeeded' || o.state === 'failed';

/** A tracked job as a journal keeps it (to hand it to the replica that takes its host over). */
export interface TrackedJob {
  spec: JobSpec;
  key: string;
  enqueuedAtMs: number;
}

export interface Backoff {
  failures: number;
  lastError: string;
  untilMs: number;
}

export class JobTracker {
  private readonly jobs = new Map<string, Tracked>();
  /** The tracked jobs of each key (sameInFlight and backoff look at one key: no scan of every job per planned job). */
  private readonly byKey = new Map<string, Set<Tracked>>();
  /** The records of the last records() call, in flight, by key. */
  private inFlightIndex: { records: readonly JobRecord[]; byKey: Map<string, JobRecord[]> } | undefined;

  /** Starts tracking an enqueued job (policy or manual). `key` defaults to jobKeyOf. */
  add(spec: JobSpec, nowMs: number, key = jobKeyOf(spec)): void {
    this.forget(spec.id);
    const t: Tracked = { spec, key, actionJson: JSON.stringify(spec.action), enqueuedAtMs: nowMs, outcome: { state: 'queued', attempts: 0 } };
    this.jobs.set(spec.id, t);
    const set = this.byKey.get(key) ?? new Set<Tracked>();
    set.add(t);
    this.byKey.set(key, set);
  }

  /** Stops tracking a job (one cancelled before it ran: it never finishes, and nothing is in flight). */
  forget(id: string): void {
    const t = this.jobs.get(id);
    if (!t) return;
    this.jobs.delete(id);
    const set = this.byKey.get(t.key);
    set?.delete(t);
    if (set?.size === 0) this.byKey.delete(t.key);
  }

  /** The spec of a tracked job (e.g. to tell an outcome's job type), while it is tracked. */
  spec(id: string): JobSpec | undefined {
    return this.jobs.get(id)?.spec;
  }

  /** Ids of the jobs whose outcome is not known yet. */
  pendingIds(): string[] {
    return [...this.jobs.values()].filter((t) => !terminal(t.outcome)).map((t) => t.spec.id);
  }

  /** Records outcomes read from the queue; returns those that changed. */
  update(outcomes: ReadonlyMap<string, JobOutcome>, nowMs: number): Map<string, JobOutcome> {
    const changed = new Map<string, JobOutcome>();
    for (const [id, o] of outcomes) {
      const t = this.jobs.get(id);
      if (!t || (t.outcome.state === o.state && t.outcome.attempts === o.attempts)) continue;
      t.outcome = o;
      if (terminal(o) && t.doneSeenAtMs === undefined) t.doneSeenAtMs = nowMs;
      changed.set(id, o);
    }
    return changed;
  }

  /** Forgets finished jobs past the retention, and unfinished ones never seen to finish; returns them. */
  prune(nowMs: number): JobSpec[] {
    const gone: JobSpec[] = [];
    for (const [id, t] of this.jobs) {
      const old = t.doneSeenAtMs !== undefined ? nowMs - t.doneSeenAtMs > OUTCOME_RETENTION_MS : nowMs - t.enqueuedAtMs > LOST_AFTER_MS;
      if (old) {
        this.forget(id);
        gone.push(t.spec);
      }
    }
    return gone;
  }

  /** A tracked job as a journal keeps it. */
  entry(id: string): TrackedJob | undefined {
    const t = this.jobs.get(id);
    return t && { spec: t.spec, key: t.key, enqueuedAtMs: t.enqueuedAtMs };
  }

  /**
   * Jobs another engine replica sent (read from the journal when this one takes their host over): tracked
   * as if sent here, their outcomes read from the queue from now on. One tracked already is left as it is.
   */
  adopt(jobs: readonly TrackedJob[]): number {
    let n = 0;
    for (const j of jobs) {
      if (this.jobs.has(j.spec.id)) continue;
      this.add(j.spec, j.enqueuedAtMs, j.key);
      n++;
    }
    return n;
  }

  /**
   * Every tracked job as policies see it, oldest first; `ruleOf` gives the rule of the policy that made it.
   * Only the newest job of a key can be in flight: a later job for the same key replaces an earlier one
   * (the actuator applies them in order), so the earlier target is no longer coming.
   */
  records(snapshot: Pick<ClusterSnapshot, 'nowMs' | 'hosts' | 'vms'>, ruleOf: (policy: string | undefined) => InFlightRule | undefined): JobRecord[] {
    const full = { ...snapshot, jobs: [], signals: {} };
    const sorted = [...this.jobs.values()].sort((a, b) => a.enqueuedAtMs - b.enqueuedAtMs);
    const newest = new Map(sorted.map((t) => [t.key, t]));
    return sorted.map((t) => {
      const r: JobRecord = {
        id: t.spec.id,
        source: t.spec.source,
        ...(t.spec.policy !== undefined ? { policy: t.spec.policy } : {}),
        hostId: t.spec.hostId,
        ...(t.spec.vmUuid !== undefined ? { vmUuid: t.spec.vmUuid } : {}),
        key: t.key,
        action: t.spec.action,
        enqueuedAtMs: t.enqueuedAtMs,
        ...t.outcome,
        inFlight: false,
      };
      r.inFlight = newest.get(t.key) === t && inFlight(t, r, ruleOf(t.spec.policy), full);
      return r;
    });
  }

  /** The job in flight for `key` with exactly this action, if any (a repeat of it is not sent). */
  sameInFlight(records: readonly JobRecord[], key: string, actionJson: string): JobRecord | undefined {
    if (this.inFlightIndex?.records !== records) {
      const byKey = new Map<string, JobRecord[]>();
      for (const r of records) if (r.inFlight) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
      this.inFlightIndex = { records, byKey };
    }
    return this.inFlightIndex.byKey.get(key)?.find((r) => this.jobs.get(r.id)?.actionJson === actionJson);
  }

  /**
   * Consecutive failures of exactly this target (newest first, stopping at anything else for the key) and
   * until when it waits: the first failure is retried at once (things change), from the second on it is
   * not re-sent for BACKOFF_BASE_MS, doubling up to BACKOFF_MAX_MS.
   */
  backoff(key: string, actionJson: string): Backoff | undefined {
    const finished = [...(this.byKey.get(key) ?? [])]
      .filter((t) => t.doneSeenAtMs !== undefined)
      .sort((a, b) => (b.doneSeenAtMs ?? 0) - (a.doneSeenAtMs ?? 0));
    let failures = 0;
    for (const t of finished) {
      if (t.outcome.state !== 'failed' || t.actionJson !== actionJson) break;
      failures++;
    }
    const last = finished[0];
    if (failures < 2 || !last) return undefined;
    const waitMs = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 2));
    return { failures, lastError: last.outcome.error ?? 'failed', untilMs: (last.doneSeenAtMs ?? 0) + waitMs };
  }
}

function inFlight(t: Tracked, r: JobRecord, rule: InFlightRule | undefined, snapshot: ClusterSnapshot): boolean {
  switch (t.outcome.state) {
    case 'failed':
      return false;
    case 'queued':
    case 'active':
      return snapshot.nowMs - t.enqueuedAtMs <= (rule?.pendingMs ?? DEFAULT_PENDING_MS);
    case 'succeeded':
      return rule !== undefined && snapshot.nowMs - (t.doneSeenAtMs ?? t.enqueuedAtMs) <= rule.settleMs && !rule.settled(r, snapshot);
  }
}
