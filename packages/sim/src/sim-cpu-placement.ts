/**
 * Where the simulator's busy vCPUs run each cycle: a kernel-like model of the Linux scheduler for vCPU
 * threads, as seen at the granularity of a simulation cycle (about a second), not an ideal packer.
 *
 *   1. A vCPU pinned to one pCPU runs there.
 *   2. Wake-up scatter: a vCPU that sleeps part of the time (demand d < 1) wakes on an arbitrary pCPU of
 *      its affinity now and then (the kernel's wake-up path takes whichever pCPU is idle at that instant):
 *      with probability wakeScatterChance × (1 − d) per cycle it runs on a random allowed pCPU.
 *   3. Cache affinity: a vCPU that ran last cycle stays on the pCPU it ran on (one repinned away from it
 *      starts on the first pCPU of its new set: SimVm.pin).
 *   4. Wake-up placement: a vCPU that did not run last cycle takes its last pCPU if that is as idle as
 *      any allowed pCPU, else the least loaded allowed pCPU; these are placed after the others, most
 *      constrained first (smallest affinity set, then largest demand).
 *   5. Periodic load balancing, every balanceEveryMs: while some pCPU carries more than imbalanceThreshold
 *      (of a pCPU) above the least loaded pCPU one of its vCPUs may use — twice that across NUMA cells; no
 *      margin at all when the busy pCPU is overloaded (demand beyond its capacity: vCPUs wait) and the
 *      other has room, as an idle pCPU pulls waiting work — one vCPU of the busiest such pCPU whose move
 *      lessens the gap migrates, picked at random among those (the kernel does not pick the best one).
 *
 * So unpinned vCPUs are not re-packed from scratch every cycle: a placement that fits stays, an imbalance
 * below the balancer's threshold stays, and wake-ups sometimes pile vCPUs onto one pCPU for a cycle. A
 * vCPU runs on one pCPU for a whole cycle and the balancer moves one vCPU at a time (no swaps): with more
 * busy vCPUs than pCPUs and demand near capacity it can settle where no single migration helps, which the
 * real kernel (moving threads many times a second) mostly avoids — for that case the model is pessimistic.
 * Randomness comes from the host's seeded PRNG (SimHost.cpuRandom): the same seed gives the same run.
 */
import type { CpuHostState, CpuScratch } from './sim-cpu.js';

/** The kernel-like scheduler's knobs (SimClusterOptions.cpuScheduler). */
export interface KernelSchedulerOptions {
  /** Load balancing period, ms of simulated time. */
  balanceEveryMs: number;
  /** Imbalance (fraction of one pCPU) the balancer tolerates between two pCPUs of a cell; twice that across cells. */
  imbalanceThreshold: number;
  /** Per cycle, a vCPU of demand d < 1 wakes on a random allowed pCPU with probability this × (1 − d). */
  wakeScatterChance: number;
}

/** Calibrated against the GT CS6210 measurement on real hardware (sim-cpu-placement.test.ts). */
export const KERNEL_SCHEDULER_DEFAULTS: Readonly<KernelSchedulerOptions> = Object.freeze({
  balanceEveryMs: 2000,
  imbalanceThreshold: 0.25,
  wakeScatterChance: 0.05,
});

const EPS = 1e-12;
const INDEX_BITS = 1048576; // 2^20: entity index packed into the low bits of a sort key

/** Places the `n` busy vCPUs of this cycle (s.slot / s.placed) and keeps s.load; tMs: the cycle's start. */
export function placeKernelLike(host: CpuHostState, s: CpuScratch, n: number, tMs: number): void {
  const keys = sortKeys(s, n);
  const heap = s.heap;
  const pos = s.heapPos;
  for (let p = 0; p < host.pcpus; p++) {
    heap[p] = p;
    pos[p] = p;
  }
  const rnd = host.cpuRandom;
  const scatter = host.scheduler.wakeScatterChance;
  // pass 1: no choice this cycle — pinned, scattered by a wake-up, or staying where it ran
  for (let k = 0; k < n; k++) {
    const i = indexOf(keys[k] as number);
    const t = s.slot[i] as number;
    const allowed = s.slotAffinity[t] as number[];
    let at = -1;
    if (allowed.length === 1) at = allowed[0] as number;
    else if (rnd() < scatter * (1 - (s.demandOf[t] as number))) at = allowed[Math.floor(rnd() * allowed.length)] as number;
    else if (s.wasBusy[t] === 1) at = s.pcpuOf[t] as number; // SimVm.pin keeps the last pCPU allowed
    s.waking[i] = at < 0 ? 1 : 0;
    if (at >= 0) put(host, s, i, t, at);
  }
  // pass 2: waking vCPUs, most constrained first
  for (let k = 0; k < n; k++) {
    const i = indexOf(keys[k] as number);
    if (s.waking[i] !== 1) continue;
    const t = s.slot[i] as number;
    const last = s.pcpuOf[t] as number;
    let best = s.slotFull[t] === 1 ? (heap[0] as number) : leastLoadedAllowed(s.slotAffinity[t] as number[], s.load, last);
    if ((s.load[last] as number) <= (s.load[best] as number) + EPS) best = last;
    put(host, s, i, t, best);
  }
  if (tMs >= s.nextBalanceMs) {
    balance(host, s, n);
    s.nextBalanceMs = tMs + host.scheduler.balanceEveryMs;
  }
}

