/**
 * Whose each vCPU's pin is. A vCPU whose affinity equals a pin Ballast recorded (the domain's <metadata>
 * pin records, or a pin-vcpu job that succeeded lately: the record may not be read back yet) is Ballast's,
 * whoever asked ('policy:<name>' or 'manual'). A vCPU allowed every pCPU its VM may use is unpinned: the
 * balancer's to pin. Any other affinity was set by someone else (foreign). A pin in flight counts as done.
 */
import type { VmView } from '../../snapshot.js';
import { isSubset, sameSet } from './cpu-sets.js';
import type { PinJobs } from './in-flight.js';

export type VcpuOwner =
  | { kind: 'ballast'; by: string; atMs: number }
  | { kind: 'unpinned' }
  | { kind: 'foreign' }
  | { kind: 'in-flight'; pcpus: number[] };

/** The owner of one vCPU's pin; `allowed`: the pCPUs its VM may use (layout.ts). */
export function ownerOf(vm: Pick<VmView, 'config'>, vcpu: number, affinity: readonly number[], allowed: readonly number[], jobs: PinJobs | undefined): VcpuOwner {
  if (jobs?.inFlight !== undefined) return { kind: 'in-flight', pcpus: jobs.inFlight };
  const record = vm.config?.pins.find((r) => r.vcpu === vcpu && sameSet(r.pcpus, affinity));
  const done = jobs?.done.find((d) => sameSet(d.pcpus, affinity));
  // the newer of the record and the job that set it (the record is read back only now and then)
  if (record) return { kind: 'ballast', by: record.by, atMs: Math.max(record.atMs, done?.atMs ?? 0) };
  if (done) return { kind: 'ballast', by: done.by, atMs: done.atMs };
  if (affinity.length >= allowed.length && isSubset(allowed, affinity)) return { kind: 'unpinned' };
  return { kind: 'foreign' };
}
