/**
 * Each vCPU's load as the balancer counts it: what it wanted — its usage plus the time it waited, runnable,
 * for a pCPU (libvirt's vcpu.N.delay), up to a whole pCPU — smoothed over the latest samples of its VM's
 * window, and where that load is now. (Usage alone hides demand on a busy pCPU: four vCPUs that each want
 * 40 % on one pCPU each get 25 %; and a vCPU squeezed by the host's own processes looks lighter than it is,
 * which made the balancer swap equal guests back and forth on the lab.) — on the one pCPU it is pinned to, else shared between the pCPUs of
 * its affinity it ran on in those samples (weighted by its usage in each), so that a move shows at once
 * in what the balancer counts, without waiting for the window to forget the old place.
 */
import type { VmView, WindowEntry } from '../../snapshot.js';

/** One vCPU's smoothed usage and where it is. */
export interface VcpuLoad {
  /** The vCPU's id. */
  vcpu: number;
  /** Mean demand (usage + run-queue wait, ≤ 100) over the smoothing samples, % of one pCPU. */
  usagePercent: number;
  /** The usage in each of those samples, oldest first. */
  samplesPercent: number[];
  /** Mean usage alone (what it got, without the wait) over the smoothing samples, % of one pCPU. */
  gotPercent: number;
  /** Mean demand over the steady window (steadySamples), % of one pCPU. */
  steadyPercent: number;
  /** Mean usage alone over the steady window. */
  steadyGotPercent: number;
  /** The usage in each sample of the steady window, oldest first (what the noise of the spread is judged from). */
  steadySamplesPercent: number[];
  /** Its affinity now, ascending (empty when not read yet). */
  affinity: number[];
  /** Where its load is: [pCPU, share] pairs, shares summing to 1. */
  place: readonly (readonly [number, number])[];
  /** The pCPU with the largest share (-1 when unknown). */
  mainPcpu: number;
}

/** The latest `n` window entries that carry per-vCPU usage, oldest first. */
export function usageEntries(vm: Pick<VmView, 'window'>, n: number): WindowEntry[] {
  const out: WindowEntry[] = [];
  for (let i = vm.window.length - 1; i >= 0 && out.length < n; i--) {
    const e = vm.window[i] as WindowEntry;
    if (e.vcpuPercent !== undefined) out.push(e);
  }
  return out.reverse();
}

/** How many of the window's entries carry per-vCPU usage, counting up to `n`. */
export function countUsageEntries(vm: Pick<VmView, 'window'>, n: number): number {
  let count = 0;
  for (let i = vm.window.length - 1; i >= 0 && count < n; i--) if (vm.window[i]?.vcpuPercent !== undefined) count++;
  return count;
}

/**
 * Every vCPU of the VM (by its position in vm.vcpus, which is how window entries index them): its usage over
 * the latest `smoothingSamples` (and where it is in them) and over the latest `steadySamples`.
 */
export function vcpuLoads(vm: Pick<VmView, 'vcpus' | 'window'>, smoothingSamples: number, pcpuCount: number, steadySamples = smoothingSamples): VcpuLoad[] {
  const all = usageEntries(vm, Math.max(smoothingSamples, steadySamples));
  const shortFrom = Math.max(0, all.length - smoothingSamples);
  const steadyFrom = Math.max(0, all.length - steadySamples);
  const entries = shortFrom === 0 ? all : all.slice(shortFrom);
  return vm.vcpus.map((c, i) => {
    const affinity = tidy(c.pcpus, pcpuCount);
    const w = windowMeans(all, i, shortFrom, steadyFrom);
    const fallback = Math.max(0, c.usagePercent);
    const usagePercent = w.shortCount > 0 ? w.shortDemand / w.shortCount : fallback;
    const gotPercent = w.shortCount > 0 ? w.shortGot / w.shortCount : fallback;
    const steadyPercent = w.steadyCount > 0 ? w.steadyDemand / w.steadyCount : usagePercent;
    const steadyGotPercent = w.steadyCount > 0 ? w.steadyGot / w.steadyCount : gotPercent;
    const place = placeOf(entries, i, affinity, c.currentPcpu, pcpuCount);
    return {
      vcpu: c.id,
      usagePercent,
      samplesPercent: w.samplesPercent,
      gotPercent,
      steadyPercent,
      steadyGotPercent,
      steadySamplesPercent: w.steadySamplesPercent,
      affinity,
      place,
      mainPcpu: mainOf(place),
    };
  });
}

interface WindowMeans {
  samplesPercent: number[];
  steadySamplesPercent: number[];
  shortDemand: number;
  shortGot: number;
  shortCount: number;
  steadyDemand: number;
  steadyGot: number;
  steadyCount: number;
}

