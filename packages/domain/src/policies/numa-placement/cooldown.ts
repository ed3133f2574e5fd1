/**
 * When a VM was last placed, derived from the snapshot so the policy stays stateless: the newest set-numa
 * job for it that did not fail (snapshot.jobs keeps finished jobs 10 minutes), or the newest vCPU pin
 * this policy recorded in the domain's <metadata> (VmConfig.pins, `by` = 'policy:numa-placement'), which
 * survives engine restarts once the actuator records pins.
 */
import type { JobRecord, VmView } from '../../snapshot.js';

export const PLACEMENT_PIN_BY = 'policy:numa-placement';

/** Per VM, when its newest set-numa job that did not fail was enqueued: made once a plan, read per VM. */
export function placementJobTimes(jobs: readonly JobRecord[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const j of jobs) {
    if (j.action.type !== 'set-numa' || j.state === 'failed' || j.vmUuid === undefined) continue;
    const t = out.get(j.vmUuid);
    if (t === undefined || j.enqueuedAtMs > t) out.set(j.vmUuid, j.enqueuedAtMs);
  }
  return out;
}

/**
 * `jobs`: the snapshot's jobs, or their placementJobTimes (a plan asks for every VM: scanning every job for each
 * was O(VMs × jobs), the top of a 100-host cycle's profile).
 */
export function lastPlacedAtMs(vm: VmView, jobs: readonly JobRecord[] | ReadonlyMap<string, number>): number | undefined {
  const byJob = (jobs instanceof Map ? jobs : placementJobTimes(jobs as readonly JobRecord[])).get(vm.uuid);
  let newest = byJob;
  for (const p of vm.config?.pins ?? []) if (p.by === PLACEMENT_PIN_BY && (newest === undefined || p.atMs > newest)) newest = p.atMs;
  return newest;
}
