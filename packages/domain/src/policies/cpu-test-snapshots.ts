/**
 * Builders of snapshots for the CPU policies' tests (cpu-entitlement, numa-placement): hosts with pCPUs
 * and NUMA cells as SimHypervisor lays them out (cells of equal size, pCPUs numbered cell by cell), VMs
 * with vCPU affinity, usage, cpu tune and numatune. Pure data, no I/O.
 */
import type { ActionOf, JobAction, JobTypeName } from '../jobs/index.js';
import type { CpuTune, NumaCell, NumaTune } from '../model.js';
import type { ClusterSnapshot, HostView, JobRecord, VmView } from '../snapshot.js';

export const NOW_MS = 1_700_000_100_000;
export const INTERVAL_MS = 2000;
const KIB_PER_GIB = 1024 * 1024;

export interface HostOpts {
  pcpus?: number;
  /** Number of NUMA cells (the pCPUs split evenly between them, in order). */
  cells?: number;
  cellMemoryGiB?: number;
  /** Free memory per cell, GiB (default: half of each cell). */
  cellFreeGiB?: number[];
  /** Busy % of each pCPU (default 0). */
  usage?: number[];
  stale?: boolean;
}

export function cpuHost(hostId = 'h1', o: HostOpts = {}): HostView {
  const pcpuCount = o.pcpus ?? 4;
  const cellCount = o.cells ?? 1;
  const per = Math.max(1, Math.floor(pcpuCount / cellCount));
  const memKiB = (o.cellMemoryGiB ?? 8) * KIB_PER_GIB;
  const numaCells: NumaCell[] = Array.from({ length: cellCount }, (_, id) => ({
    id,
    cpus: Array.from({ length: per }, (_, i) => id * per + i),
    memoryKiB: memKiB,
    freeKiB: (o.cellFreeGiB?.[id] ?? (o.cellMemoryGiB ?? 8) / 2) * KIB_PER_GIB,
  }));
  return {
    hostId,
    hostname: hostId,
    pcpuCount,
    memoryTotalKiB: memKiB * cellCount,
    memoryFreeKiB: numaCells.reduce((a, c) => a + c.freeKiB, 0),
    pcpus: Array.from({ length: pcpuCount }, (_, p) => ({ pcpu: p, usagePercent: o.usage?.[p] ?? 0 })),
    numaCells,
    lastSampleMs: NOW_MS,
    intervalMs: INTERVAL_MS,
    stale: o.stale ?? false,
  };
}

export interface CpuVmOpts {
  hostId?: string;
  vcpus?: number;
  /** Affinity of every vCPU (default: pCPUs 0-3), or one list per vCPU. */
  pcpus?: number[] | number[][];
  /** Busy % of each vCPU over the window (default 10). */
  usage?: number;
  /** The pCPU each vCPU last ran on (default: the first of its affinity). */
  currentPcpu?: number[];
  /** null: not collected. Default: cpu_shares 1024, unlimited. */
  cpuTune?: CpuTune | null;
  /** null: not collected. Default: no numatune (strict, empty nodeset). */
  numaTune?: NumaTune | null;
  memoryMiB?: number;
  state?: VmView['state'];
  labels?: Record<string, string>;
  holds?: VmView['holds'];
  samples?: number;
}

export function cpuVm(name: string, o: CpuVmOpts = {}): VmView {
  const vcpus = o.vcpus ?? 1;
  const aff = (i: number): number[] => {
    const p = o.pcpus ?? [0, 1, 2, 3];
    return Array.isArray(p[0]) ? ((p as number[][])[i] ?? []) : (p as number[]);
  };
  const usage = o.usage ?? 10;
  const cur = (i: number): number => o.currentPcpu?.[i] ?? aff(i)[0] ?? 0;
  const n = o.samples ?? 5;
  const memKiB = (o.memoryMiB ?? 1024) * 1024;
  const v: VmView = {
    uuid: `uuid-${name}`,
    name,
    state: o.state ?? 'running',
    cpuPercent: usage * vcpus,
    vcpus: Array.from({ length: vcpus }, (_, id) => ({ id, usagePercent: usage, pcpus: aff(id), currentPcpu: cur(id) })),
    hostId: o.hostId ?? 'h1',
    window: Array.from({ length: n }, (_, i) => ({
      takenAtMs: NOW_MS - (n - 1 - i) * INTERVAL_MS,
      cpuPercent: usage * vcpus,
      actualKiB: memKiB,
      vcpuPercent: Array.from({ length: vcpus }, () => usage),
      vcpuPcpu: Array.from({ length: vcpus }, (_, id) => cur(id)),
    })),
    holds: o.holds ?? [],
    balloon: { actualKiB: memKiB, maximumKiB: memKiB, hasGuestStats: false, unusedKiB: 0, availableKiB: 0, usableKiB: 0, majorFaults: 0, swapInKiB: 0, lastUpdateSec: 0 },
    config: { labels: o.labels ?? {}, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: [] },
  };
  if (o.cpuTune !== null) v.cpuTune = o.cpuTune ?? { shares: 1024, quotaUs: -1, periodUs: 100_000 };
  if (o.numaTune !== null) v.numaTune = o.numaTune ?? { mode: 'strict', nodeset: [] };
  return v;
}

export function cpuSnap(vms: VmView[], hosts: HostView[] = [cpuHost()], o: { jobs?: JobRecord[]; nowMs?: number } = {}): ClusterSnapshot {
  return { nowMs: o.nowMs ?? NOW_MS, hosts, vms, jobs: o.jobs ?? [], signals: {} };
}

/** A job record as the cycle shows it in snapshot.jobs. */
export function jobOf<T extends JobTypeName>(
  v: VmView,
  action: ActionOf<T>,
  o: { policy?: string; state?: JobRecord['state']; inFlight?: boolean; enqueuedAtMs?: number; key?: string } = {},
): JobRecord {
  return {
    id: `job-${v.name}-${action.type}-${o.enqueuedAtMs ?? NOW_MS - 1000}`,
    source: 'policy',
    ...(o.policy !== undefined ? { policy: o.policy } : {}),
    hostId: v.hostId,
    vmUuid: v.uuid,
    key: o.key ?? `${v.uuid}/${action.type}`,
    action: action as JobAction,
    enqueuedAtMs: o.enqueuedAtMs ?? NOW_MS - 1000,
    state: o.state ?? 'queued',
    attempts: 0,
    inFlight: o.inFlight ?? true,
  };
}
