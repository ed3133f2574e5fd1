import type { ClusterSnapshot, Plan } from '../snapshot.js';

/** A validation problem with one knob of a policy's args, naming the field. */
export interface ArgsIssue {
  field: string;
  message: string;
}

/**
 * A policy: pure planning from a snapshot and declarative args.
 * `plan` must be deterministic: the clock and any randomness come in through the snapshot.
 */
export interface Policy<Args> {
  readonly name: string;
  readonly defaults: Args;
  /** Checks raw args (e.g. parsed JSON) and returns the typed args or the issues found. */
  validate(raw: unknown): { ok: true; args: Args } | { ok: false; issues: ArgsIssue[] };
  plan(snapshot: ClusterSnapshot, args: Args): Plan;
}
