import { kibToMib, type HostKsm, type HostView, type VmView } from '@ballast/domain';
import type { CycleDecision } from '@ballast/cycle';
import type { JobStatus } from '@ballast/queue';

const mib = (kib: number) => Math.round(kibToMib(kib) * 10) / 10;
const iso = (ms: number) => new Date(ms).toISOString();

/** The JSON shape of a host in the HTTP API: memory in MiB, units in every name. */
export function hostJson(h: HostView & { vmCount: number }) {
  return {
    hostId: h.hostId,
    hostname: h.hostname,
    pcpuCount: h.pcpuCount,
    memoryTotalMiB: mib(h.memoryTotalKiB),
    memoryFreeMiB: mib(h.memoryFreeKiB),
    vmCount: h.vmCount,
    pcpus: h.pcpus.map((p) => ({ pcpu: p.pcpu, usagePercent: round1(p.usagePercent) })),
    numaCells: h.numaCells.map((c) => ({ id: c.id, cpus: c.cpus, memoryMiB: mib(c.memoryKiB), freeMiB: mib(c.freeKiB) })),
    ksm: h.ksm ? ksmJson(h.ksm) : null,
    lastSampleAt: iso(h.lastSampleMs),
    intervalMs: h.intervalMs,
    stale: h.stale,
    labels: h.labels ?? {},
    maintenance: h.maintenance === true,
    migrationUri: h.migrationUri ?? null,
  };
}

/** KSM as the collector read it: settings, page counters, and ksmd's CPU (percent of one pCPU) when known. */
function ksmJson(k: HostKsm) {
  const { run, ksmdCpuPercent, ...paceAndCounters } = k;
  return { run: run ?? null, ...paceAndCounters, ksmdCpuPercent: ksmdCpuPercent !== undefined ? round1(ksmdCpuPercent) : null };
}

/** A VM's opt-out of policy jobs (docs/stop-switches.md): over the API (with who and since when) or by its label. */
export interface VmOptOutJson {
  source: 'api' | 'label';
  reason: string;
  since: string | null;
  actor: string | null;
}

export function vmJson(v: VmView, optOut?: VmOptOutJson) {
  return {
    name: v.name,
    uuid: v.uuid,
    host: v.hostId,
    state: v.state,
    cpuPercent: round1(v.cpuPercent),
    dirtyRateMiBPerSec: v.dirtyRateMiBPerSec ?? null,
    vcpus: v.vcpus.map((c) => ({
      id: c.id,
      pcpus: c.pcpus,
      usagePercent: round1(c.usagePercent),
      ...(c.currentPcpu !== undefined ? { currentPcpu: c.currentPcpu } : {}),
    })),
    balloon: v.balloon
      ? {
          actualMiB: mib(v.balloon.actualKiB),
          maximumMiB: mib(v.balloon.maximumKiB),
          hasGuestStats: v.balloon.hasGuestStats,
          unusedMiB: v.balloon.hasGuestStats ? mib(v.balloon.unusedKiB) : null,
          availableMiB: v.balloon.hasGuestStats ? mib(v.balloon.availableKiB) : null,
          usableMiB: v.balloon.hasGuestStats ? mib(v.balloon.usableKiB) : null,
          majorFaults: v.balloon.hasGuestStats ? v.balloon.majorFaults : null,
          swapInMiB: v.balloon.hasGuestStats ? mib(v.balloon.swapInKiB) : null,
          lastUpdateAt: v.balloon.lastUpdateSec > 0 ? iso(v.balloon.lastUpdateSec * 1000) : null,
        }
      : null,
    cpuTune: v.cpuTune ? { shares: v.cpuTune.shares, quotaUs: v.cpuTune.quotaUs, periodUs: v.cpuTune.periodUs } : null,
    numaTune: v.numaTune ? { mode: v.numaTune.mode, nodeset: v.numaTune.nodeset } : null,
    pins: (v.config?.pins ?? []).map((p) => ({ vcpu: p.vcpu, pcpus: p.pcpus, by: p.by, at: iso(p.atMs) })),
    labels: v.config?.labels ?? {},
    config: v.config
      ? {
          memoryLocked: v.config.memoryLocked,
          hugepages: v.config.hugepages,
          hostdevCount: v.config.hostdevCount,
          balloonModel: v.config.balloonModel,
          deflateOnOom: v.config.deflateOnOom,
        }
      : null,
    holds: v.holds.map((h) => ({ resource: h.resource, until: iso(h.untilMs) })),
    optedOut: optOut !== undefined,
    optOut: optOut ?? null,
  };
}

export function jobJson(s: JobStatus) {
  const { spec } = s;
  const { type, ...params } = spec.action;
  return {
    id: spec.id,
    state: s.state,
    type,
    ...(spec.vmName !== undefined ? { vm: spec.vmName, vmUuid: spec.vmUuid } : {}),
    host: spec.hostId,
    source: spec.source,
    ...(spec.policy !== undefined ? { policy: spec.policy } : {}),
    params,
    createdAt: iso(spec.createdAtMs),
    attempts: s.attempts,
    ...(s.result !== undefined ? { result: s.result } : {}),
    ...(s.error !== undefined ? { error: s.error } : {}),
    ...(s.finishedAtMs !== undefined ? { finishedAt: iso(s.finishedAtMs) } : {}),
    ...(s.progress !== undefined ? { progress: s.progress } : {}),
  };
}

/** A decision with its time and the jobs it made (each with its state and outcome once known). */
export function decisionJson(d: CycleDecision) {
  return { ...d, at: iso(d.atMs) };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
