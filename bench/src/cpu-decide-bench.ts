/**
 * How long the vcpu-balance policy takes to decide pins for a large cluster in one cycle: 500 hosts × 20
 * VMs (16 pCPUs in 2 NUMA cells each; 1-4 vCPUs a VM), its plan called on a prepared snapshot, several runs.
 * The snapshot is seeded and lopsided on purpose (unpinned vCPUs at random pCPUs), so most hosts search.
 */
import { mulberry32, PinRecord, vcpuBalancePolicy, type ClusterSnapshot, type HostView, type VmView } from '@ballast/domain';
import { cpus, loadavg } from 'node:os';
import { median, percentile, type BenchRow } from './stats.js';

const HOSTS = 500;
const VMS_PER_HOST = 20;
const PCPUS = 16;
const SAMPLES = 10;
const RUNS = 9;
const NOW_MS = 1_700_000_000_000;

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

function host(id: string): HostView {
  const cell = (c: number) => ({ id: c, cpus: Array.from({ length: PCPUS / 2 }, (_, p) => p + (c * PCPUS) / 2), memoryKiB: 64 << 20, freeKiB: 32 << 20 });
  return { hostId: id, hostname: id, pcpuCount: PCPUS, memoryTotalKiB: 128 << 20, memoryFreeKiB: 64 << 20, pcpus: [], numaCells: [cell(0), cell(1)], lastSampleMs: NOW_MS, intervalMs: 2000, stale: false };
}

/** One VM: unpinned (50 %), pinned by Ballast in a cell (35 %), tied to a cell by numatune (10 %), or pinned by someone else (5 %). */
function vm(rnd: Rnd, hostId: string, name: string): VmView {
  const mode = rnd();
  const cell = Math.floor(rnd() * 2);
  const cellCpus = Array.from({ length: PCPUS / 2 }, (_, p) => p + (cell * PCPUS) / 2);
  const all = Array.from({ length: PCPUS }, (_, p) => p);
  const n = pick(rnd, [1, 1, 2, 2, 4]);
  const base = Array.from({ length: n }, () => rnd() * 90);
  const on = Array.from({ length: n }, () => pick(rnd, mode < 0.5 ? all : cellCpus));
  const affinity = on.map((p, v) => (mode < 0.5 ? all : mode < 0.85 ? [p] : mode < 0.95 ? cellCpus : v === 0 ? [p] : all));
  const pins: PinRecord[] = mode >= 0.5 && mode < 0.85 ? on.map((p, v) => ({ vcpu: v, pcpus: [p], by: 'policy:vcpu-balance', atMs: NOW_MS - 60_000 })) : [];
  const window = Array.from({ length: SAMPLES }, (_, s) => ({
    takenAtMs: NOW_MS - (SAMPLES - 1 - s) * 2000,
    cpuPercent: 0,
    vcpuPercent: base.map((u) => Math.max(0, u + (rnd() - 0.5) * 10)),
    vcpuPcpu: on,
  }));
  const last = window[SAMPLES - 1]?.vcpuPercent ?? base;
  return {
    uuid: `uuid-${name}`,
    name,
    state: 'running',
    cpuPercent: 0,
    vcpus: base.map((_, v) => ({ id: v, usagePercent: last[v] ?? 0, pcpus: affinity[v] ?? all, currentPcpu: on[v] ?? 0 })),
    config: { labels: {}, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins },
    ...(mode >= 0.85 && mode < 0.95 ? { numaTune: { mode: 'strict' as const, nodeset: [cell] } } : {}),
    hostId,
    window,
    holds: [],
  };
}

export function decideSnapshot(seed: number): ClusterSnapshot {
  const rnd = mulberry32(seed);
  const hosts = Array.from({ length: HOSTS }, (_, h) => host(`h${String(h).padStart(3, '0')}`));
  const vms = hosts.flatMap((h) => Array.from({ length: VMS_PER_HOST }, (_, j) => vm(rnd, h.hostId, `${h.hostId}-vm${j}`)));
  return { nowMs: NOW_MS, hosts, vms, jobs: [], signals: {} };
}

export function cpuDecideBench(): BenchRow[] {
  const snapshot = decideSnapshot(1);
  const args = vcpuBalancePolicy.defaults;
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  let plan = vcpuBalancePolicy.plan(snapshot, args);
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    plan = vcpuBalancePolicy.plan(snapshot, args);
    const c1 = process.cpuUsage(c0);
    if (i < 2) continue; // warm-up
    wallMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cpuMs.push((c1.user + c1.system) / 1000);
  }
  const kinds = new Map<string, number>();
  for (const d of plan.decisions) if (d.vmUuid === undefined) kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1);
  const what = `${HOSTS} hosts × ${VMS_PER_HOST} VMs (${snapshot.vms.reduce((n, v) => n + v.vcpus.length, 0)} vCPUs, ${PCPUS} pCPUs/host): ` +
    `${plan.jobs.length} pin jobs; hosts ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`;
  const target = (ms: number): string => `target < 200 ms: ${ms < 200 ? 'met' : 'missed'}`;
  const load = loadavg()[0] ?? 0;
  return [
    { bench: 'cpu decide 500×20', variant: 'wall time', median: median(wallMs), p90: percentile(wallMs, 90), unit: 'ms', runs: wallMs.length, note: `${what}; ${target(median(wallMs))} (load average ${load.toFixed(1)} on ${cpus().length} cores)` },
    { bench: 'cpu decide 500×20', variant: 'CPU time', median: median(cpuMs), p90: percentile(cpuMs, 90), unit: 'ms', runs: cpuMs.length, note: `this process's CPU time (user + system, all its threads: the GC's helpers too), which other processes inflate less than wall time; ${target(median(cpuMs))}` },
  ];
}
