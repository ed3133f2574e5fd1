import type { JobStats } from './types.js';

/** Progress of a domain job (migration) from getJobStats; fields absent until QEMU reports them. */
export interface JobProgress {
  /** JobType. */
  type: number;
  timeElapsedMs?: number;
  timeRemainingMs?: number;
  dataTotalBytes?: number;
  dataProcessedBytes?: number;
  dataRemainingBytes?: number;
  memoryTotalBytes?: number;
  memoryProcessedBytes?: number;
  memoryRemainingBytes?: number;
  memoryBytesPerSec?: number;
  downtimeMs?: number;
}

const FIELDS: ReadonlyArray<[string, Exclude<keyof JobProgress, 'type'>]> = [
  ['time_elapsed', 'timeElapsedMs'],
  ['time_remaining', 'timeRemainingMs'],
  ['data_total', 'dataTotalBytes'],
  ['data_processed', 'dataProcessedBytes'],
  ['data_remaining', 'dataRemainingBytes'],
  ['memory_total', 'memoryTotalBytes'],
  ['memory_processed', 'memoryProcessedBytes'],
  ['memory_remaining', 'memoryRemainingBytes'],
  ['memory_bps', 'memoryBytesPerSec'],
  ['downtime', 'downtimeMs'],
];

/** Names and units for the typed parameters of virDomainGetJobStats. */
export function toJobProgress(stats: JobStats): JobProgress {
  const out: JobProgress = { type: stats.type };
  for (const [key, field] of FIELDS) {
    const value = stats.params[key];
    if (typeof value === 'number') out[field] = value;
  }
  return out;
}
