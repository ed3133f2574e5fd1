/**
 * The jobs each engine replica tracks (in flight, and finished ones for a while: their outcomes drive the
 * back-off), kept in Redis per host so the replica that takes a host over continues where its old owner
 * stopped: a target in flight is not sent again, a target that keeps failing stays backed off.
 *
 *   key    ballast:tracked:<hostId>   a hash: job id → JSON {spec, key, enqueuedAtMs}
 *
 * Written when a job is sent (after it is enqueued) and when a manual job is tracked; an entry is removed
 * when the tracker forgets the job (its outcome past the retention, or never seen to finish); the key
 * expires LOST_AFTER_MS after its last write (a host gone leaves nothing behind). Writes never block or fail
 * a cycle: an error is counted and logged (once a minute at most).
 */
import { LOST_AFTER_MS, type JobJournalPort, type TrackedJob } from '@ballast/cycle';
import type { JobSpec } from '@ballast/domain';
import type { Redis } from 'ioredis';

export const journalKey = (hostId: string): string => `ballast:tracked:${hostId}`;

export class JobJournal implements JobJournalPort {
  errors = 0;
  private lastWarnMs = -Infinity;

  constructor(
    private readonly redis: Redis,
    private readonly log?: { warn(obj: object, msg: string): void },
  ) {}

  async saved(jobs: readonly TrackedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const p = this.redis.pipeline();
    const hosts = new Set<string>();
    for (const j of jobs) {
      p.hset(journalKey(j.spec.hostId), j.spec.id, JSON.stringify(j));
      hosts.add(j.spec.hostId);
    }
    for (const h of hosts) p.pexpire(journalKey(h), LOST_AFTER_MS);
    await this.exec(p, 'record');
  }

  async dropped(jobs: readonly JobSpec[]): Promise<void> {
    if (jobs.length === 0) return;
    const p = this.redis.pipeline();
    for (const j of jobs) p.hdel(journalKey(j.hostId), j.id);
    await this.exec(p, 'forget');
  }

  /** The jobs tracked for these hosts (by whichever replica sent them); an entry that does not parse is skipped. */
  async load(hostIds: readonly string[]): Promise<TrackedJob[]> {
    if (hostIds.length === 0) return [];
    const p = this.redis.pipeline();
    for (const h of hostIds) p.hgetall(journalKey(h));
    const out: TrackedJob[] = [];
    for (const [err, all] of (await p.exec()) ?? []) {
      if (err) throw err;
      for (const json of Object.values(all as Record<string, string>)) {
        const j = parse(json);
        if (j) out.push(j);
      }
    }
    return out;
  }

  private async exec(p: ReturnType<Redis['pipeline']>, what: string): Promise<void> {
    try {
      const res = (await p.exec()) ?? [];
      const err = res.find(([e]) => e != null)?.[0];
      if (err) throw err;
    } catch (e) {
      this.errors++;
      if (Date.now() - this.lastWarnMs < 60_000) return;
      this.lastWarnMs = Date.now();
      this.log?.warn({ err: (e as Error).message, errors: this.errors }, `could not ${what} tracked jobs in Redis (a replica taking a host over may not know them)`);
    }
  }
}

function parse(json: string): TrackedJob | undefined {
  try {
    const j = JSON.parse(json) as Partial<TrackedJob>;
    if (!j.spec || typeof j.spec.id !== 'string' || typeof j.key !== 'string' || typeof j.enqueuedAtMs !== 'number') return undefined;
    return j as TrackedJob;
  } catch {
    return undefined;
  }
}
