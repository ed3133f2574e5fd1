/** Builders of snapshots for the memory-balloon tests (pure data, no I/O). */
import type { ClusterSnapshot, HostView, JobRecord, VmView } from '../../snapshot.js';

export const NOW_MS = 1_700_000_100_000;
export const INTERVAL_MS = 2000;

export interface Sample {
  actualMiB: number;
  unusedMiB: number;
  majorFaults?: number;
  swapInKiB?: number;
}

export interface VmOpts {
  actualMiB?: number;
  unusedMiB?: number;
  maxMiB?: number;
  /** Oldest first; the last one is the current sample. Default: `samples` copies of the current one. */
  history?: Sample[];
  samples?: number;
  hostId?: string;
  state?: VmView['state'];
  /** false: the guest reports no stats. */
  guestStats?: boolean;
  /** Age of the guest stats at NOW_MS, s. */
  statsAgeSec?: number;
  noBalloon?: boolean;
  holds?: VmView['holds'];
}

export function vm(name: string, o: VmOpts = {}): VmView {
  const actual = o.actualMiB ?? 512;
  const unused = o.unusedMiB ?? 200;
  const history: Sample[] = o.history ?? Array.from({ length: o.samples ?? 10 }, () => ({ actualMiB: actual, unusedMiB: unused }));
  const last: Sample = history[history.length - 1] ?? { actualMiB: actual, unusedMiB: unused };
  const guest = o.guestStats ?? true;
  const n = history.length;
  const v: VmView = {
    uuid: `uuid-${name}`,
    name,
    state: o.state ?? 'running',
    cpuPercent: 5,
    vcpus: [{ id: 0, usagePercent: 5, pcpus: [0] }],
    hostId: o.hostId ?? 'h1',
    window: history.map((s, i) => ({
      takenAtMs: NOW_MS - (n - 1 - i) * INTERVAL_MS,
      cpuPercent: 5,
      actualKiB: s.actualMiB * 1024,
      ...(guest ? { unusedKiB: s.unusedMiB * 1024, majorFaults: s.majorFaults ?? 0, swapInKiB: s.swapInKiB ?? 0 } : {}),
    })),
    holds: o.holds ?? [],
  };
  if (!o.noBalloon) {
    v.balloon = {
      actualKiB: last.actualMiB * 1024,
      maximumKiB: (o.maxMiB ?? 2048) * 1024,
      hasGuestStats: guest,
      unusedKiB: guest ? last.unusedMiB * 1024 : 0,
      availableKiB: guest ? (last.actualMiB - 32) * 1024 : 0,
      usableKiB: guest ? last.unusedMiB * 1024 : 0,
      majorFaults: last.majorFaults ?? 0,
      swapInKiB: last.swapInKiB ?? 0,
      lastUpdateSec: guest ? Math.floor(NOW_MS / 1000) - (o.statsAgeSec ?? 1) : 0,
    };
  }
  return v;
}

export function host(hostId = 'h1', freeMiB = 16384, over: Partial<HostView> = {}): HostView {
  return {
    hostId,
    hostname: hostId,
    pcpuCount: 4,
    memoryTotalKiB: 32 * 1024 * 1024,
    memoryFreeKiB: freeMiB * 1024,
    pcpus: [],
    numaCells: [{ id: 0, cpus: [0, 1, 2, 3], memoryKiB: 32 * 1024 * 1024, freeKiB: freeMiB * 1024 }],
    lastSampleMs: NOW_MS,
    intervalMs: INTERVAL_MS,
    stale: false,
    ...over,
  };
}

const targets = new WeakMap<VmView, number>();

/** Marks a set-memory job to `targetMiB` in flight for `v` (what the engine's cycle reports); undefined clears it. */
export function setInFlight(v: VmView, targetMiB: number | undefined): void {
  if (targetMiB === undefined) targets.delete(v);
  else targets.set(v, targetMiB);
}

/** The in-flight job record snap() puts in the snapshot for a VM marked with setInFlight. */
export function inFlightJob(v: VmView, targetMiB: number, nowMs = NOW_MS): JobRecord {
  return {
    id: `job-${v.name}-${targetMiB}`,
    source: 'policy',
    policy: 'memory-balloon',
    hostId: v.hostId,
    vmUuid: v.uuid,
    key: `${v.uuid}/memory`,
    action: { type: 'set-memory', memoryMiB: targetMiB },
    enqueuedAtMs: nowMs - 1000,
    state: 'queued',
    attempts: 0,
    inFlight: true,
  };
}

export function snap(vms: VmView[], hosts: HostView[] = [host()], nowMs = NOW_MS): ClusterSnapshot {
  const jobs: JobRecord[] = [];
  for (const v of vms) {
    const t = targets.get(v);
    if (t !== undefined) jobs.push(inFlightJob(v, t, nowMs));
  }
  return { nowMs, hosts, vms, jobs, signals: {} };
}

/** A window of `n` samples in which used memory grows by `rateMiBPerSec` and the balloon stays put. */
export function consuming(actualMiB: number, unusedNowMiB: number, rateMiBPerSec: number, n = 6): Sample[] {
  return Array.from({ length: n }, (_, i) => ({
    actualMiB,
    unusedMiB: unusedNowMiB + (n - 1 - i) * rateMiBPerSec * (INTERVAL_MS / 1000),
  }));
}

/** A small seeded PRNG for property tests. */
export { mulberry32 as prng } from '../../seeded-random.js';
