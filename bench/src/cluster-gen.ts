/**
 * Seeded random clusters for the cluster-balance bench: hosts of mixed sizes, VMs whose CPU use is skewed
 * (most idle, a few busy) and whose balloons are mostly larger than what their guests use, placed so a few
 * hosts carry most of the load (the cluster starts unbalanced), never more balloons on a host than its
 * memory holds. Optionally with memory-balloon's bounds signal (per-VM demand, per-host budget and floor).
 * Moves are applied to a snapshot as a finished migration would leave it (applyMoves).
 */
import { memoryBounds, mulberry32, publish, type ClusterSnapshot, type HostView, type MemoryBounds, type VmView } from '@ballast/domain';

export const GEN_NOW_MS = 1_800_000_000_000;
const KIB_MIB = 1024;

export interface ClusterSpec {
  hosts: number;
  vms: number;
  seed: number;
  /** Host sizes to pick from: pCPUs and memory, GiB. */
  sizes: readonly { pcpus: number; memoryGiB: number }[];
  /** Balloon sizes to pick from, MiB. */
  vmMiB: readonly number[];
  /** Publish memory-balloon/bounds (a budget of 90 % of each host's memory, floor 512 MiB). */
  bounds?: boolean;
  /** Share of the cluster's memory the balloons fill (default 0.55). */
  fill?: number;
}

export const BIG_SIZES = [
  { pcpus: 16, memoryGiB: 64 },
  { pcpus: 32, memoryGiB: 128 },
  { pcpus: 48, memoryGiB: 256 },
] as const;
export const BIG_VM_MIB = [1024, 2048, 2048, 4096, 4096, 8192, 16384] as const;
export const SMALL_SIZES = [
  { pcpus: 4, memoryGiB: 16 },
  { pcpus: 8, memoryGiB: 32 },
  { pcpus: 16, memoryGiB: 48 },
] as const;
export const SMALL_VM_MIB = [1024, 2048, 2048, 4096, 6144] as const;

/** Host memory the host itself uses (not a VM's), MiB. */
const hostOverheadMiB = (memoryGiB: number) => Math.max(1024, memoryGiB * 1024 * 0.03);

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

/** A host with pCPUs and memory, GiB; free memory: its memory less its own use unless given. */
export function hostOf(id: string, pcpus: number, memoryGiB: number, freeMiB?: number): HostView {
  return {
    hostId: id,
    hostname: id,
    pcpuCount: pcpus,
    memoryTotalKiB: memoryGiB * 1024 * KIB_MIB,
    memoryFreeKiB: (freeMiB ?? memoryGiB * 1024 - hostOverheadMiB(memoryGiB)) * KIB_MIB,
    pcpus: [],
    numaCells: [],
    lastSampleMs: GEN_NOW_MS,
    intervalMs: 2000,
    stale: false,
    labels: {},
    migrationUri: `qemu+tcp://${id}/system`,
    migrationDataUri: `tcp://${id}`,
  };
}

/** One VM: 1-8 vCPUs, CPU use skewed (u³: most near idle), a balloon with 20-90 % of it used by the guest. */
function vmView(rnd: Rnd, name: string, hostId: string, memMiB: number): VmView {
  const vcpus = pick(rnd, [1, 1, 2, 2, 4, 8]);
  const cpu = rnd() ** 3 * vcpus * 100;
  const usedMiB = memMiB * (0.2 + 0.7 * rnd());
  return vmOf(name, hostId, { vcpus, cpu, memMiB, usedMiB, dirtyMiBPerSec: rnd() * 20 });
}

/** A running VM with a balloon of memMiB, usedMiB of it used by its guest, and cpu % of a pCPU in use. */
export function vmOf(name: string, hostId: string, o: { vcpus?: number; cpu: number; memMiB: number; usedMiB: number; dirtyMiBPerSec?: number }): VmView {
  const vcpus = o.vcpus ?? 1;
  const mem = o.memMiB * KIB_MIB;
  return {
    uuid: `uuid-${name}`,
    name,
    state: 'running',
    cpuPercent: o.cpu,
    vcpus: Array.from({ length: vcpus }, (_, id) => ({ id, usagePercent: o.cpu / vcpus, pcpus: [] })),
    config: { labels: {}, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: [] },
    balloon: { actualKiB: mem, maximumKiB: mem, hasGuestStats: true, unusedKiB: mem - o.usedMiB * KIB_MIB, availableKiB: mem, usableKiB: 0, majorFaults: 0, swapInKiB: 0, lastUpdateSec: GEN_NOW_MS / 1000 },
    dirtyRateMiBPerSec: o.dirtyMiBPerSec ?? 0,
    hostId,
    window: [],
    holds: [],
  };
}

