import { isHostId } from '@ballast/domain';

/** Redis key prefix of every Ballast queue. */
export const QUEUE_PREFIX = 'ballast';

/**
 * Hash that maps a job id to the host whose queue holds it, for ids that do not name their host (`<base>@<host>`,
 * jobIdOnHost: every job since these ids; jobs from before them are found here). Nothing adds to it for ids that
 * name their host: it grew by one entry a job and nothing took entries out.
 */
export const JOB_INDEX_KEY = `${QUEUE_PREFIX}:job-host`;

/** Set of the hosts whose queues have held jobs (the job list reads every one of them). */
export const JOB_HOSTS_KEY = `${QUEUE_PREFIX}:job-hosts`;


/** The BullMQ queue name of a host's adjustment jobs. */
export function jobQueueName(hostId: string): string {
  if (!isHostId(hostId)) throw new Error(`invalid host id "${hostId}"`);
  return `jobs-${hostId}`;
}
