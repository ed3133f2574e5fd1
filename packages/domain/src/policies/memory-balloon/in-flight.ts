/**
 * What counts as a set-memory job in flight for this policy (its InFlightRule), and the target each VM is
 * committed to because of one. The cycle applies the rule; the plan reads the result from snapshot.jobs.
 */
import type { InFlightRule } from '../policy.js';
import type { JobRecord } from '../../snapshot.js';
import { KIB_PER_MIB } from '../../units.js';
import { newestInFlight } from '../newest-in-flight.js';
import { vmJobRule } from '../vm-job-rule.js';

/** A balloon within this of the target has got there. */
export const SETTLED_WITHIN_MIB = 4;

/**
 * Queued or active (the actuator may hold a grow while the releases paying for it land, up to its
 * budget wait): in flight for up to 30 s. Done: in flight until the balloon in the samples is within
 * 4 MiB of the target, for up to 6 s (three samples of 2 s: the loop's lag).
 */
export const memoryInFlightRule: InFlightRule = vmJobRule('set-memory', { pendingMs: 30_000, settleMs: 6_000 }, (action, vm) => {
  const actualKiB = vm.balloon?.actualKiB;
  return actualKiB === undefined || Math.abs(actualKiB / KIB_PER_MIB - action.memoryMiB) <= SETTLED_WITHIN_MIB;
});

/** VM UUID → the target of its newest set-memory job in flight (any source), MiB. */
export function targetsInFlight(jobs: readonly JobRecord[]): Map<string, number> {
  return new Map([...newestInFlight(jobs, 'set-memory')].map(([uuid, a]) => [uuid, a.memoryMiB]));
}
