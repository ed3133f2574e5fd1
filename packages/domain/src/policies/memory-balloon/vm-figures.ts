/**
 * The figures of a VM the memory-balloon policy manages, derived from its latest sample and window (MiB,
 * MiB/s): what it uses and how fast that rises, where a grow aims, the floors no release goes below, the
 * release step, and whether an earlier release hurt it (over-reclaim protection).
 */
import type { VmView } from '../../snapshot.js';
import { KIB_PER_MIB } from '../../units.js';
import { sharesPerMiB, type ControlKnobs, type HostKnobs, type VmKnobs } from './args.js';
import type { Managed } from './assessment.js';
import type { Eligible } from './eligibility.js';
import {
  findOverReclaim,
  guestUsedKiB,
  kernelOverheadKiB,
  latestSwapInKiBPerSec,
  recentUsedRateMiBPerSec,
  sharesPerActivePage,
  usedTrendMiBPerSec,
  type OverReclaim,
} from './signals.js';

type Entry = VmView['window'][number];

/** The figures a managed VM carries (assessment.ts says what each means), and what its wish needs besides. */
export type VmFigures = Pick<
  Managed,
  | 'actualMiB'
  | 'usedMiB'
  | 'unusedMiB'
  | 'maximumMiB'
  | 'limitMiB'
  | 'trendMiBPerSec'
  | 'consumptionMiBPerSec'
  | 'predictedUnusedMiB'
  | 'desiredMiB'
  | 'releaseFloorMiB'
  | 'pressureFloorMiB'
  | 'releaseStepMiB'
  | 'warmup'
  | 'swapInKiBPerSec'
  | 'thrashing'
  | 'sharesPerMiB'
  | 'rho'
> & {
  /** Used-memory rate over the last reports when the rise is beyond noise, else 0 (recentUsedRateMiBPerSec), MiB/s. */
  recentRateMiBPerSec: number;
  lookaheadSec: number;
  /** Guest reports in the window. */
  samples: number;
  /** The host's sampling interval, ms (at least 1). */
  intervalMs: number;
};

/** The figures of an eligible VM; `entries`: its guest entries (guestEntries). */
export function vmFigures(vm: VmView, { host, balloon: b }: Eligible, knobs: VmKnobs, hostKnobs: HostKnobs, c: ControlKnobs, entries: readonly Entry[]): VmFigures {
  const cfg = vm.config;
  const actualMiB = b.actualKiB / KIB_PER_MIB;
  // Used as of the guest's last report (see guestUsedKiB); unused is what the live balloon leaves of it.
  // With deflate-on-oom the guest's MemTotal does not follow the balloon: no overhead to read.
  const overheadKiB = cfg?.deflateOnOom ? undefined : kernelOverheadKiB(entries);
  const usedMiB = guestUsedKiB({ actualKiB: b.actualKiB, unusedKiB: b.unusedKiB, availableKiB: b.availableKiB > 0 ? b.availableKiB : undefined }, overheadKiB) / KIB_PER_MIB;
  const unusedMiB = Math.max(0, actualMiB - usedMiB);
  const maximumMiB = b.maximumKiB / KIB_PER_MIB;
  const reservation = knobs.reservationMiB;
  const hyst = knobs.hysteresisMiB;
  const intervalMs = Math.max(host.intervalMs, 1);
  const lookaheadSec = c.lookaheadMs / 1000;
  const trend = usedTrendMiBPerSec(entries, c.trendSamples, !cfg?.deflateOnOom);
  const recentRate = recentUsedRateMiBPerSec(entries, 2 * knobs.hysteresisMiB, !cfg?.deflateOnOom);
  // The larger of the fitted trend and the last report-to-report rate: a consumer that just started
  // shows in the latter first (the lab's scenario 3 ran a guest down to 24 MiB unused on the trend alone).
  const consumption = Math.max(0, trend, recentRate);
  const aim = (knobs.minUnusedMiB + knobs.maxUnusedMiB) / 2;
  const swapInKiBPerSec = latestSwapInKiBPerSec(entries);
  const spm = sharesPerMiB(knobs.shares);
  return {
    actualMiB,
    usedMiB,
    unusedMiB,
    maximumMiB,
    limitMiB: Math.min(knobs.limitMiB ?? maximumMiB, maximumMiB),
    trendMiBPerSec: trend,
    recentRateMiBPerSec: recentRate,
    consumptionMiBPerSec: consumption,
    lookaheadSec,
    predictedUnusedMiB: unusedMiB - consumption * lookaheadSec,
    desiredMiB: usedMiB + consumption * lookaheadSec + aim,
    releaseFloorMiB: Math.ceil(Math.max(reservation, usedMiB + knobs.minUnusedMiB + consumption * lookaheadSec)),
    pressureFloorMiB: Math.ceil(Math.max(reservation, usedMiB + knobs.minUnusedMiB + hyst + consumption * (lookaheadSec + (2 * intervalMs) / 1000))),
    releaseStepMiB: Math.max(0, Math.min(knobs.maxReleaseMiBPerCycle, (knobs.maxReleasePercent / 100) * actualMiB)),
    samples: entries.length,
    warmup: entries.length < c.warmupSamples,
    swapInKiBPerSec,
    // Swap-in with plenty of unused memory is pages coming back, not pressure: only below maxUnused it is thrashing.
    thrashing: swapInKiBPerSec > c.feedbackSwapInKiBPerSec && unusedMiB < knobs.maxUnusedMiB,
    sharesPerMiB: spm,
    rho: sharesPerActivePage(spm, actualMiB > 0 ? usedMiB / actualMiB : 1, hostKnobs.idleTaxRate),
    intervalMs,
  };
}

/** An over-reclaim (faults or swap-in rose after a release) whose cool-down has not ended, and when it ends. */
export function overReclaimProtection(
  entries: readonly Entry[],
  c: ControlKnobs,
  hysteresisMiB: number,
  intervalMs: number,
  nowMs: number,
): { protect: OverReclaim | undefined; protectUntilMs: number | undefined } {
  const oc = findOverReclaim(entries, {
    majorFaultsPerSec: c.feedbackMajorFaultsPerSec,
    swapInKiBPerSec: c.feedbackSwapInKiBPerSec,
    minDropMiB: hysteresisMiB,
  });
  const protectUntilMs = oc ? oc.triggeredAtMs + c.cooldownCycles * intervalMs : undefined;
  const protect = oc && protectUntilMs !== undefined && nowMs < protectUntilMs ? oc : undefined;
  return { protect, protectUntilMs };
}
