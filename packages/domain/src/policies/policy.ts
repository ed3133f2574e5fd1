import type { ClusterSnapshot, JobRecord, Plan, PlannedJob } from '../snapshot.js';
import type { Signal } from './policy-signals.js';

/** A validation problem with one knob of a policy's args, naming the field. */
export interface ArgsIssue {
  field: string;
  message: string;
}

/**
 * How long a job a policy enqueued counts as in flight (JobRecord.inFlight), declared by the policy: the
 * cycle knows no job type. A job is in flight while it is queued or active (at most `pendingMs` after it
 * was enqueued), and after it succeeded until `settled` says the samples show its effect (at most
 * `settleMs` after it finished). A failed job is not in flight.
 */
export interface InFlightRule {
  pendingMs: number;
  settleMs: number;
  settled(job: JobRecord, snapshot: ClusterSnapshot): boolean;
}

/**
 * A policy: pure planning from a snapshot and declarative args.
 * `plan` must be deterministic: the clock and any randomness come in through the snapshot.
 */
export interface Policy<Args> {
  readonly name: string;
  /**
   * Policies run in ascending order each cycle (ties by name); a later one reads the signals an earlier
   * one published, and when two set the same thing in one cycle the earlier one's job stands.
   */
  readonly order: number;
  readonly defaults: Args;
  /** Checks raw args (e.g. parsed JSON) and returns the typed args or every issue found. */
  validate(raw: unknown): { ok: true; args: Args } | { ok: false; issues: ArgsIssue[] };
  plan(snapshot: ClusterSnapshot, args: Args): Plan;
  /** How this policy's jobs count as in flight; without it a job is in flight only while queued or active. */
  readonly inFlight?: InFlightRule;
  /** The repeat key of a planned job, when jobKeyOf (target / resource / part) is not what the policy means. */
  repeatKey?(job: PlannedJob): string;
  /**
   * The signals of earlier policies this policy's plan reads, and those it publishes (policy-signals.ts). With them
   * the cycle knows which per-host policies a cluster-wide one needs on every host: an engine replica running a
   * cluster-wide policy plans the others on its own hosts only. A policy that does not declare `publishes` is
   * planned on every host there (its signals may be read); one planned on every host that does not declare `reads`
   * is taken to read every signal, so every policy is then planned on every host (`everyHostPolicies`).
   */
  readonly reads?: readonly Signal<unknown>[];
  readonly publishes?: readonly Signal<unknown>[];
}
