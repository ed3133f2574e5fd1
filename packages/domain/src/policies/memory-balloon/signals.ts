/**
 * What the memory-balloon policy reads from a VM's sample window: the trend of used memory, the guest's
 * fault and swap-in rates, and whether a release was followed by a rise in them (over-reclaim).
 * Everything is derived from the window, so the policy keeps no state between cycles.
 */
import type { VmView } from '../../snapshot.js';
import { KIB_PER_MIB } from '../../units.js';

type Entry = VmView['window'][number];


/** Window entries that carry guest memory stats (the collector leaves them out when the guest reports none). */
export function guestEntries(window: readonly Entry[]): Entry[] {
  return window.filter((e) => e.actualKiB !== undefined && e.unusedKiB !== undefined);
}

/**
 * The guest's kernel overhead below its balloon, KiB (actual − MemTotal), read from the latest window
 * entry in which the balloon had settled before the guest's stats report: the same `actual` as the
 * sample before and the report taken after that sample. The guest's MemTotal (`availableKiB`) follows the
 * balloon page for page (checked on the lab: 82,752 KiB below it at 400, 512 and 900 MiB), so
 * available − unused + overhead is the guest's use as of its report, whatever the balloon did since.
 * Undefined when no entry qualifies (no `availableKiB`/`statsAtSec`, or the balloon kept moving).
 * `before` limits the search to entries before that index.
 */
export function kernelOverheadKiB(entries: readonly Entry[], before = entries.length): number | undefined {
  const upTo = Math.min(before, entries.length);
  if (upTo < 2) return undefined;
  return overheadsAt(entries.slice(0, upTo))[upTo - 1];
}

/**
 * For each index i, kernelOverheadKiB(entries, i + 1): the overhead of the latest settled entry at or
 * before i. One pass, each entry's settledness judged once (the walk per entry used to make the policy's
 * plan quadratic, and worse, in the window length).
 */
export function overheadsAt(entries: readonly Entry[]): (number | undefined)[] {
  const ordered = takenInOrder(entries);
  const out: (number | undefined)[] = [];
  let latest: number | undefined;
  for (let i = 0; i < entries.length; i++) {
    if (i >= 1) latest = settledOverhead(entries, i, ordered) ?? latest;
    out.push(latest);
  }
  return out;
}

/** Whether sample times never go down (as the engine's windows are built); NaN counts as out of order. */
function takenInOrder(entries: readonly Entry[]): boolean {
  for (let i = 1; i < entries.length; i++) if (!((entries[i - 1] as Entry).takenAtMs <= (entries[i] as Entry).takenAtMs)) return false;
  return true;
}

/**
 * actual − available of entry i when its report was taken after the balloon reached its current size: the
 * balloon had that size since sample k < i (the start of the run of equal sizes) and the report is not
 * older than that sample. Report times are whole seconds (floored), so a run of one interval is often not
 * enough; longer runs are. With sample times in order, the walk back stops at the first sample of the run
 * not newer than the report: the run's start is no newer than it (same answer, a few steps instead of the
 * whole run).
 */
function settledOverhead(entries: readonly Entry[], i: number, ordered: boolean): number | undefined {
  const e = entries[i] as Entry;
  if (e.availableKiB === undefined || e.statsAtSec === undefined || e.actualKiB === undefined) return undefined;
  const reportMs = e.statsAtSec * 1000;
  let k = i;
  while (k > 0) {
    const a = entries[k - 1]?.actualKiB;
    if (a === undefined || Math.abs(a - e.actualKiB) >= KIB_PER_MIB) break;
    k--;
    if (ordered && reportMs >= (entries[k] as Entry).takenAtMs) return e.actualKiB - e.availableKiB;
  }
  const since = entries[k] as Entry;
  if (k === i || reportMs < since.takenAtMs) return undefined;
  return e.actualKiB - e.availableKiB;
}

