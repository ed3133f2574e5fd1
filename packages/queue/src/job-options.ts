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
