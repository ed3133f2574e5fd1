/**
 * The search for a better pinning of one host, over the Spread of its pCPUs: improving moves, best first.
 * Each round weighs moving one vCPU to one of the two least loaded pCPUs of its cell, and swapping a vCPU
 * of one of the two most loaded pCPUs of a cell with one of its two least loaded; it takes the move that
 * lowers the spread most, if it lowers it by at least `minDropPoints`, and goes on while the cap on pin
 * changes allows. A vCPU moves at most once per plan. Deterministic: ties go to the first candidate in
 * the movers' order (VM name, vCPU id) and to the lower pCPU id.
 */
import type { HostLayout } from './layout.js';
import type { LoadChange, Spread } from './spread.js';

/** A vCPU the search may pin. */
export interface Mover {
  /** The caller's index of its VM. */
  vmIndex: number;
  vcpu: number;
  usagePercent: number;
  /** Where its load is now: [pCPU, share]. */
  place: readonly (readonly [number, number])[];
  mainPcpu: number;
  /** Index into layout.cells of the cell it is pinned in. */
  cellIndex: number;
  /** It may still run anywhere in its cell (the balancer's to pin). */
  unpinned?: boolean;
  /** When Ballast pinned it where it is (its pin record, or the job that set it). */
  pinnedAtMs?: number;
}

export interface Move {
  mover: Mover;
  to: number;
}

export interface SearchResult {
  moves: Move[];
  /** Some move lowers the spread at all (else the host is as even as moves within cells can make it). */
  improvable: boolean;
  /** The best first move's predicted gain, % of the spread before (what a stable host declined). */
  bestGainPercent: number;
}

export interface SearchOptions {
  /** Pin changes at most (a swap is two). */
  cap: number;
  /** A move must lower the spread by at least this many points. */
  minDropPoints: number;
}

interface Candidate {
  delta: number;
  moves: Move[];
  changes: LoadChange[];
}

const EPS = 1e-9;

export function searchMoves(spread: Spread, layout: HostLayout, movers: readonly Mover[], o: SearchOptions): SearchResult {
  const moved = new Set<Mover>();
  const out: SearchResult = { moves: [], improvable: false, bestGainPercent: 0 };
  const before = spread.stdDev();
  let first = true;
  while (out.moves.length < o.cap) {
    const free = movers.filter((m) => !moved.has(m));
    const best = bestCandidate(spread, layout, free, o.cap - out.moves.length);
    if (!best || best.delta >= -EPS) break;
    const sse = spread.sse;
    const drop = spread.stdDev(sse) - spread.stdDev(sse + best.delta);
    if (first) {
      out.improvable = true;
      out.bestGainPercent = before > 0 ? (100 * drop) / before : 0;
      first = false;
    }
    if (drop < o.minDropPoints) break;
    spread.apply(best.changes);
    for (const m of best.moves) {
      moved.add(m.mover);
      out.moves.push(m);
    }
  }
  return out;
}

/** The load changes of pinning `m` to `to`: its load leaves where it is and lands on `to`. */
export function moveChanges(m: Mover, to: number): LoadChange[] {
  const out: LoadChange[] = m.place.map(([p, share]) => [p, -m.usagePercent * share]);
  out.push([to, m.usagePercent]);
  return out;
}

/** The best move or swap of this round; deltas in closed form where the load moves inside one cell. */
function bestCandidate(spread: Spread, layout: HostLayout, free: readonly Mover[], capLeft: number): Candidate | undefined {
  const lows = layout.cells.map((c) => extremes(spread.load, c.cpus, 'low'));
  const highs = layout.cells.map((c) => extremes(spread.load, c.cpus, 'high'));
  const cellOf = layout.cellIndexOf;
  const load = spread.load;
  let bestDelta = Infinity;
  let best: Move[] | undefined;
  for (const m of free) {
    const from = singlePcpu(m);
    for (const q of lows[m.cellIndex] ?? []) {
      if (q === from) continue;
      const x = m.usagePercent;
      // inside one cell the mean stays: Δ sse = 2x(L[q] − L[from] + x)
      const delta = from >= 0 && cellOf[from] === cellOf[q] ? 2 * x * ((load[q] as number) - (load[from] as number) + x) : spread.delta(moveChanges(m, q));
      if (delta < bestDelta - EPS) [bestDelta, best] = [delta, [{ mover: m, to: q }]];
      if (from >= 0 && cellOf[from] === cellOf[q]) break; // the least loaded pCPU is the best single target
    }
  }
  if (capLeft >= 2) {
    forEachSwap(free, layout, lows, highs, (v, l, w, h) => {
      const t = v.usagePercent - w.usagePercent;
      const delta = singlePcpu(v) === h && singlePcpu(w) === l ? 2 * t * ((load[l] as number) - (load[h] as number) + t) : spread.delta([...moveChanges(v, l), ...moveChanges(w, h)]);
      if (delta < bestDelta - EPS) [bestDelta, best] = [delta, [{ mover: v, to: l }, { mover: w, to: h }]];
    });
  }
  return best ? { delta: bestDelta, moves: best, changes: best.flatMap((m) => moveChanges(m.mover, m.to)) } : undefined;
}

/** The one pCPU all of the mover's load is on, or -1. */
function singlePcpu(m: Mover): number {
  return m.place.length === 1 ? (m.place[0]?.[0] as number) : -1;
}

/** Swaps worth weighing: a vCPU mainly on a cell's busy pCPU h with a lighter one mainly on its idle pCPU l. */
function forEachSwap(
  free: readonly Mover[],
  layout: HostLayout,
  lows: number[][],
  highs: number[][],
  f: (v: Mover, l: number, w: Mover, h: number) => void,
): void {
  const byMain = new Map<number, Mover[]>();
  for (const m of free) {
    const list = byMain.get(m.mainPcpu);
    if (list) list.push(m);
    else byMain.set(m.mainPcpu, [m]);
  }
  layout.cells.forEach((_, ci) => {
    for (const h of highs[ci] ?? []) {
      for (const l of lows[ci] ?? []) {
        if (h === l) continue;
        for (const v of byMain.get(h) ?? []) {
          if (v.cellIndex !== ci) continue;
          for (const w of byMain.get(l) ?? []) if (w.cellIndex === ci && w.usagePercent < v.usagePercent) f(v, l, w, h);
        }
      }
    }
  });
}

/** The two least (or most) loaded of `cpus`, lower id first among equals. */
function extremes(load: Float64Array, cpus: readonly number[], which: 'low' | 'high'): number[] {
  const sign = which === 'low' ? 1 : -1;
  let a = -1;
  let b = -1;
  const better = (p: number, q: number): boolean => q < 0 || sign * ((load[p] as number) - (load[q] as number)) < 0;
  for (const p of cpus) {
    if (better(p, a)) {
      b = a;
      a = p;
    } else if (better(p, b)) b = p;
  }
  return [a, b].filter((p) => p >= 0);
}