/**
 * Guest memory in use, KiB: available − unused + overhead with the kernel overhead known, else
 * actual − unused. The second is off right after a balloon change: `actual` is live while `unused` is
 * from the guest's last report, up to a stats period older, so a grow looks like consumption (and would
 * ask for more) and a release like freeing.
 */
export function guestUsedKiB(e: { actualKiB?: number; unusedKiB?: number; availableKiB?: number }, overheadKiB: number | undefined): number {
  const unused = e.unusedKiB ?? 0;
  if (overheadKiB !== undefined && e.availableKiB !== undefined) return Math.max(0, e.availableKiB - unused + overheadKiB);
  return Math.max(0, (e.actualKiB ?? 0) - unused);
}

/**
 * Slope of used memory (guestUsedKiB), MiB/s, least squares over the last `samples` guest reports, each
 * with the overhead known at it (or the first one known after it; none when `useOverhead` is false, for
 * deflate-on-oom guests whose MemTotal does not follow the balloon). Positive while the guest consumes.
 * A report the collector read twice (the guest had not reported again by the next sample) counts once, at
 * the time the guest took it (`statsAtSec`): counted twice it would look like a pause in consumption and
 * halve the trend (seen on the lab). Entries without `statsAtSec` are placed at their sample time.
 * 0 with fewer than two reports or no time between them.
 */
/** Used memory (MiB) per distinct guest report, at the report's time (s); see usedTrendMiBPerSec. */
export function usedPoints(entries: readonly Entry[], useOverhead = true): { x: number; y: number }[] {
  const at = useOverhead ? overheadsAt(entries) : [];
  const later = at[entries.length - 1];
  const pts: { x: number; y: number }[] = [];
  let lastReport: number | undefined;
  entries.forEach((e, i) => {
    if (e.statsAtSec !== undefined && e.statsAtSec === lastReport) return;
    lastReport = e.statsAtSec;
    const overhead = useOverhead ? (at[i] ?? later) : undefined;
    pts.push({ x: e.statsAtSec !== undefined ? e.statsAtSec : e.takenAtMs / 1000, y: guestUsedKiB(e, overhead) / KIB_PER_MIB });
  });
  return pts;
}

/**
 * Used-memory rate over the last three distinct reports (two intervals), MiB/s, when the rise over them is
 * more than `minRiseMiB` (noise of a steady guest stays below it); else 0. The least-squares trend lags a
 * consumer that just started (its older, flat points weigh in); the policy takes the larger of the two, so
 * a guest that starts consuming is seen within two reports.
 */
export function recentUsedRateMiBPerSec(entries: readonly Entry[], minRiseMiB: number, useOverhead = true): number {
  const pts = usedPoints(entries, useOverhead);
  const a = pts[pts.length - 3];
  const b = pts[pts.length - 1];
  if (!a || !b || !(b.x - a.x >= 1) || !(b.y - a.y > minRiseMiB)) return 0;
  return (b.y - a.y) / (b.x - a.x);
}

export function usedTrendMiBPerSec(entries: readonly Entry[], samples: number, useOverhead = true): number {
  const pts = usedPoints(entries, useOverhead);
  const last = pts.slice(-samples);
  if (last.length < 2) return 0;
  const x0 = last[0]?.x ?? 0;
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of last) {
    const x = p.x - x0;
    n++;
    sx += x;
    sy += p.y;
    sxx += x * x;
    sxy += x * p.y;
  }
  const den = n * sxx - sx * sx;
  if (!(den > 1e-9)) return 0;
  return (n * sxy - sx * sy) / den;
}

/** Major-fault and swap-in rates between two entries (per second); counter resets count as 0. */
export function faultRates(a: Entry, b: Entry): { majorFaultsPerSec: number; swapInKiBPerSec: number } {
  const dt = (b.takenAtMs - a.takenAtMs) / 1000;
  if (!(dt > 0)) return { majorFaultsPerSec: 0, swapInKiBPerSec: 0 };
  const d = (x: number | undefined, y: number | undefined): number => (x === undefined || y === undefined || y < x ? 0 : y - x);
  return { majorFaultsPerSec: d(a.majorFaults, b.majorFaults) / dt, swapInKiBPerSec: d(a.swapInKiB, b.swapInKiB) / dt };
}