/** Host index for the next VM: weighted to the "hot" hosts (weight w³), else the one with the most room. */
function placeOn(rnd: Rnd, weights: number[], roomMiB: number[], memMiB: number): number {
  const total = weights.reduce((a, w) => a + w, 0);
  for (let tries = 0; tries < 4; tries++) {
    let r = rnd() * total;
    let h = 0;
    while (h < weights.length - 1 && r >= (weights[h] as number)) r -= weights[h++] as number;
    if ((roomMiB[h] as number) >= memMiB) return h;
  }
  let best = 0;
  for (let h = 1; h < roomMiB.length; h++) if ((roomMiB[h] as number) > (roomMiB[best] as number)) best = h;
  return best;
}

export function randomCluster(spec: ClusterSpec): ClusterSnapshot {
  const rnd = mulberry32(spec.seed);
  const hosts = Array.from({ length: spec.hosts }, (_, h) => {
    const size = pick(rnd, spec.sizes);
    return hostOf(`h${String(h).padStart(3, '0')}`, size.pcpus, size.memoryGiB);
  });
  const memTotal = hosts.reduce((a, h) => a + h.memoryTotalKiB / KIB_MIB, 0);
  const weights = hosts.map((h) => rnd() ** 3 * h.pcpuCount);
  // balloons may fill a host to 92 % of its memory less its own use (the generator never overfills one)
  const room = hosts.map((h) => (h.memoryTotalKiB / KIB_MIB) * 0.92 - hostOverheadMiB(h.memoryTotalKiB / KIB_MIB / 1024));
  const sizes = Array.from({ length: spec.vms }, () => pick(rnd, spec.vmMiB));
  const scale = ((spec.fill ?? 0.55) * memTotal) / Math.max(1, sizes.reduce((a, m) => a + m, 0));
  const vms: VmView[] = [];
  sizes.forEach((m, i) => {
    const memMiB = Math.max(512, Math.round((m * Math.min(1, scale)) / 256) * 256);
    const h = placeOn(rnd, weights, room, memMiB);
    room[h] = (room[h] as number) - memMiB;
    const host = hosts[h] as HostView;
    host.memoryFreeKiB -= memMiB * KIB_MIB;
    vms.push(vmView(rnd, `vm${String(i).padStart(5, '0')}`, host.hostId, memMiB));
  });
  const signals: Record<string, unknown> = {};
  if (spec.bounds) {
    const sg = publish(memoryBounds, boundsOf(hosts, vms));
    signals[sg.name] = sg.value;
  }
  return { nowMs: GEN_NOW_MS, hosts, vms, jobs: [], signals, migrations: [] };
}

function boundsOf(hosts: HostView[], vms: VmView[]): MemoryBounds {
  return {
    hosts: hosts.map((h) => ({ hostId: h.hostId, hostFreeFloorMiB: 512, budgetMiB: Math.round((h.memoryTotalKiB / KIB_MIB) * 0.9) })),
    vms: vms.map((v) => {
      const b = v.balloon as NonNullable<VmView['balloon']>;
      const usedMiB = (b.actualKiB - b.unusedKiB) / KIB_MIB;
      return { vmUuid: v.uuid, hostId: v.hostId, reservationMiB: 0, limitMiB: b.maximumKiB / KIB_MIB, demandMiB: usedMiB + 100, committedMiB: b.actualKiB / KIB_MIB };
    }),
  };
}

/** The snapshot after the VMs moved (vm uuid → host id): each balloon leaves its host's free memory and takes the destination's. */
export function applyMoves(s: ClusterSnapshot, moves: readonly { vmUuid: string; to: string }[]): ClusterSnapshot {
  const where = new Map(moves.map((m) => [m.vmUuid, m.to]));
  const delta = new Map<string, number>();
  const vms = s.vms.map((v) => {
    const to = where.get(v.uuid);
    if (to === undefined || to === v.hostId) return v;
    const kib = v.balloon?.actualKiB ?? 0;
    delta.set(v.hostId, (delta.get(v.hostId) ?? 0) + kib);
    delta.set(to, (delta.get(to) ?? 0) - kib);
    return { ...v, hostId: to };
  });
  const hosts = s.hosts.map((h) => (delta.has(h.hostId) ? { ...h, memoryFreeKiB: h.memoryFreeKiB + (delta.get(h.hostId) as number) } : h));
  return { ...s, hosts, vms };
}

/** The migrate jobs of a plan as moves. */
export function movesOf(jobs: readonly { vmUuid?: string; action: { type: string } & Partial<{ targetHost: string }> }[]): { vmUuid: string; to: string }[] {
  return jobs.flatMap((j) => (j.vmUuid !== undefined && j.action.type === 'migrate' && j.action.targetHost ? [{ vmUuid: j.vmUuid, to: j.action.targetHost }] : []));
}