/**
 * One pass over the window for vCPU i: its demand (usage + run-queue wait, capped at one pCPU) in each
 * sample of the short and the steady window, and the sums of demand and of usage alone over each.
 */
function windowMeans(all: readonly WindowEntry[], i: number, shortFrom: number, steadyFrom: number): WindowMeans {
  const out: WindowMeans = { samplesPercent: [], steadySamplesPercent: [], shortDemand: 0, shortGot: 0, shortCount: 0, steadyDemand: 0, steadyGot: 0, steadyCount: 0 };
  if (shortFrom === steadyFrom) out.steadySamplesPercent = out.samplesPercent;
  for (let k = Math.min(shortFrom, steadyFrom); k < all.length; k++) {
    const e = all[k] as WindowEntry;
    const u = e.vcpuPercent?.[i];
    if (u === undefined || !Number.isFinite(u)) continue;
    const got = Math.max(0, u);
    const wait = e.vcpuWaitPercent?.[i] ?? 0;
    const demand = Math.min(100, got + (Number.isFinite(wait) ? Math.max(0, wait) : 0));
    if (k >= shortFrom) {
      out.samplesPercent.push(demand);
      out.shortDemand += demand;
      out.shortGot += got;
      out.shortCount++;
    }
    if (k >= steadyFrom) {
      if (shortFrom !== steadyFrom) out.steadySamplesPercent.push(demand);
      out.steadyDemand += demand;
      out.steadyGot += got;
      out.steadyCount++;
    }
  }
  return out;
}

/** The pCPU ids of the host, ascending, once each (the list itself when it already is). */
function tidy(pcpus: number[], pcpuCount: number): number[] {
  let ok = true;
  for (let i = 0; i < pcpus.length && ok; i++) ok = (pcpus[i] as number) >= 0 && (pcpus[i] as number) < pcpuCount && (i === 0 || (pcpus[i] as number) > (pcpus[i - 1] as number));
  if (ok) return pcpus;
  return [...new Set(pcpus)].filter((p) => p >= 0 && p < pcpuCount).sort((a, b) => a - b);
}

/** Pinned to one pCPU: there. Else the affinity's pCPUs it ran on, by usage (by count when idle), else where it is now, else spread evenly. */
function placeOf(entries: readonly WindowEntry[], i: number, affinity: number[], current: number | undefined, pcpuCount: number): (readonly [number, number])[] {
  if (affinity.length === 1) return onePcpu(affinity[0] as number);
  const allowed = (p: number): boolean => p >= 0 && p < pcpuCount && (affinity.length === 0 || affinity.includes(p));
  const first = entries[0]?.vcpuPcpu?.[i];
  if (first !== undefined && allowed(first) && sameEverywhere(entries, i, first)) return onePcpu(first);
  const byUsage = new Map<number, number>();
  const byCount = new Map<number, number>();
  for (const e of entries) {
    const p = e.vcpuPcpu?.[i];
    if (p === undefined || !allowed(p)) continue;
    byUsage.set(p, (byUsage.get(p) ?? 0) + Math.max(0, e.vcpuPercent?.[i] ?? 0));
    byCount.set(p, (byCount.get(p) ?? 0) + 1);
  }
  const totalUsage = [...byUsage.values()].reduce((s, x) => s + x, 0);
  const weights = totalUsage > 0 ? byUsage : byCount;
  const total = [...weights.values()].reduce((s, x) => s + x, 0);
  if (total > 0) return [...weights].filter(([, w]) => w > 0).sort((a, b) => a[0] - b[0]).map(([p, w]) => [p, w / total]);
  if (current !== undefined && allowed(current)) return onePcpu(current);
  const spread = affinity.length > 0 ? affinity : Array.from({ length: pcpuCount }, (_, p) => p);
  return spread.map((p) => [p, 1 / spread.length]);
}

const ONE_PCPU: (readonly (readonly [number, number])[])[] = [];

/** The place of a load all on pCPU p (shared, frozen: places are replaced, never changed). */
function onePcpu(p: number): (readonly [number, number])[] {
  return (ONE_PCPU[p] ??= Object.freeze([Object.freeze([p, 1] as const)])) as (readonly [number, number])[];
}

function sameEverywhere(entries: readonly WindowEntry[], i: number, p: number): boolean {
  for (const e of entries) if (e.vcpuPcpu?.[i] !== p) return false;
  return true;
}

function mainOf(place: readonly (readonly [number, number])[]): number {
  let best = -1;
  let share = -1;
  for (let k = 0; k < place.length; k++) {
    const s = place[k]?.[1] as number;
    if (s > share) {
      best = place[k]?.[0] as number;
      share = s;
    }
  }
  return best;
}