/** Swap-in rate over the latest interval, KiB/s (0 with fewer than two entries). */
export function latestSwapInKiBPerSec(entries: readonly Entry[]): number {
  const a = entries[entries.length - 2];
  const b = entries[entries.length - 1];
  return a && b ? faultRates(a, b).swapInKiBPerSec : 0;
}

export interface OverReclaim {
  /** When the balloon last shrank (the release the guest reacted to). */
  releaseAtMs: number;
  /** Latest sample whose fault or swap-in rate rose over the pre-release rate by more than the threshold. */
  triggeredAtMs: number;
  /** Balloon size before the run of releases, MiB: what the VM is grown back to. */
  growBackMiB: number;
  majorFaultsPerSec: number;
  swapInKiBPerSec: number;
}

/**
 * Finds the last release in the window (the balloon shrank by more than `minDropMiB` between samples) and
 * whether the guest's major faults or swap-in rose after it, compared with the highest rate before it.
 */
export function findOverReclaim(
  entries: readonly Entry[],
  thresholds: { majorFaultsPerSec: number; swapInKiBPerSec: number; minDropMiB: number },
): OverReclaim | undefined {
  const minDropKiB = Math.max(1, thresholds.minDropMiB) * KIB_PER_MIB;
  let drop = -1;
  for (let i = entries.length - 1; i >= 1; i--) {
    const prev = entries[i - 1]?.actualKiB ?? 0;
    const cur = entries[i]?.actualKiB ?? 0;
    if (cur < prev - minDropKiB) {
      drop = i;
      break;
    }
  }
  if (drop < 1) return undefined;
  let beforeMf = 0;
  let beforeSw = 0;
  for (let j = 1; j < drop; j++) {
    const r = faultRates(entries[j - 1] as Entry, entries[j] as Entry);
    beforeMf = Math.max(beforeMf, r.majorFaultsPerSec);
    beforeSw = Math.max(beforeSw, r.swapInKiBPerSec);
  }
  let trigger: { at: number; mf: number; sw: number } | undefined;
  for (let j = drop; j < entries.length; j++) {
    const r = faultRates(entries[j - 1] as Entry, entries[j] as Entry);
    if (r.majorFaultsPerSec > beforeMf + thresholds.majorFaultsPerSec || r.swapInKiBPerSec > beforeSw + thresholds.swapInKiBPerSec) {
      trigger = { at: (entries[j] as Entry).takenAtMs, mf: r.majorFaultsPerSec, sw: r.swapInKiBPerSec };
    }
  }
  if (!trigger) return undefined;
  // Walk back over the run of consecutive releases to the size before it.
  let k = drop - 1;
  while (k >= 1 && (entries[k - 1]?.actualKiB ?? 0) > (entries[k]?.actualKiB ?? 0) + KIB_PER_MIB) k--;
  return {
    releaseAtMs: (entries[drop] as Entry).takenAtMs,
    triggeredAtMs: trigger.at,
    growBackMiB: (entries[k]?.actualKiB ?? 0) / KIB_PER_MIB,
    majorFaultsPerSec: trigger.mf,
    swapInKiBPerSec: trigger.sw,
  };
}

/** ESX's shares-per-active-page: ρ = S / (P·(f + k(1−f))), k = 1/(1−τ). With S = sharesPerMiB·P, P cancels. */
export function sharesPerActivePage(sharesPerMiB: number, activeFraction: number, idleTaxRate: number): number {
  const f = Math.min(1, Math.max(0, activeFraction));
  const k = 1 / (1 - idleTaxRate);
  return sharesPerMiB / (f + k * (1 - f));
}
