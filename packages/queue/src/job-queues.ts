import { Queue, type Job, type JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import { parseJobSpec, type JobOutcome, type JobResult, type JobSource, type JobSpec, type JobState } from '@ballast/domain';
import { defaultJobOptions } from './job-options.js';
import { JOB_HOSTS_KEY, JOB_INDEX_KEY, QUEUE_PREFIX, jobQueueName } from './queue-names.js';

export interface JobStatus extends JobOutcome {
  spec: JobSpec;
}

/** A host's queue right now: jobs by state, and how long the oldest waiting one has waited. */
export interface QueueBacklog {
  /** Waiting to be taken (BullMQ's wait and prioritized lists). */
  waiting: number;
  /** Taken by the actuator, running. */
  active: number;
  /** Waiting out a retry's backoff. */
  delayed: number;
  /** Age of the oldest waiting job (since it was enqueued), ms; 0 when none waits. */
  oldestWaitingAgeMs: number;
}

/** Which jobs a list shows; every field narrows it. */
export interface JobFilter {
  hostId?: string | undefined;
  /** A VM's name or UUID. */
  vm?: string | undefined;
  state?: JobState | undefined;
  source?: JobSource | undefined;
}

/** What cancelling a job did: cancelled (with the job as it was), not cancelled (its state), or no such job. */
export type CancelOutcome = { cancelled: JobStatus } | { notQueued: JobState } | { notFound: true };

/** The BullMQ states each job state covers (queued: waiting its turn, retrying later, or by priority). */
const BULL_STATES: Record<JobState, JobType[]> = {
  queued: ['waiting', 'prioritized', 'delayed'],
  active: ['active'],
  succeeded: ['completed'],
  failed: ['failed'],
};
/** A list reads each host's BullMQ state this many jobs at a time, and at most LIST_SCAN_MAX of them. */
const LIST_PAGE = 200;
const LIST_SCAN_MAX = 10_000;

/**
 * Takes a job off the structures a queued job waits in (wait, paused: lists; prioritized, delayed: sorted
 * sets) in one step: 1 when it was there. A worker takes a job off `wait` atomically too, so a job is either
 * taken here (and never runs) or already active or finished (and this returns 0).
 */
const TAKE_QUEUED = `
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then return 1 end
if redis.call('LREM', KEYS[2], 1, ARGV[1]) == 1 then return 1 end
if redis.call('ZREM', KEYS[3], ARGV[1]) == 1 then return 1 end
if redis.call('ZREM', KEYS[4], ARGV[1]) == 1 then return 1 end
return 0`;

/** The policy engine's side of the per-host queues: enqueue jobs and read their outcomes. */
export class JobQueues {
  private readonly queues = new Map<string, Queue>();

  /**
   * `onError`: what a queue reports (mostly its connection's errors while Redis is away; commands wait and go
   * through once it is back). Without a listener BullMQ prints each to stderr, stack and all.
   */
  constructor(
    private readonly connection: Redis,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  queue(hostId: string): Queue {
    let q = this.queues.get(hostId);
    if (!q) {
      q = new Queue(jobQueueName(hostId), { connection: this.connection, prefix: QUEUE_PREFIX, defaultJobOptions });
      q.on('error', (e: Error) => this.onError(e));
      this.queues.set(hostId, q);
    }
    return q;
  }

  async enqueue(spec: JobSpec): Promise<void> {
    await this.enqueueMany([spec]);
  }

  /** Checks every job first (nothing is enqueued when one is bad), indexes them by id, then adds them per host. */
  async enqueueMany(specs: JobSpec[]): Promise<void> {
    if (specs.length === 0) return;
    const checked = specs.map((s) => parseJobSpec(s));
    const index: Record<string, string> = {};
    for (const s of checked) index[s.id] = s.hostId;
    const byHost = new Map<string, JobSpec[]>();
    for (const s of checked) {
      const list = byHost.get(s.hostId);
      if (list) list.push(s);
      else byHost.set(s.hostId, [s]);
    }
    // Index first: a job that exists is always findable by id (and listed with its host's queue).
    await this.connection.hset(JOB_INDEX_KEY, index);
    await this.connection.sadd(JOB_HOSTS_KEY, ...byHost.keys());
    for (const [hostId, list] of byHost) {
      await this.queue(hostId).addBulk(list.map((s) => ({ name: s.action.type, data: s, opts: { jobId: s.id } })));
    }
  }

  async status(id: string): Promise<JobStatus | undefined> {
    const hostId = await this.connection.hget(JOB_INDEX_KEY, id);
    if (!hostId) return undefined;
    const queue = this.queue(hostId);
    // State first, then the job: a job read before it finished but whose state is read after would
    // show "failed" without its reason.
    const state = await queue.getJobState(id);
    const job = await queue.getJob(id);
    if (!job || state === 'unknown') return undefined;
    return toStatus(job, state);
  }

  /**
   * The newest jobs (by creation) across the hosts' queues that match `filter`, at most `limit`. The hosts
   * are those whose queues have held jobs, plus `moreHosts` (e.g. the hosts reporting now).
   */
  async list(filter: JobFilter, limit: number, moreHosts: readonly string[] = []): Promise<JobStatus[]> {
    const known = new Set([...(await this.connection.smembers(JOB_HOSTS_KEY)), ...this.queues.keys(), ...moreHosts]);
    const hosts = filter.hostId !== undefined ? [filter.hostId].filter((h) => known.has(h)) : [...known];
    const types = filter.state !== undefined ? BULL_STATES[filter.state] : Object.values(BULL_STATES).flat();
    const found = await Promise.all(hosts.flatMap((h) => types.map((t) => this.newest(h, t, filter, limit))));
    const seen = new Set<string>();
    return found
      .flat()
      .filter((s) => !seen.has(s.spec.id) && seen.add(s.spec.id))
      .sort((a, b) => b.spec.createdAtMs - a.spec.createdAtMs || a.spec.id.localeCompare(b.spec.id))
      .slice(0, limit);
  }

  /** The newest `limit` jobs in one BullMQ state of one host's queue that match (reading at most LIST_SCAN_MAX). */
  private async newest(hostId: string, type: JobType, filter: JobFilter, limit: number): Promise<JobStatus[]> {
    const q = this.queue(hostId);
    const out: JobStatus[] = [];
    for (let start = 0; out.length < limit && start < LIST_SCAN_MAX; start += LIST_PAGE) {
      const ids = await q.getRanges([type], start, start + LIST_PAGE - 1, false);
      const jobs = await Promise.all(ids.map((id) => q.getJob(id)));
      for (const job of jobs) {
        if (!job) continue;
        const s = toStatus(job, type);
        if (matches(s.spec, filter)) out.push(s);
      }
      if (ids.length < LIST_PAGE) break;
    }
    return out.slice(0, limit);
  }

  /**
   * Cancels a job that is still queued: takes it off its host's queue in one atomic step (so no actuator
   * can start it after that), then deletes its data. A job already active or finished is left alone.
   */
  async cancel(id: string): Promise<CancelOutcome> {
    const hostId = await this.connection.hget(JOB_INDEX_KEY, id);
    if (!hostId) return { notFound: true };
    const q = this.queue(hostId);
    const job = await q.getJob(id);
    if (!job) return { notFound: true };
    const keys = ['wait', 'paused', 'prioritized', 'delayed'].map((k) => q.toKey(k));
    // A job seen queued after a miss went back to waiting in between (a failed attempt to retry): try again.
    for (let attempt = 0; ; attempt++) {
      if ((await this.connection.eval(TAKE_QUEUED, keys.length, ...keys, id)) === 1) break;
      const raw = await q.getJobState(id);
      if (raw === 'unknown') return { notFound: true };
      const state = toStatus(job, raw).state;
      if (state !== 'queued' || attempt >= 2) return { notQueued: state };
    }
    await q.remove(id, { removeChildren: false });
    await this.connection.hdel(JOB_INDEX_KEY, id);
    return { cancelled: toStatus(job, 'waiting') };
  }

  /** Outcomes of many jobs (those not found are left out). */
  async outcomes(ids: readonly string[]): Promise<Map<string, JobOutcome>> {
    const out = new Map<string, JobOutcome>();
    const all = await Promise.all(ids.map((id) => this.status(id).catch(() => undefined)));
    all.forEach((s, i) => {
      const id = ids[i];
      if (s && id !== undefined) {
        const { spec: _spec, ...outcome } = s;
        out.set(id, outcome);
      }
    });
    return out;
  }

  /** What waits in a host's queue (its depth and the age of its oldest waiting job). */
  async backlog(hostId: string, nowMs: number): Promise<QueueBacklog> {
    const queue = this.queue(hostId);
    const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed');
    const waiting = (counts['wait'] ?? 0) + (counts['prioritized'] ?? 0);
    let oldestWaitingAgeMs = 0;
    if (waiting > 0) {
      // the oldest of each waiting list (ascending order: the next to be taken first)
      const firsts = await Promise.all((['wait', 'prioritized'] as const).map((t) => queue.getJobs([t], 0, 0, true)));
      const stamps = firsts.flat().map((j) => j.timestamp).filter((t) => Number.isFinite(t));
      if (stamps.length > 0) oldestWaitingAgeMs = Math.max(0, nowMs - Math.min(...stamps));
    }
    return { waiting, active: counts['active'] ?? 0, delayed: counts['delayed'] ?? 0, oldestWaitingAgeMs };
  }

  /**
   * What waits in many hosts' queues, as `backlog` reads it, in two pipelined round trips whatever the number
   * of hosts (no BullMQ Queue object per host): the lengths of wait, prioritized, active and delayed and the
   * next job of wait and of prioritized, then those jobs' timestamps. A host whose queue cannot be read (a
   * bad host id, a command's error) maps to its Error; a lost connection rejects.
   */
  async backlogs(hostIds: readonly string[], nowMs: number): Promise<Map<string, QueueBacklog | Error>> {
    const out = new Map<string, QueueBacklog | Error>();
    const heads: { host: string; keys: string[]; counts: QueueBacklog }[] = [];
    const named: { host: string; name: string }[] = [];
    for (const host of hostIds) {
      try {
        named.push({ host, name: jobQueueName(host) });
      } catch (e) {
        out.set(host, e instanceof Error ? e : new Error(String(e)));
      }
    }
    const first = this.connection.pipeline();
    for (const { name } of named) {
      const key = (t: string) => `${QUEUE_PREFIX}:${name}:${t}`;
      first.llen(key('wait'));
      first.lrange(key('wait'), -2, -1);
      first.zcard(key('prioritized'));
      first.zrange(key('prioritized'), '0', '0');
      first.llen(key('active'));
      first.zcard(key('delayed'));
    }
    const replies = named.length > 0 ? ((await first.exec()) ?? []) : [];
    named.forEach(({ host, name }, i) => {
      const r = replies.slice(i * 6, i * 6 + 6);
      const err = r.find(([e]) => e)?.[0];
      if (err || r.length < 6) {
        out.set(host, err ?? new Error(`no reply for ${host}'s queue`));
        return;
      }
      const head = waitHead(r.map(([, v]) => v));
      const counts = { waiting: head.waiting, active: Number(r[4]?.[1]), delayed: Number(r[5]?.[1]), oldestWaitingAgeMs: 0 };
      out.set(host, counts);
      if (head.waiting > 0 && head.ids.length > 0) heads.push({ host, keys: head.ids.map((id) => `${QUEUE_PREFIX}:${name}:${id}`), counts });
    });
    await this.oldestAges(heads, nowMs);
    return new Map(hostIds.filter((h) => out.has(h)).map((h) => [h, out.get(h) as QueueBacklog | Error]));
  }

  /** Sets each head's oldestWaitingAgeMs from its jobs' timestamps (one pipelined round trip). */
  private async oldestAges(heads: { keys: string[]; counts: QueueBacklog }[], nowMs: number): Promise<void> {
    if (heads.length === 0) return;
    const p = this.connection.pipeline();
    for (const h of heads) for (const k of h.keys) p.hget(k, 'timestamp');
    const replies = (await p.exec()) ?? [];
    let i = 0;
    for (const h of heads) {
      const stamps = h.keys.map(() => replies[i++]).map((r) => (r && !r[0] && typeof r[1] === 'string' ? parseInt(r[1]) : NaN)).filter((t) => Number.isFinite(t));
      if (stamps.length > 0) h.counts.oldestWaitingAgeMs = Math.max(0, nowMs - Math.min(...stamps));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}

function matches(spec: JobSpec, f: JobFilter): boolean {
  return (
    (f.vm === undefined || spec.vmName === f.vm || spec.vmUuid === f.vm) &&
    (f.source === undefined || spec.source === f.source) &&
    (f.hostId === undefined || spec.hostId === f.hostId)
  );
}

function toStatus(job: Job, raw: string): JobStatus {
  const spec = job.data as JobSpec;
  const state: JobState =
    raw === 'completed' ? 'succeeded' : raw === 'failed' ? 'failed' : raw === 'active' ? 'active' : 'queued';
  const s: JobStatus = { spec, state, attempts: job.attemptsMade };
  if (state === 'succeeded') s.result = job.returnvalue as JobResult;
  if (job.failedReason) s.error = job.failedReason;
  if (job.finishedOn && (state === 'succeeded' || state === 'failed')) s.finishedAtMs = job.finishedOn;
  if (typeof job.progress === 'object' && job.progress !== null) s.progress = job.progress as Record<string, unknown>;
  return s;
}

/**
 * The waiting count and the ids of the next jobs to be taken from one host's first replies (LLEN wait, LRANGE
 * wait -2 -1, ZCARD prioritized, ZRANGE prioritized 0 0), as BullMQ's getCounts and getRanges read them: a
 * BullMQ 4 marker ("0:…") at the tail of wait is not a job.
 */
function waitHead(r: unknown[]): { waiting: number; ids: string[] } {
  let wait = Number(r[0]);
  const tail = (r[1] as string[] | undefined) ?? [];
  let oldest = tail[tail.length - 1];
  if (oldest?.startsWith('0:')) {
    wait = wait > 1 ? wait - 1 : 0;
    oldest = wait > 0 ? tail[tail.length - 2] : undefined;
  }
  const prioritized = Number(r[2]);
  const ids = [oldest, ...((r[3] as string[] | undefined) ?? [])].filter((x): x is string => typeof x === 'string');
  return { waiting: wait + prioritized, ids };
}
