import type { JobsOptions } from 'bullmq';

/**
 * How many finished jobs each host's queue keeps, and how long (BullMQ removes the others as jobs finish): the
 * outcomes the API shows (GET /v1/jobs). Each kept job costs Redis ~1.75 KB (a set-cpu-tune job with its result,
 * measured), so at the count a host's queue holds ~8.5 MiB: with H hosts, up to H × count × 1.75 KB.
 */
export interface JobRetention {
  /** Finished jobs kept per host queue, succeeded and failed each (BALLAST_JOBS_KEPT). */
  count: number;
  /** Finished jobs older than this are removed, seconds (BALLAST_JOBS_KEPT_HOURS × 3600). */
  ageSec: number;
}

/** A week, and 5,000 a host (it was 50,000: up to 87 MiB of Redis a host, 87 GiB at 1,000 hosts). */
export const DEFAULT_JOB_RETENTION: JobRetention = { count: 5000, ageSec: 7 * 24 * 3600 };

/**
 * Every adjustment job's options. Targets are absolute, so a retry is harmless; a job whose VM is gone fails at
 * once (the processor throws UnrecoverableError). Finished jobs are kept as `retention` says so their outcome stays
 * readable.
 */
export function jobOptions(retention: JobRetention = DEFAULT_JOB_RETENTION): JobsOptions {
  const keep = { age: retention.ageSec, count: retention.count };
  return { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: keep, removeOnFail: { ...keep } };
}

/** The job options with the default retention. */
export const defaultJobOptions: JobsOptions = jobOptions();

/**
 * BullMQ adds every job's state changes (added, waiting, active, completed, ...) to a per-queue events stream, kept to
 * 10,000 entries by default, for QueueEvents listeners. Ballast has none (outcomes are read from the jobs themselves),
 * so the stream is trimmed as short as Redis allows (XADD MAXLEN ~ 0 keeps at most one stream node): at 1,000 hosts
 * the default would hold 10 million entries, and the shorter stream is cheaper for Redis on every job
 * (`make bench ARGS=jobs`).
 */
export const EVENTS_STREAM_MAX_LEN = 0;
