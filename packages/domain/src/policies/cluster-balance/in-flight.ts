import type { InFlightRule } from '../policy.js';

/**
 * A migrate job is in flight while queued or active (up to 10 min: the actuator's migration timeout is 5),
 * and once it succeeded until the VM is seen on its destination (up to 30 s).
 */
export const migrateInFlightRule: InFlightRule = {
  pendingMs: 10 * 60_000,
  settleMs: 30_000,
  settled: (job, s) => {
    const a = job.action;
    return a.type !== 'migrate' || s.vms.some((v) => v.uuid === job.vmUuid && v.hostId === a.targetHost);
  },
};
