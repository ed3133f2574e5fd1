/**
 * A job id names the host whose queue holds the job: `<base>@<hostId>`. The policy engine finds a job by its id
 * alone (the API's job status and cancel, the cycle's outcome polling of the jobs it tracks) without an index kept
 * in Redis: such an index gains an entry with every job and, BullMQ removing finished jobs by itself, nothing ever
 * took one out. Host ids never contain `@` (the queues' rule: letters, digits, `_`, `.`, `-`), nor `:` (BullMQ's
 * rule for ids).
 */
export const JOB_ID_HOST_MARK = '@';

const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Whether `s` may be a host id (a host's queue is named after it): a letter or digit, then up to 62 of those, `_`, `.`, `-`. */
export function isHostId(s: string): boolean {
  return HOST_ID.test(s);
}

/** The id `base` for a job in `hostId`'s queue. */
export function jobIdOnHost(base: string, hostId: string): string {
  return `${base}${JOB_ID_HOST_MARK}${hostId}`;
}

/** The host a job id names (the part after its last `@`, when that is a host id), or undefined. */
export function hostOfJobId(id: string): string | undefined {
  const at = id.lastIndexOf(JOB_ID_HOST_MARK);
  if (at <= 0) return undefined;
  const host = id.slice(at + 1);
  return isHostId(host) ? host : undefined;
}
