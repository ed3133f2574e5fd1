import type { HostKsm, HostReport, KsmRun, NumaMode, VmConfig, VmReport, VmState as DomainVmState } from '@ballast/domain';
import { VmState, type HostSample, type KsmSample, type VmConfigSample, type VmSample } from './gen/ballast/v1/sample.js';

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
  if (s.ksm) r.ksm = ksmFromProto(s.ksm);
  if (s.labels && Object.keys(s.labels).length > 0) r.labels = { ...s.labels };
  return r;
}

const KSM_RUNS: readonly string[] = ['run', 'stop', 'unmerge'] satisfies KsmRun[];
const NUMA_MODES: readonly string[] = ['strict', 'preferred', 'interleave', 'restrictive'] satisfies NumaMode[];

function ksmFromProto(k: KsmSample): HostKsm {
  return {
    ...(KSM_RUNS.includes(k.run) ? { run: k.run as KsmRun } : {}),
    pagesToScan: k.pagesToScan,
    sleepMillisecs: k.sleepMillisecs,
    pagesShared: k.pagesShared,
    pagesSharing: k.pagesSharing,
    pagesUnshared: k.pagesUnshared,
    pagesVolatile: k.pagesVolatile,
    fullScans: k.fullScans,
    ...(k.ksmdCpuPercent !== undefined ? { ksmdCpuPercent: k.ksmdCpuPercent } : {}),
  };
}

function ksmToProto(k: HostKsm): KsmSample {
  const { run, ksmdCpuPercent, ...counts } = k;
  return { run: run ?? '', ...counts, ...(ksmdCpuPercent !== undefined ? { ksmdCpuPercent } : {}) };
}

function configFromProto(c: VmConfigSample): VmConfig {
  return {
    labels: { ...c.labels },
    memoryLocked: c.memoryLocked,
    hugepages: c.hugepages,
    hostdevCount: c.hostdevCount,
    balloonModel: c.balloonModel,
    deflateOnOom: c.deflateOnOom,
    pins: c.pins.map((p) => ({ vcpu: p.vcpu, pcpus: [...p.pcpus], by: p.by, atMs: p.atMs })),
  };
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
      ...(c.waitPercent !== undefined ? { waitPercent: c.waitPercent } : {}),
      pcpus: [...c.pcpus],
      ...(c.currentPcpu >= 0 ? { currentPcpu: c.currentPcpu } : {}),
    })),
  };
  if (v.config) r.config = configFromProto(v.config);
  if (v.cpuTune) {
    r.cpuTune = { shares: v.cpuTune.shares, quotaUs: v.cpuTune.quotaUs, periodUs: v.cpuTune.periodUs };
    if (v.cpuTune.emulatorPcpus.length > 0) r.cpuTune.emulatorPcpus = [...v.cpuTune.emulatorPcpus];
  }
  if (v.numaTune && NUMA_MODES.includes(v.numaTune.mode)) r.numaTune = { mode: v.numaTune.mode as NumaMode, nodeset: [...v.numaTune.nodeset] };
  if (v.dirtyRateMibPerSec !== undefined) r.dirtyRateMiBPerSec = v.dirtyRateMibPerSec;
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
    vcpus: v.vcpus.map((c) => ({ id: c.id, usagePercent: c.usagePercent, pcpus: c.pcpus, currentPcpu: c.currentPcpu ?? -1, ...(c.waitPercent !== undefined ? { waitPercent: c.waitPercent } : {}) })),
  };
  if (v.config) out.config = { ...v.config, labels: { ...v.config.labels }, pins: v.config.pins.map((p) => ({ ...p, pcpus: [...p.pcpus] })) };
  if (v.cpuTune) out.cpuTune = { shares: v.cpuTune.shares, quotaUs: v.cpuTune.quotaUs, periodUs: v.cpuTune.periodUs, emulatorPcpus: [...(v.cpuTune.emulatorPcpus ?? [])] };
  if (v.numaTune) out.numaTune = { mode: v.numaTune.mode, nodeset: [...v.numaTune.nodeset] };
  if (v.dirtyRateMiBPerSec !== undefined) out.dirtyRateMibPerSec = v.dirtyRateMiBPerSec;
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
    ...(r.ksm ? { ksm: ksmToProto(r.ksm) } : {}),
    labels: r.labels ?? {},
  };
}