/** Sort keys packing (affinity size, 1 − demand quantized, entity index): most constrained, then largest, first. */
function sortKeys(s: CpuScratch, n: number): Float64Array {
  const keys = s.keys.subarray(0, n);
  for (let i = 0; i < n; i++) {
    const t = s.slot[i] as number;
    const q = Math.round((1 - (s.demandOf[t] as number)) * 4095);
    keys[i] = ((s.slotAffinityLen[t] as number) * 4096 + q) * INDEX_BITS + i;
  }
  return keys.sort();
}

function indexOf(key: number): number {
  return key - Math.floor(key / INDEX_BITS) * INDEX_BITS;
}

function put(host: CpuHostState, s: CpuScratch, i: number, t: number, at: number): void {
  s.load[at] = (s.load[at] as number) + (s.demandOf[t] as number);
  siftDown(s.heap, s.heapPos, s.load, s.heapPos[at] as number, host.pcpus);
  s.placed[i] = at;
  s.pcpuOf[t] = at;
}

/**
 * 5. One balancing pass: while some pCPU carries more than the threshold above the least loaded pCPU one
 * of its vCPUs may use, a random one of the busiest such pCPU's vCPUs whose move lessens that gap migrates.
 */
function balance(host: CpuHostState, s: CpuScratch, n: number): void {
  const load = s.load;
  const from: number[] = [];
  const to: number[] = [];
  const who = s.contended;
  for (let round = 0; round < host.pcpus; round++) {
    who.length = 0;
    from.length = 0;
    to.length = 0;
    let idlest = 0;
    for (let p = 1; p < host.pcpus; p++) if ((load[p] as number) < (load[idlest] as number)) idlest = p;
    for (let i = 0; i < n; i++) {
      const t = s.slot[i] as number;
      if ((s.slotAffinityLen[t] as number) < 2) continue;
      const src = s.placed[i] as number;
      const dst = s.slotFull[t] === 1 ? idlest : leastLoadedAllowed(s.slotAffinity[t] as number[], load, src);
      const gap = (load[src] as number) - (load[dst] as number);
      // an overloaded pCPU (demand beyond its capacity: vCPUs wait) sheds load to one with room at once
      const overloaded = (load[src] as number) > 1 + EPS && (load[dst] as number) < 1 - EPS;
      const tolerated = overloaded ? 0 : (host.cellOfPcpu[src] === host.cellOfPcpu[dst] ? 1 : 2) * host.scheduler.imbalanceThreshold;
      const d = s.demandOf[t] as number;
      if (gap <= tolerated || !(d > 0 && d < gap)) continue;
      who.push(i);
      from.push(src);
      to.push(dst);
    }
    if (who.length === 0) return;
    let busiest = from[0] as number;
    for (const p of from) if ((load[p] as number) > (load[busiest] as number)) busiest = p;
    const mine = who.flatMap((i, k) => (from[k] === busiest ? [k] : []));
    const k = mine[Math.floor(host.cpuRandom() * mine.length)] as number;
    const i = who[k] as number;
    const t = s.slot[i] as number;
    const d = s.demandOf[t] as number;
    load[busiest] = (load[busiest] as number) - d;
    load[to[k] as number] = (load[to[k] as number] as number) + d;
    s.placed[i] = to[k] as number;
    s.pcpuOf[t] = to[k] as number;
  }
}

function leastLoadedAllowed(allowed: readonly number[], load: Float64Array, last: number): number {
  let best = last;
  let bestLoad = Infinity;
  for (let j = 0; j < allowed.length; j++) {
    const p = allowed[j] as number;
    const l = load[p] as number;
    if (l < bestLoad) {
      best = p;
      bestLoad = l;
      if (l === 0) break;
    }
  }
  return best;
}

/** Restores the min-heap of pCPUs ordered by (load, id) after the load of heap[at] grew. */
function siftDown(heap: Int32Array, pos: Int32Array, load: Float64Array, at: number, size: number): void {
  let i = at;
  const p = heap[i] as number;
  const lp = load[p] as number;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    let c = l;
    let cp = heap[l] as number;
    let cl = load[cp] as number;
    const r = l + 1;
    if (r < size) {
      const rp = heap[r] as number;
      const rl = load[rp] as number;
      if (rl < cl || (rl === cl && rp < cp)) {
        c = r;
        cp = rp;
        cl = rl;
      }
    }
    if (lp < cl || (lp === cl && p < cp)) break;
    heap[i] = cp;
    pos[cp] = i;
    i = c;
  }
  heap[i] = p;
  pos[p] = i;
}
