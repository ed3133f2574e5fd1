import type { HostReport, VmReport, VmState as DomainVmState } from '@ballast/domain';
import { VmState, type HostSample, type VmSample } from './gen/ballast/v1/sample.js';

/**
 * HostReport/VmReport (domain) <-> HostSample/VmSample (proto): both the collector and the policy engine
 * use these, so they live beside the generated code rather than in each service's mappers.ts.
 */

const STATES: Record<VmState, DomainVmState> = {
  [VmState.VM_STATE_UNSPECIFIED]: 'nostate',
  [VmState.VM_STATE_RUNNING]: 'running',
  [VmState.VM_STATE_BLOCKED]: 'blocked',
  [VmState.VM_STATE_PAUSED]: 'paused',
  [VmState.VM_STATE_SHUTDOWN]: 'shutdown',
  [VmState.VM_STATE_SHUTOFF]: 'shutoff',
  [VmState.VM_STATE_CRASHED]: 'crashed',
  [VmState.VM_STATE_PMSUSPENDED]: 'pmsuspended',
};

export function vmStateToProto(s: string): VmState {
  const hit = Object.entries(STATES).find(([, v]) => v === s);
  return hit ? (Number(hit[0]) as VmState) : VmState.VM_STATE_UNSPECIFIED;
}

/** Proto HostSample → domain HostReport (validated: host id and numbers present). */
export function hostReportFromProto(s: HostSample): HostReport {
  if (!s.hostId) throw new Error('sample.host_id: required');
  const r: HostReport = {
    hostId: s.hostId,
    hostname: s.hostname,
    hostUuid: s.hostUuid,
    takenAtMs: s.takenAtMs,
    collectMs: s.collectMs,
    intervalMs: s.intervalMs,
    pcpuCount: s.pcpuCount,
    memoryTotalKiB: s.memoryTotalKib,
    memoryFreeKiB: s.memoryFreeKib,
    pcpus: s.pcpus.map((p) => ({ pcpu: p.pcpu, usagePercent: p.usagePercent })),
    numaCells: s.numaCells.map((c) => ({ id: c.id, cpus: [...c.cpus], memoryKiB: c.memoryKib, freeKiB: c.freeKib })),
    vms: s.vms.map(vmFromProto),
  };
  if (s.migrationUri) r.migrationUri = s.migrationUri;
  if (s.migrationDataUri) r.migrationDataUri = s.migrationDataUri;
  return r;
}

function vmFromProto(v: VmSample): VmReport {
  const r: VmReport = {
    uuid: v.uuid,
    name: v.name,
    state: STATES[v.state] ?? 'nostate',
    cpuPercent: v.cpuPercent,
    vcpus: v.vcpus.map((c) => ({
      id: c.id,
      usagePercent: c.usagePercent,
      pcpus: [...c.pcpus],
      ...(c.currentPcpu >= 0 ? { currentPcpu: c.currentPcpu } : {}),
    })),
  };
  if (v.config) {
    const c = v.config;
    r.config = {
      labels: { ...c.labels },
      memoryLocked: c.memoryLocked,
      hugepages: c.hugepages,
      hostdevCount: c.hostdevCount,
      balloonModel: c.balloonModel,
      deflateOnOom: c.deflateOnOom,
    };
  }
  if (v.balloon) {
    const b = v.balloon;
    r.balloon = {
      actualKiB: b.actualKib,
      maximumKiB: b.maximumKib,
      hasGuestStats: b.hasGuestStats,
      unusedKiB: b.unusedKib,
      availableKiB: b.availableKib,
      usableKiB: b.usableKib,
      majorFaults: b.majorFaults,
      swapInKiB: b.swapInKib,
      lastUpdateSec: b.lastUpdateSec,
    };
  }
  return r;
}

export function vmToProto(v: VmReport): VmSample {
  const out: VmSample = {
    uuid: v.uuid,
    name: v.name,
    state: vmStateToProto(v.state),
    cpuPercent: v.cpuPercent,
    vcpus: v.vcpus.map((c) => ({ id: c.id, usagePercent: c.usagePercent, pcpus: c.pcpus, currentPcpu: c.currentPcpu ?? -1 })),
  };
  if (v.config) out.config = { ...v.config, labels: { ...v.config.labels } };
  if (v.balloon) {
    const b = v.balloon;
    out.balloon = {
      actualKib: b.actualKiB,
      maximumKib: b.maximumKiB,
      hasGuestStats: b.hasGuestStats,
      unusedKib: b.unusedKiB,
      availableKib: b.availableKiB,
      usableKib: b.usableKiB,
      majorFaults: b.majorFaults,
      swapInKib: b.swapInKiB,
      lastUpdateSec: b.lastUpdateSec,
    };
  }
  return out;
}

/** Domain HostReport → proto HostSample (the only place the collector touches generated types). */
export function hostSampleFromReport(r: HostReport): HostSample {
  return {
    hostId: r.hostId,
    hostname: r.hostname,
    hostUuid: r.hostUuid,
    takenAtMs: r.takenAtMs,
    collectMs: r.collectMs,
    intervalMs: r.intervalMs,
    pcpuCount: r.pcpuCount,
    memoryTotalKib: r.memoryTotalKiB,
    memoryFreeKib: r.memoryFreeKiB,
    pcpus: r.pcpus,
    numaCells: r.numaCells.map((c) => ({ id: c.id, cpus: c.cpus, memoryKib: c.memoryKiB, freeKib: c.freeKiB })),
    vms: r.vms.map(vmToProto),
    migrationUri: r.migrationUri ?? '',
    migrationDataUri: r.migrationDataUri ?? '',
  };
}

