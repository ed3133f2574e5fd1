/**
 * The busy unpinned vCPUs of a host are the balancer's to pin, and it pins them before anything else: as
 * long as a vCPU may run anywhere the kernel moves it between pCPUs, which the GT metric sees as imbalance
 * and the balancer cannot steer. Largest first, each onto the least loaded pCPU of its cell (lower id among
 * equals), over the load of everything else — longest-processing-time-first. Their own load is taken off
 * where it ran before any is placed; beyond the cap on pin changes the rest keep their place until the
 * next cycle. When pinning each where it runs now leaves the host balanced (spread ≤ `balancedStdDev`, the
 * host's threshold) or is as even, they are pinned where they run: the pins still stop the kernel moving
 * them, and no vCPU is moved for a gain within the noise.
 */
import type { HostLayout } from './layout.js';
import { moveChanges, type Move, type Mover } from './search.js';
import type { LoadChange, Spread } from './spread.js';

export function placeUnpinned(spread: Spread, layout: HostLayout, movers: readonly Mover[], cap: number, balancedStdDev = 0): Move[] {
  const placed = [...movers].sort((a, b) => b.usagePercent - a.usagePercent).slice(0, cap);
  const inPlace = placed.map((m): Move => ({ mover: m, to: m.mainPcpu >= 0 ? m.mainPcpu : (layout.cells[m.cellIndex]?.cpus[0] ?? 0) }));
  const lpt = longestFirst(spread, layout, placed);
  const changes = (moves: readonly Move[]): LoadChange[] => moves.flatMap((x) => moveChanges(x.mover, x.to));
  const inPlaceSse = spread.sse + spread.delta(changes(inPlace));
  const better = spread.sse + spread.delta(changes(lpt)) < inPlaceSse - 1e-9;
  const moves = better && spread.stdDev(inPlaceSse) > balancedStdDev ? lpt : inPlace;
  spread.apply(changes(moves));
  return moves;
}

/** Largest first onto the least loaded pCPU of its cell, with all of them taken off first (the spread is left as it was). */
function longestFirst(spread: Spread, layout: HostLayout, movers: readonly Mover[]): Move[] {
  const load = Float64Array.from(spread.load);
  for (const m of movers) for (const [p, share] of m.place) load[p] = (load[p] as number) - m.usagePercent * share;
  return movers.map((m): Move => {
    const to = leastLoaded(load, layout.cells[m.cellIndex]?.cpus ?? layout.allCpus);
    load[to] = (load[to] as number) + m.usagePercent;
    return { mover: m, to };
  });
}

function leastLoaded(load: Float64Array, cpus: readonly number[]): number {
  let best = cpus[0] ?? 0;
  for (const p of cpus) if ((load[p] as number) < (load[best] as number)) best = p;
  return best;
}
