/**
 * The kernel-overhead walk as it was before issue 11 (a walk per window entry, each walking its run of
 * equal balloon sizes: quadratic in the window length, cubic at worst). Kept verbatim as the reference the
 * property test compares signals.ts against; nothing else imports it.
 */
import type { VmView } from '../../snapshot.js';
import { KIB_PER_MIB } from '../../units.js';
import { guestUsedKiB } from './signals.js';

type Entry = VmView['window'][number];

export function kernelOverheadKiBReference(entries: readonly Entry[], before = entries.length): number | undefined {
  for (let i = Math.min(before, entries.length) - 1; i >= 1; i--) {
    const o = settledOverhead(entries, i);
    if (o !== undefined) return o;
  }
  return undefined;
}

function settledOverhead(entries: readonly Entry[], i: number): number | undefined {
  const e = entries[i] as Entry;
  if (e.availableKiB === undefined || e.statsAtSec === undefined || e.actualKiB === undefined) return undefined;
  let k = i;
  while (k > 0) {
    const a = entries[k - 1]?.actualKiB;
    if (a === undefined || Math.abs(a - e.actualKiB) >= KIB_PER_MIB) break;
    k--;
  }
  const since = entries[k] as Entry;
  if (k === i || e.statsAtSec * 1000 < since.takenAtMs) return undefined;
  return e.actualKiB - e.availableKiB;
}

export function usedPointsReference(entries: readonly Entry[], useOverhead = true): { x: number; y: number }[] {
  const later = useOverhead ? kernelOverheadKiBReference(entries) : undefined;
  const pts: { x: number; y: number }[] = [];
  let lastReport: number | undefined;
  entries.forEach((e, i) => {
    if (e.statsAtSec !== undefined && e.statsAtSec === lastReport) return;
    lastReport = e.statsAtSec;
    const overhead = useOverhead ? (kernelOverheadKiBReference(entries, i + 1) ?? later) : undefined;
    pts.push({ x: e.statsAtSec !== undefined ? e.statsAtSec : e.takenAtMs / 1000, y: guestUsedKiB(e, overhead) / KIB_PER_MIB });
  });
  return pts;
}
