/**
 * The GT figures from CpuWatch samples (as ../shared/tools/cpu-eval.py computes them): each guest's vCPU-0
 * time delta over an interval, credited to the pCPU it last ran on; the spread is the population std dev
 * of the per-pCPU sums. Also each guest's CPU and the pin changes seen.
 */
import type { CpuSample } from './cpu-watch.js';

export interface Interval {
  atMs: number;
  /** Percent of one pCPU per pCPU. */
  perPcpu: number[];
  /** Percent of one pCPU per VM. */
  perVm: Record<string, number>;
  spread: number;
}

function pstdev(xs: readonly number[]): number {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
}

export function intervals(samples: readonly CpuSample[], npcpu: number): Interval[] {
  const out: Interval[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] as CpuSample;
    const b = samples[i] as CpuSample;
    const dtSec = (b.atMs - a.atMs) / 1000;
    const perPcpu = Array.from({ length: npcpu }, () => 0);
    const perVm: Record<string, number> = {};
    for (const [vm, s] of Object.entries(b.vms)) {
      const prev = a.vms[vm];
      if (!prev || dtSec <= 0) continue;
      const pct = ((s.timeNs - prev.timeNs) / 1e9 / dtSec) * 100;
      perVm[vm] = pct;
      if (s.pcpu >= 0 && s.pcpu < npcpu) perPcpu[s.pcpu] = (perPcpu[s.pcpu] ?? 0) + pct;
    }
    out.push({ atMs: b.atMs, perPcpu, perVm, spread: pstdev(perPcpu) });
  }
  return out;
}

/** Intervals ending in [fromMs, toMs]. */
export function between(iv: readonly Interval[], fromMs: number, toMs = Infinity): Interval[] {
  return iv.filter((x) => x.atMs >= fromMs && x.atMs <= toMs);
}

export function meanSpread(iv: readonly Interval[]): number {
  return iv.length === 0 ? NaN : iv.reduce((s, x) => s + x.spread, 0) / iv.length;
}

/** Each VM's mean CPU (percent of one pCPU) over the intervals. */
export function meanCpu(iv: readonly Interval[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const x of iv) for (const [vm, p] of Object.entries(x.perVm)) sum[vm] = (sum[vm] ?? 0) + p;
  return Object.fromEntries(Object.entries(sum).map(([vm, s]) => [vm, s / Math.max(iv.length, 1)]));
}

/** Affinity changes between consecutive samples taken in [fromMs, toMs] (vm@time: old → new). */
export function pinChanges(samples: readonly CpuSample[], fromMs = 0, toMs = Infinity): string[] {
  const out: string[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] as CpuSample;
    const b = samples[i] as CpuSample;
    if (b.atMs < fromMs || b.atMs > toMs) continue;
    for (const [vm, s] of Object.entries(b.vms)) {
      const prev = a.vms[vm];
      if (prev && prev.affinity !== s.affinity) out.push(`${vm}@${b.atMs}: ${prev.affinity} → ${s.affinity}`);
    }
  }
  return out;
}

/** The first interval end at or after `fromMs` from which the spread stays ≤ `max` to the end, or undefined. */
export function settledAt(iv: readonly Interval[], fromMs: number, max: number): number | undefined {
  const after = between(iv, fromMs);
  for (let i = 0; i < after.length; i++) if (after.slice(i).every((x) => x.spread <= max)) return after[i]?.atMs;
  return undefined;
}

/** A table of the run for failure messages: time, per-pCPU %, spread, per-VM % and affinity. */
export function cpuTable(samples: readonly CpuSample[], npcpu: number): string {
  const iv = intervals(samples, npcpu);
  const t0 = samples[0]?.atMs ?? 0;
  const vms = Object.keys(samples[0]?.vms ?? {});
  const head = ['t(s)', ...Array.from({ length: npcpu }, (_, p) => `p${p}`), 'sd', ...vms.map((v) => `${v} %/pcpu/aff`)].join('  ');
  const rows = iv.map((x, i) => {
    const s = samples[i + 1] as CpuSample;
    const cells = vms.map((v) => `${(x.perVm[v] ?? 0).toFixed(0)}/${s.vms[v]?.pcpu ?? '?'}/${s.vms[v]?.affinity ?? '?'}`);
    return [((x.atMs - t0) / 1000).toFixed(1), ...x.perPcpu.map((p) => p.toFixed(0)), x.spread.toFixed(1), ...cells].join('  ');
  });
  return [head, ...rows].join('\n');
}
