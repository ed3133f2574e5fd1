import type { PcpuTimes, VmStats } from './model.js';
import type { VmReport } from './host-report.js';

/** Percent of one CPU used between two cumulative readings `dtNs` apart; clamped to [0, 100·cpus]. */
export function cpuPercent(prevNs: number | undefined, curNs: number | undefined, dtNs: number, cpus = 1): number {
  if (prevNs === undefined || curNs === undefined || dtNs <= 0 || curNs < prevNs) return 0;
  const pct = ((curNs - prevNs) / dtNs) * 100;
  return Math.min(Math.max(pct, 0), 100 * cpus);
}

export interface VcpuUsage {
  id: number;
  usagePercent: number;
  /** Share of the interval it waited, runnable, for a pCPU (0-100); absent without delay figures. */
  waitPercent?: number;
  currentPcpu?: number;
}

/** Per-vCPU usage of a VM between two readings (matched by vCPU id). */
export function vcpuUsage(prev: VmStats | undefined, cur: VmStats, dtNs: number): VcpuUsage[] {
  const before = new Map(prev?.vcpus.map((v) => [v.id, v]) ?? []);
  return cur.vcpus.map((v) => {
    const p = before.get(v.id);
    const u: VcpuUsage = { id: v.id, usagePercent: cpuPercent(p?.timeNs, v.timeNs, dtNs) };
    if (v.delayNs !== undefined && p?.delayNs !== undefined) u.waitPercent = cpuPercent(p.delayNs, v.delayNs, dtNs);
    if (v.pcpu !== undefined) u.currentPcpu = v.pcpu;
    return u;
  });
}

/** Busy percent of each pCPU between two readings: 100 · (1 − Δidle / Δtotal). */
export function pcpuUsage(prev: PcpuTimes[], cur: PcpuTimes[]): { pcpu: number; usagePercent: number }[] {
  const before = new Map(prev.map((p) => [p.pcpu, p]));
  return cur.map((c) => {
    const p = before.get(c.pcpu);
    if (!p) return { pcpu: c.pcpu, usagePercent: 0 };
    const total = (t: PcpuTimes) => t.userNs + t.systemNs + t.idleNs + t.iowaitNs;
    const dTotal = total(c) - total(p);
    const dIdle = c.idleNs + c.iowaitNs - (p.idleNs + p.iowaitNs);
    if (dTotal <= 0) return { pcpu: c.pcpu, usagePercent: 0 };
    return { pcpu: c.pcpu, usagePercent: Math.min(100, Math.max(0, 100 * (1 - dIdle / dTotal))) };
  });
}

/** A VM's balloon as reported to the engine, from raw balloon stats (guest fields 0 until the guest reports). */
export function balloonReport(b: NonNullable<VmStats['balloon']>): NonNullable<VmReport['balloon']> {
  return {
    actualKiB: b.currentKiB,
    maximumKiB: b.maximumKiB,
    hasGuestStats: b.unusedKiB !== undefined && b.lastUpdateSec !== undefined && b.lastUpdateSec > 0,
    unusedKiB: b.unusedKiB ?? 0,
    availableKiB: b.availableKiB ?? 0,
    usableKiB: b.usableKiB ?? 0,
    majorFaults: b.majorFaults ?? 0,
    swapInKiB: b.swapInKiB ?? 0,
    lastUpdateSec: b.lastUpdateSec ?? 0,
  };
}
