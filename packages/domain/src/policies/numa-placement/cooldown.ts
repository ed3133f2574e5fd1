/**
 * When a VM was last placed, derived from the snapshot so the policy stays stateless: the newest set-numa
 * job for it that did not fail (snapshot.jobs keeps finished jobs 10 minutes), or the newest vCPU pin
 * this policy recorded in the domain's <metadata> (VmConfig.pins, `by` = 'policy:numa-placement'), which
 * survives engine restarts once the actuator records pins.
 */
import type { JobRecord, VmView } from '../../snapshot.js';

export const PLACEMENT_PIN_BY = 'policy:numa-placement';

export function lastPlacedAtMs(vm: VmView, jobs: readonly JobRecord[]): number | undefined {
  const times = [
    ...jobs.filter((j) => j.vmUuid === vm.uuid && j.action.type === 'set-numa' && j.state !== 'failed').map((j) => j.enqueuedAtMs),
    ...(vm.config?.pins ?? []).filter((p) => p.by === PLACEMENT_PIN_BY).map((p) => p.atMs),
  ];
  return times.length > 0 ? Math.max(...times) : undefined;
}
