import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobResult } from '@ballast/domain';
import { QUEUE_PREFIX, jobQueueName } from '@ballast/queue';
import type { Logger } from 'pino';
import type { JobRouter } from './job-router.js';
import { PermanentJobError } from './processors/processor-context.js';

export interface WorkerOptions {
  hostId: string;
  connection: Redis;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  log: Logger;
  /** Start taking jobs at once (default); false leaves that to `worker.resume()`. */
  autorun?: boolean;
  onOutcome?: (job: Job, ok: boolean, durationMs: number) => void;
}

/** The BullMQ worker on this host's queue: each job goes through the router; outcomes are logged. */
export function startActuatorWorker(router: JobRouter, o: WorkerOptions): Worker {
  const worker = new Worker<unknown, JobResult>(
    jobQueueName(o.hostId),
    async (job) => {
      const t0 = Date.now();
      try {
        const result = await router.handle(job.data, (figures) => void job.updateProgress(figures).catch(() => undefined));
        o.log.info({ jobId: job.id, type: job.name, result: result.message }, 'job succeeded');
        o.onOutcome?.(job, true, Date.now() - t0);
        return result;
      } catch (e) {
        const err = e as Error;
        o.log.warn({ jobId: job.id, type: job.name, err: err.message, attempt: job.attemptsMade + 1 }, 'job failed');
        o.onOutcome?.(job, false, Date.now() - t0);
        if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
        throw err;
      }
    },
    {
      connection: o.connection,
      prefix: QUEUE_PREFIX,
      concurrency: o.concurrency,
      lockDuration: o.lockDurationMs,
      stalledInterval: o.stalledIntervalMs,
      maxStalledCount: 2,
      autorun: o.autorun ?? true,
    },
  );
  worker.on('error', (err) => o.log.error({ err: err.message }, 'worker error'));
  return worker;
}
