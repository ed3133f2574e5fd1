import type { ActionOf, JobTypeName } from '../jobs/index.js';
import { findVm, type ClusterSnapshot, type VmView } from '../snapshot.js';
import type { InFlightRule } from './policy.js';

/**
 * An InFlightRule for a policy whose jobs are of one VM-scoped type: in flight while queued or active (up
 * to `pendingMs`), then until `settled(action, vm, snapshot)` says the VM's samples show the job's effect
 * (up to `settleMs`). A job of another type, or whose VM is gone, is settled.
 */
export function vmJobRule<T extends JobTypeName>(
  type: T,
  timing: { pendingMs: number; settleMs: number },
  settled: (action: ActionOf<T>, vm: VmView, snapshot: ClusterSnapshot) => boolean,
): InFlightRule {
  return {
    ...timing,
    settled(job, snapshot) {
      if (job.action.type !== type) return true;
      const vm = findVm(snapshot.vms, job.vmUuid, job.hostId);
      return vm === undefined || settled(job.action as ActionOf<T>, vm, snapshot);
    },
  };
}
