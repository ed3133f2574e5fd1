import type { JobsOptions } from 'bullmq';

/**
 * Defaults for every adjustment job. Targets are absolute, so a retry is harmless;
 * a job whose VM is gone fails at once (the processor throws UnrecoverableError).
 * Finished jobs are kept a week (and at most 50,000) so their outcome stays readable.
 */
export const defaultJobOptions: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 50000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50000 },
};

/**
 * BullMQ adds every job's state changes (added, waiting, active, completed, ...) to a per-queue events stream, kept to
 * 10,000 entries by default, for QueueEvents listeners. Ballast has none (outcomes are read from the jobs themselves),
 * so the stream is trimmed as short as Redis allows (XADD MAXLEN ~ 0 keeps at most one stream node): at 1,000 hosts
 * the default would hold 10 million entries, and the shorter stream is cheaper for Redis on every job
 * (`make bench ARGS=jobs`).
 */
export const EVENTS_STREAM_MAX_LEN = 0;
