import { Queue, type Job, type JobType, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { hostOfJobId, parseJobSpec, type JobOutcome, type JobResult, type JobSource, type JobSpec, type JobState } from '@ballast/domain';
import { DEFAULT_JOB_RETENTION, EVENTS_STREAM_MAX_LEN, jobOptions, type JobRetention } from './job-options.js';
import { JOB_HOSTS_KEY, JOB_INDEX_KEY, QUEUE_PREFIX, jobQueueName } from './queue-names.js';
import { BACKLOG_CHUNK, BACKLOGS, OUTCOMES, OUTCOMES_CHUNK, TAKE_QUEUED } from './queue-scripts.js';

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

/** The policy engine's side of the per-host queues: enqueue jobs and read their outcomes. */
export class JobQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly jobOptions: JobsOptions;

  /**
   * `onError`: what a queue reports (mostly its connection's errors while Redis is away; commands wait and go
   * through once it is back). Without a listener BullMQ prints each to stderr, stack and all. `retention`: the
   * finished jobs each host's queue keeps (set on each job as it is enqueued).
   */
  constructor(
    private readonly connection: Redis,
    private readonly onError: (err: Error) => void = () => {},
    retention: JobRetention = DEFAULT_JOB_RETENTION,
  ) {
    this.jobOptions = jobOptions(retention);
  }

  queue(hostId: string): Queue {
    let q = this.queues.get(hostId);
    if (!q) {
      q = new Queue(jobQueueName(hostId), { connection: this.connection, prefix: QUEUE_PREFIX, defaultJobOptions: this.jobOptions, streams: { events: { maxLen: EVENTS_STREAM_MAX_LEN } } });
      q.on('error', (e: Error) => this.onError(e));
      this.queues.set(hostId, q);
    }
    return q;
  }

  async enqueue(spec: JobSpec): Promise<void> {
    await this.enqueueMany([spec]);
  }

  /**
   * Checks every job first (nothing is enqueued when one is bad: a spec that parseJobSpec refuses, or an id that
   * names another host than the job's), then adds them per host, all hosts at once (a host whose add fails fails
   * the call; the others' jobs are added all the same). Ids that name their host (`<base>@<host>`: every policy and
   * manual job's) are found by the id alone; the others are indexed by id (JOB_INDEX_KEY) first.
   */
  async enqueueMany(specs: JobSpec[]): Promise<void> {
    if (specs.length === 0) return;
    const checked = specs.map((s) => parseJobSpec(s));
    const index: Record<string, string> = {};
    let unnamed = 0;
    for (const s of checked) {
      const named = hostOfJobId(s.id);
      if (named === undefined) {
        index[s.id] = s.hostId;
        unnamed++;
      } else if (named !== s.hostId) throw new Error(`id: job ${s.id} names host ${named}, but it is a job for host ${s.hostId}`);
    }
    const byHost = new Map<string, JobSpec[]>();
    for (const s of checked) {
      const list = byHost.get(s.hostId);
      if (list) list.push(s);
      else byHost.set(s.hostId, [s]);
    }
    // Index first: a job that exists is always findable by id (and listed with its host's queue). The two writes
    // go out together, then every host's jobs at once: one after another, a replica's 30+ hosts took 30+ round
    // trips a cycle, the slowest step of its slowest cycles (ballast_policy_cycle_phase_seconds, docs/scale.md).
    await Promise.all([unnamed > 0 ? this.connection.hset(JOB_INDEX_KEY, index) : undefined, this.connection.sadd(JOB_HOSTS_KEY, ...byHost.keys())]);
    await Promise.all([...byHost].map(([hostId, list]) => this.queue(hostId).addBulk(list.map((s) => ({ name: s.action.type, data: s, opts: { jobId: s.id } })))));
  }

  /** The host whose queue holds job `id`: the one its id names, else the index's (ids that name none), else undefined. */
  private async hostOf(id: string): Promise<string | undefined> {
    return hostOfJobId(id) ?? (await this.connection.hget(JOB_INDEX_KEY, id)) ?? undefined;
  }

  async status(id: string): Promise<JobStatus | undefined> {
    const hostId = await this.hostOf(id);
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
    const hostId = await this.hostOf(id);
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
    if (hostOfJobId(id) === undefined) await this.connection.hdel(JOB_INDEX_KEY, id);
    return { cancelled: toStatus(job, 'waiting') };
  }

  /**
   * Outcomes of many jobs (those not found are left out), as `status` reads each, in two round trips whatever the
   * number of jobs (the policy cycle asks for every job it tracks, every cycle): the hosts from the ids (those that
   * name none from the job index, in one HMGET), then a script (OUTCOMES) per OUTCOMES_CHUNK jobs, sent together, reading each job's state as
   * BullMQ's getState does and the hash fields an outcome needs, in one atomic step (no state read before the
   * job finished beside a reason read after). Jobs whose chunk could not be read are left out, as before.
   */
  async outcomes(ids: readonly string[]): Promise<Map<string, JobOutcome>> {
    const out = new Map<string, JobOutcome>();
    if (ids.length === 0) return out;
    const hosts: (string | null | undefined)[] = ids.map(hostOfJobId);
    const unnamed = ids.filter((_, i) => hosts[i] === undefined);
    if (unnamed.length > 0) {
      let indexed: (string | null)[];
      try {
        indexed = await this.connection.hmget(JOB_INDEX_KEY, ...unnamed);
      } catch {
        indexed = [];
      }
      let k = 0;
      hosts.forEach((h, i) => {
        if (h === undefined) hosts[i] = indexed[k++] ?? null;
      });
    }
    const named: { id: string; base: string }[] = [];
    ids.forEach((id, i) => {
      const host = hosts[i];
      if (host) {
        try {
          named.push({ id, base: `${QUEUE_PREFIX}:${jobQueueName(host)}:` });
        } catch {
          // a host id in the index that names no queue: not found
        }
      }
    });
    const chunks: (typeof named)[] = [];
    for (let i = 0; i < named.length; i += OUTCOMES_CHUNK) chunks.push(named.slice(i, i + OUTCOMES_CHUNK));
    await Promise.all(
      chunks.map(async (chunk) => {
        let replies: unknown[];
        try {
          replies = (await this.connection.eval(OUTCOMES, 0, ...chunk.flatMap((n) => [n.base, n.id]))) as unknown[];
        } catch {
          return;
        }
        chunk.forEach(({ id }, i) => {
          const o = outcomeOf(replies[i]);
          if (o) out.set(id, o);
        });
      }),
    );
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
   * What waits in many hosts' queues, as `backlog` reads it, in one round trip whatever the number of hosts
   * and no BullMQ Queue object per host: a script (BACKLOGS) per BACKLOG_CHUNK hosts, sent together, reads
   * each queue's wait, prioritized, active and delayed and the timestamps of the next job of wait and of
   * prioritized. A host whose queue cannot be read (a bad host id, a command's error) maps to its Error; a
   * lost connection rejects.
   */
  async backlogs(hostIds: readonly string[], nowMs: number): Promise<Map<string, QueueBacklog | Error>> {
    const out = new Map<string, QueueBacklog | Error>();
    const named: { host: string; base: string }[] = [];
    for (const host of hostIds) {
      try {
        named.push({ host, base: `${QUEUE_PREFIX}:${jobQueueName(host)}:` });
      } catch (e) {
        out.set(host, e instanceof Error ? e : new Error(String(e)));
      }
    }
    const chunks: (typeof named)[] = [];
    for (let i = 0; i < named.length; i += BACKLOG_CHUNK) chunks.push(named.slice(i, i + BACKLOG_CHUNK));
    await Promise.all(
      chunks.map(async (chunk) => {
        const replies = (await this.connection.eval(BACKLOGS, 0, ...chunk.map((n) => n.base))) as unknown[][];
        chunk.forEach(({ host }, i) => out.set(host, backlogOf(replies[i], nowMs, host)));
      }),
    );
    return new Map(hostIds.filter((h) => out.has(h)).map((h) => [h, out.get(h) as QueueBacklog | Error]));
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

/** BullMQ's state of a job as ours. */
function stateOf(raw: string): JobState {
  return raw === 'completed' ? 'succeeded' : raw === 'failed' ? 'failed' : raw === 'active' ? 'active' : 'queued';
}

function toStatus(job: Job, raw: string): JobStatus {
  const spec = job.data as JobSpec;
  const state = stateOf(raw);
  const s: JobStatus = { spec, state, attempts: job.attemptsMade };
  if (state === 'succeeded') s.result = job.returnvalue as JobResult;
  if (job.failedReason) s.error = job.failedReason;
  if (job.finishedOn && (state === 'succeeded' || state === 'failed')) s.finishedAtMs = job.finishedOn;
  if (typeof job.progress === 'object' && job.progress !== null) s.progress = job.progress as Record<string, unknown>;
  return s;
}

/** One host's reply of BACKLOGS as a QueueBacklog (or the error it names). */
function backlogOf(r: unknown[] | undefined, nowMs: number, host: string): QueueBacklog | Error {
  if (!Array.isArray(r)) return new Error(`no reply for ${host}'s queue`);
  if (r[0] === 'error') return new Error(String(r[1]));
  const [waiting, active, delayed, oldest] = r.map(Number) as [number, number, number, number];
  return { waiting, active, delayed, oldestWaitingAgeMs: waiting > 0 && oldest >= 0 ? Math.max(0, nowMs - oldest) : 0 };
}

/** JSON from a job's hash, or undefined where it does not parse (as BullMQ reads a corrupted return value). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * One job's reply of OUTCOMES as what `status` makes of the job (without its spec): undefined when BullMQ knows no
 * state for it or its hash is gone; the fields read as BullMQ's Job.fromJSON reads them.
 */
function outcomeOf(r: unknown): JobOutcome | undefined {
  if (!Array.isArray(r) || typeof r[0] !== 'string' || r[0] === 'unknown' || !Array.isArray(r[1])) return undefined;
  const [timestamp, atm, attemptsMade, returnvalue, failedReason, finishedOn, progress] = r[1] as (string | null)[];
  if (timestamp === null || timestamp === undefined) return undefined;
  const state = stateOf(r[0]);
  const o: JobOutcome = { state, attempts: parseInt(attemptsMade || atm || '0') };
  if (state === 'succeeded') o.result = (typeof returnvalue === 'string' ? parsed(returnvalue) : null) as JobResult;
  if (failedReason) o.error = failedReason;
  const finished = finishedOn ? parseInt(finishedOn) : undefined;
  if (finished && (state === 'succeeded' || state === 'failed')) o.finishedAtMs = finished;
  const p = parsed(progress || '0');
  if (typeof p === 'object' && p !== null) o.progress = p as Record<string, unknown>;
  return o;
}
