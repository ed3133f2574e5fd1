/**
 * A policy job's id, derived from what decided it: the policy, what the job sets (target / resource / part,
 * as jobKeyOf names it), the action with its target value, and the time of the host sample the decision was
 * made on. Two engine replicas deciding the same thing on the same sample make the same id, and the queue
 * (BullMQ, jobId) keeps one job; a target that failed is sent again in a later cycle, on a newer sample,
 * under a new id. The id ends in `@<host>`, the host whose queue holds the job (jobIdOnHost), so it is found by
 * its id alone.
 */
import { createHash } from 'node:crypto';
import { jobIdOnHost, jobKeyOf, type PlannedJob } from '@ballast/domain';

export interface JobIdBasis {
  policy: string;
  job: Pick<PlannedJob, 'hostId' | 'vmUuid' | 'action'>;
  /** When the sample the decision was made on was taken (the job's host's latest report). */
  sampleMs: number;
}

/** `pj-`, 32 hex digits (128 bits of SHA-256), `@` and the job's host: no `:` (BullMQ refuses it in ids), never an integer. */
export function policyJobId(b: JobIdBasis): string {
  const basis = JSON.stringify([b.policy, jobKeyOf(b.job), sorted(b.job.action), b.sampleMs]);
  return jobIdOnHost(`pj-${createHash('sha256').update(basis).digest('hex').slice(0, 32)}`, b.job.hostId);
}

/** The value with object keys in order at every depth: equal actions, equal JSON. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
  );
}
