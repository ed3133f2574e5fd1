/** A job as it travels through a host's queue: what the policy engine (or a user) asks an actuator to apply. */
import type { JobAction } from './registry.js';

/**
 * The shape version of JobSpec in Redis. The actuator refuses a job whose version it does not know
 * (a newer engine's job is failed with a clear reason, never misread). Jobs enqueued before versioning
 * carry none and are version 1: the shape was the same.
 */
export const JOB_SCHEMA_VERSION = 1;

export type JobSource = 'manual' | 'policy';

export interface JobSpec {
  schemaVersion: number;
  id: string;
  /** The host whose queue holds the job (and whose actuator applies it). */
  hostId: string;
  /** The VM it adjusts: set for VM-scoped job types, absent for host-scoped ones. */
  vmUuid?: string;
  vmName?: string;
  source: JobSource;
  /** Name of the policy that planned it, for policy jobs. */
  policy?: string;
  createdAtMs: number;
  action: JobAction;
}

export type JobState = 'queued' | 'active' | 'succeeded' | 'failed';

/** What the actuator reports for a job (BullMQ's return value, or the failure reason). */
export interface JobResult {
  /** Human-readable outcome, e.g. "balloon at 400 MiB". */
  message: string;
  /** True when the target already held and nothing was changed. */
  alreadyThere: boolean;
  /** What was observed after applying (verification). */
  observed?: Record<string, unknown>;
}

/** A job's state as the queue reports it, with its outcome once it has one. */
export interface JobOutcome {
  state: JobState;
  result?: JobResult;
  error?: string;
  attempts: number;
  finishedAtMs?: number;
  /** What the actuator last reported while the job ran (a migration's figures), if anything. */
  progress?: Record<string, unknown>;
}
