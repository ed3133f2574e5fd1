// For tests: a set-memory job spec of the memory policy, as the cycle makes them.
import { JOB_SCHEMA_VERSION, type JobSpec } from '@ballast/domain';

/** Job `id` on `hostId` for VM number `n` (uuid-n, vm-n), a target of 600 + n MiB, made now. */
export function setMemorySpec(hostId: string, id: string, n: number): JobSpec {
  return {
    schemaVersion: JOB_SCHEMA_VERSION,
    id,
    hostId,
    vmUuid: `uuid-${n}`,
    vmName: `vm-${n}`,
    source: 'policy',
    policy: 'memory-balloon',
    createdAtMs: Date.now(),
    action: { type: 'set-memory', memoryMiB: 600 + n },
  };
}
