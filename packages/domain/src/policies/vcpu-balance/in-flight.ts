/**
 * When a pin-vcpu job counts as in flight for this policy (its InFlightRule), and what the snapshot's jobs
 * say about each vCPU's pins: the pin in flight (counted as done, not planned again) and the pins that
 * succeeded lately (evidence that Ballast set an affinity, until the pin record in the domain's
 * <metadata> is read back: the collector re-reads the domain configuration only now and then).
 */
import type { InFlightRule } from '../policy.js';
import { findVm, type JobRecord } from '../../snapshot.js';
import { sameSet } from './cpu-sets.js';

/**
 * Queued or active: in flight for up to 30 s. Done: in flight until the samples show the vCPU's affinity
 * equal to the job's pCPUs (the collector re-reads a VM's pinning after its tunable event), for up to 6 s.
 */
export const vcpuInFlightRule: InFlightRule = {
  pendingMs: 30_000,
  settleMs: 6_000,
  settled(job, snapshot) {
    if (job.action.type !== 'pin-vcpu') return true;
    const { vcpu, pcpus } = job.action;
    const vm = findVm(snapshot.vms, job.vmUuid, job.hostId);
    const now = vm?.vcpus.find((c) => c.id === vcpu);
    return now === undefined || sameSet(now.pcpus, pcpus);
  },
};

/** A pin job seen in the snapshot for one vCPU. */
export interface PinJobs {
  /** pCPUs of the pin in flight (the newest job of the key; any source). */
  inFlight?: number[];
  /** Pins that succeeded (newest first), with who asked: 'manual' or 'policy:<name>', and when it was asked. */
  done: { pcpus: number[]; by: string; atMs: number }[];
}

/** The snapshot's pin-vcpu jobs by VM UUID and vCPU id, and the VMs with a set-numa job in flight. */
export function pinJobsByVcpu(jobs: readonly JobRecord[]): { pins: Map<string, Map<number, PinJobs>>; numaInFlight: Set<string> } {
  const pins = new Map<string, Map<number, PinJobs>>();
  const numaInFlight = new Set<string>();
  for (const j of [...jobs].sort((a, b) => b.enqueuedAtMs - a.enqueuedAtMs)) {
    if (j.vmUuid === undefined) continue;
    if (j.action.type === 'set-numa') {
      if (j.inFlight) numaInFlight.add(j.vmUuid);
      continue;
    }
    if (j.action.type !== 'pin-vcpu') continue;
    const vm = pins.get(j.vmUuid) ?? new Map<number, PinJobs>();
    const entry = vm.get(j.action.vcpu) ?? { done: [] };
    if (j.inFlight && entry.inFlight === undefined) entry.inFlight = [...j.action.pcpus];
    if (j.state === 'succeeded') entry.done.push({ pcpus: [...j.action.pcpus], by: j.source === 'manual' ? 'manual' : `policy:${j.policy ?? '?'}`, atMs: j.enqueuedAtMs });
    vm.set(j.action.vcpu, entry);
    pins.set(j.vmUuid, vm);
  }
  return { pins, numaInFlight };
}
