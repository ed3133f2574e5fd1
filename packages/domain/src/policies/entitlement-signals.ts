/**
 * What the resource policies publish about each VM's bounds for the policies after them (the cluster
 * policy): a VM's entitlement is its demand bounded by its reservation and its limit, as the CPU and
 * memory policies compute them from their own documents. The arithmetic is theirs (cpuEntitlementPercent,
 * memoryEntitlementMiB); a reader never copies it.
 */
import { defineSignal, groupByHost, hostList, isListOf } from './policy-signals.js';

export interface CpuBound {
  vmUuid: string;
  hostId: string;
  /** % of a pCPU: vCPUs × the reservation per vCPU (cpu-entitlement's reservedCpuPercent). */
  reservedPercent: number;
  /** % of a pCPU: vCPUs × the limit per vCPU, or vCPUs × 100 (cpuLimitPercent). */
  limitPercent: number;
}

/** Published by cpu-entitlement for every VM it sees, each cycle. */
export const cpuBounds = defineSignal<CpuBound[]>('cpu-entitlement/bounds', hostList<CpuBound>());

export interface MemoryVmBound {
  vmUuid: string;
  hostId: string;
  reservationMiB: number;
  limitMiB: number;
  /** What the VM needs now: its release floor, max(reservation, used + minUnused + consumption over the lookahead). */
  demandMiB: number;
  /** Its balloon (or the target in flight): what it holds of the host. */
  committedMiB: number;
}

export interface MemoryHostBound {
  hostId: string;
  /** Cap on Σ balloons of the host's VMs, MiB, when one is set. */
  budgetMiB?: number;
  /** Host free memory never given below this, MiB. */
  hostFreeFloorMiB: number;
}

export interface MemoryBounds {
  vms: MemoryVmBound[];
  hosts: MemoryHostBound[];
}

/** Published by memory-balloon each cycle: the VMs it manages and every host's budget and floor. */
export const memoryBounds = defineSignal<MemoryBounds>('memory-balloon/bounds', {
  split: (b) => {
    const vms = groupByHost(b.vms);
    const hosts = groupByHost(b.hosts);
    return new Map([...new Set([...hosts.keys(), ...vms.keys()])].map((h) => [h, { vms: vms.get(h) ?? [], hosts: hosts.get(h) ?? [] }]));
  },
  merge: (parts) => ({ vms: parts.flatMap((p) => p.vms), hosts: parts.flatMap((p) => p.hosts) }),
  isPartOf: (part, hostId): part is MemoryBounds => typeof part === 'object' && part !== null && isListOf((part as MemoryBounds).vms, hostId) && isListOf((part as MemoryBounds).hosts, hostId),
});

/** A VM's memory entitlement, MiB: its demand, at least its reservation, at most its limit. */
export function memoryEntitlementMiB(demandMiB: number, b: { reservationMiB: number; limitMiB: number }): number {
  return Math.min(b.limitMiB, Math.max(b.reservationMiB, demandMiB));
}
