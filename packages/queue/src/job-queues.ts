import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { parseJobSpec, type JobOutcome, type JobResult, type JobSpec, type JobState } from '@ballast/domain';
import { defaultJobOptions } from './job-options.js';
import { JOB_INDEX_KEY, QUEUE_PREFIX, jobQueueName } from './queue-names.js';

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

/** The policy engine's side of the per-host queues: enqueue jobs and read their outcomes. */
export class JobQueues {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly connection: Redis) {}

  queue(hostId: string): Queue {
    let q = this.queues.get(hostId);
    if (!q) {
      q = new Queue(jobQueueName(hostId), { connection: this.connection, prefix: QUEUE_PREFIX, defaultJobOptions });
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
    // Index first: a job that exists is always findable by id.
    await this.connection.hset(JOB_INDEX_KEY, index);
    const byHost = new Map<string, JobSpec[]>();
    for (const s of checked) byHost.set(s.hostId, [...(byHost.get(s.hostId) ?? []), s]);
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

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
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
