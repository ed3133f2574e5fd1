/**
 * One VM, one cycle: what the memory-balloon policy makes of its latest sample and window before the
 * host-wide arbitration (plan.ts) — unmanaged, stale or held as it is, or managed with a wish to grow,
 * release or hold.
 */
import type { HostView, VmView } from '../../snapshot.js';
import { sharesPerMiB, type ControlKnobs, type HostKnobs, type MemoryBalloonArgs, type VmKnobs } from './args.js';
import { KIB_PER_MIB } from '../../units.js';
import { knobsFor } from './knobs.js';
import {
  findOverReclaim,
  guestEntries,
  guestUsedKiB,
  kernelOverheadKiB,
  latestSwapInKiBPerSec,
  recentUsedRateMiBPerSec,
  sharesPerActivePage,
  usedTrendMiBPerSec,
  type OverReclaim,
} from './signals.js';

export type MemoryDecisionKind = 'grow' | 'release' | 'hold' | 'starved' | 'unmanaged' | 'stale' | 'warmup' | 'protect';

/**
 * The balloon size the VM is committed to: the target of its set-memory job in flight (in-flight.ts), else
 * the balloon (MiB). Planning against what is committed keeps a grow still in the queue visible (Σ balloons
 * stays within the budget) and makes a release move one step a cycle despite the queue's lag.
 */
function committedMiB(targetInFlightMiB: number | undefined, actualMiB: number): number {
  const t = targetInFlightMiB;
  return typeof t === 'number' && Number.isFinite(t) && t > 0 && Math.abs(t - actualMiB) >= 1 ? t : actualMiB;
}

/** A VM the policy leaves as it is this cycle; it still counts against its host's budget. */
export interface Untouched {
  managed: false;
  vm: VmView;
  kind: 'unmanaged' | 'stale' | 'hold';
  reason: string;
  /** Host memory it holds or will hold, MiB (the larger of its balloon and a target in flight; 0 when it holds none). */
  accountMiB: number;
  /** MiB a grow in flight will still take from the host. */
  inflightGrowMiB: number;
  automation: VmKnobs['automation'];
}

/** A VM the policy manages: its figures (MiB) and its wish before arbitration. */
export interface Managed {
  managed: true;
  vm: VmView;
  knobs: VmKnobs;
  groups: string[];
  auto: boolean;
  actualMiB: number;
  unusedMiB: number;
  usedMiB: number;
  maximumMiB: number;
  limitMiB: number;
  /** The balloon plus a job in flight: the target in flight if any, else actual. */
  committedMiB: number;
  trendMiBPerSec: number;
  /** What the lookahead uses: max(0, trend, last report-to-report rate), MiB/s. */
  consumptionMiBPerSec: number;
  predictedUnusedMiB: number;
  /** used + consumption over the lookahead + the middle of the unused band. */
  desiredMiB: number;
  /** No release goes below this: max(reservation, used + minUnused + consumption over the lookahead). */
  releaseFloorMiB: number;
  /**
   * Reclaim under pressure stops here: the release floor plus the hysteresis (so noise does not make the
   * VM hungry again) plus two intervals of its consumption (so the floor has not passed the target by the
   * time the release lands and the next plans see it — else they would trim it back, past the budget).
   */
  pressureFloorMiB: number;
  releaseStepMiB: number;
  /** Where this cycle's release step starts: the balloon, or a release in flight below it. */
  releaseFromMiB: number;
  warmup: boolean;
  thrashing: boolean;
  swapInKiBPerSec: number;
  /** An over-reclaim whose cool-down has not ended. */
  protect: OverReclaim | undefined;
  protectUntilMs: number | undefined;
  sharesPerMiB: number;
  rho: number;
  role: 'grow' | 'release' | 'hold';
  /** Why it has that role. */
  why: string;
  /** Kind to report when it ends up holding (hold, warmup, protect, starved). */
  holdKind: MemoryDecisionKind;
  urgent: boolean;
  /** Grow: the integer target it asks for. */
  requestMiB: number;
  /** Grow: MiB above committed needed to reach reservation and used + minUnused (granted first). */
  minNeedMiB: number;
  /**
   * Grow: MiB above committed to reach the lean target used + minUnused + hysteresis + consumption over the
   * lookahead (granted second, and what pressure reclaims for); the rest of the request (up to the middle
   * of the unused band) comes last, from what is left.
   */
  leanNeedMiB: number;
  /** Planned target, MiB: an integer when it changes, else committed (nothing to send). */
  targetMiB: number;
  /** MiB taken from it under host pressure. */
  reclaimedMiB: number;
  /** Taken back because it is above its fair share of the budget while others below theirs need memory. */
  rebalanced?: boolean;
}

export type Assessed = Untouched | Managed;

function holdsMemory(vm: VmView): boolean {
  return vm.state !== 'shutoff' && vm.state !== 'nostate';
}

export function assessVm(
  vm: VmView,
  host: HostView | undefined,
  hostKnobs: HostKnobs,
  args: MemoryBalloonArgs,
  nowMs: number,
  targetInFlightMiB?: number,
): Assessed {
  const { knobs, groups } = knobsFor(args, vm);
  const b = vm.balloon;
  const actualMiB = b ? b.actualKiB / KIB_PER_MIB : 0;
  const committed = committedMiB(targetInFlightMiB, actualMiB);
  const inflight = holdsMemory(vm) ? Math.max(0, committed - actualMiB) : 0;
  const untouched = (kind: Untouched['kind'], reason: string): Untouched => ({
    managed: false,
    vm,
    kind,
    reason,
    accountMiB: holdsMemory(vm) ? actualMiB + inflight : 0,
    inflightGrowMiB: inflight,
    automation: knobs.automation,
  });
  if (knobs.automation === 'off') return untouched('unmanaged', 'automation is off for this VM');
  if (vm.state !== 'running' && vm.state !== 'blocked') return untouched('unmanaged', `VM is ${vm.state}`);
  const cfg = vm.config;
  if (cfg?.memoryLocked) return untouched('unmanaged', 'guest memory is locked (<memoryBacking><locked/>): a balloon cannot return it to the host');
  if (cfg?.hugepages) return untouched('unmanaged', 'guest memory is backed by huge pages (<memoryBacking><hugepages/>): ballooning frees no host memory');
  if (cfg && cfg.hostdevCount > 0) {
    return untouched('unmanaged', `${cfg.hostdevCount} passed-through device(s) (<hostdev>): guest memory is pinned for their DMA, ballooning is unsafe`);
  }
  if (cfg && cfg.balloonModel !== 'virtio' && cfg.balloonModel !== 'virtio-transitional' && cfg.balloonModel !== 'virtio-non-transitional') {
    return untouched('unmanaged', cfg.balloonModel ? `balloon device model '${cfg.balloonModel}': no virtio balloon` : 'no balloon device (<memballoon>)');
  }
  if (!b) return untouched('unmanaged', 'no balloon figures: no balloon device, or none read yet');
  if (!host) return untouched('stale', `host ${vm.hostId} is not in the snapshot`);
  if (host.stale) return untouched('stale', `host ${host.hostId} is stale (no sample since ${host.lastSampleMs})`);
  const c: ControlKnobs = args.control;
  const entries = guestEntries(vm.window);
  if (!b.hasGuestStats) {
    return entries.length > 0
      ? untouched('stale', 'the guest stopped reporting balloon stats')
      : untouched('unmanaged', 'no guest balloon stats (no virtio-balloon driver, or no memory stats period set): cannot balloon safely');
  }
  const intervalMs = Math.max(host.intervalMs, 1);
  const ageMs = nowMs - b.lastUpdateSec * 1000;
  if (ageMs > c.staleAfterIntervals * intervalMs) {
    return untouched('stale', `guest balloon stats are ${Math.round(ageMs / 1000)} s old (> ${c.staleAfterIntervals} intervals of ${intervalMs} ms)`);
  }
  const held = vm.holds.find((h) => h.resource === 'memory' && h.untilMs > nowMs);
  if (held) return untouched('hold', `memory is held by a manual job until ${held.untilMs}`);

  // Used as of the guest's last report (see guestUsedKiB); unused is what the live balloon leaves of it.
  // With deflate-on-oom the guest's MemTotal does not follow the balloon: no overhead to read.
  const overheadKiB = cfg?.deflateOnOom ? undefined : kernelOverheadKiB(entries);
  const usedMiB = guestUsedKiB({ actualKiB: b.actualKiB, unusedKiB: b.unusedKiB, availableKiB: b.availableKiB > 0 ? b.availableKiB : undefined }, overheadKiB) / KIB_PER_MIB;
  const unusedMiB = Math.max(0, actualMiB - usedMiB);
  const maximumMiB = b.maximumKiB / KIB_PER_MIB;
  const limitMiB = Math.min(knobs.limitMiB ?? maximumMiB, maximumMiB);
  const reservation = knobs.reservationMiB;
  const hyst = knobs.hysteresisMiB;
  const lookaheadSec = c.lookaheadMs / 1000;
  const trend = usedTrendMiBPerSec(entries, c.trendSamples, !cfg?.deflateOnOom);
  const recentRate = recentUsedRateMiBPerSec(entries, 2 * knobs.hysteresisMiB, !cfg?.deflateOnOom);
  // The larger of the fitted trend and the last report-to-report rate: a consumer that just started
  // shows in the latter first (the lab's scenario 3 ran a guest down to 24 MiB unused on the trend alone).
  const consumption = Math.max(0, trend, recentRate);
  const predictedUnusedMiB = unusedMiB - consumption * lookaheadSec;
  const aim = (knobs.minUnusedMiB + knobs.maxUnusedMiB) / 2;
  const desiredMiB = usedMiB + consumption * lookaheadSec + aim;
  const releaseFloorMiB = Math.ceil(Math.max(reservation, usedMiB + knobs.minUnusedMiB + consumption * lookaheadSec));
  const pressureFloorMiB = Math.ceil(
    Math.max(reservation, usedMiB + knobs.minUnusedMiB + hyst + consumption * (lookaheadSec + (2 * intervalMs) / 1000)),
  );
  const releaseStepMiB = Math.max(0, Math.min(knobs.maxReleaseMiBPerCycle, (knobs.maxReleasePercent / 100) * actualMiB));
  const warmup = entries.length < c.warmupSamples;
  const swapInKiBPerSec = latestSwapInKiBPerSec(entries);
  // Swap-in with plenty of unused memory is pages coming back, not pressure: only below maxUnused it is thrashing.
  const thrashing = swapInKiBPerSec > c.feedbackSwapInKiBPerSec && unusedMiB < knobs.maxUnusedMiB;
  const oc = findOverReclaim(entries, {
    majorFaultsPerSec: c.feedbackMajorFaultsPerSec,
    swapInKiBPerSec: c.feedbackSwapInKiBPerSec,
    minDropMiB: hyst,
  });
  const protectUntilMs = oc ? oc.triggeredAtMs + c.cooldownCycles * intervalMs : undefined;
  const protect = oc && protectUntilMs !== undefined && nowMs < protectUntilMs ? oc : undefined;
  const spm = sharesPerMiB(knobs.shares);
  const rho = sharesPerActivePage(spm, actualMiB > 0 ? usedMiB / actualMiB : 1, hostKnobs.idleTaxRate);

  const m: Managed = {
    managed: true,
    vm,
    knobs,
    groups,
    auto: knobs.automation === 'auto',
    actualMiB,
    unusedMiB,
    usedMiB,
    maximumMiB,
    limitMiB,
    committedMiB: committed,
    trendMiBPerSec: trend,
    consumptionMiBPerSec: consumption,
    predictedUnusedMiB,
    desiredMiB,
    releaseFloorMiB,
    pressureFloorMiB,
    releaseStepMiB,
    releaseFromMiB: Math.min(committed, actualMiB),
    warmup,
    thrashing,
    swapInKiBPerSec,
    protect,
    protectUntilMs: protect ? protectUntilMs : undefined,
    sharesPerMiB: spm,
    rho,
    role: 'hold',
    why: '',
    holdKind: 'hold',
    urgent: false,
    requestMiB: committed,
    minNeedMiB: 0,
    leanNeedMiB: 0,
    targetMiB: committed,
    reclaimedMiB: 0,
  };

  const needs: string[] = [];
  if (actualMiB < reservation) needs.push(`below its reservation of ${reservation} MiB`);
  if (unusedMiB < knobs.minUnusedMiB) needs.push(`unused ${fmt(unusedMiB)} MiB < ${knobs.minUnusedMiB} MiB`);
  else if (predictedUnusedMiB < knobs.minUnusedMiB) {
    needs.push(`unused ${fmt(unusedMiB)} MiB falls at ${fmt(consumption)} MiB/s: ${fmt(predictedUnusedMiB)} MiB in ${lookaheadSec} s`);
  }
  if (thrashing) needs.push(`swapping in ${fmt(swapInKiBPerSec)} KiB/s`);
  const growBack = protect !== undefined && protect.growBackMiB - actualMiB > hyst;
  if (growBack) needs.push(`faults rose after a release: growing back to ${fmt(protect.growBackMiB)} MiB`);

  if (needs.length > 0) {
    m.urgent = actualMiB < reservation || unusedMiB < knobs.minUnusedMiB || thrashing || growBack;
    let want = Math.max(desiredMiB, reservation);
    if (thrashing) want = Math.max(want, actualMiB + knobs.maxGrowMiBPerCycle);
    if (growBack && protect) want = Math.max(want, protect.growBackMiB);
    const request = Math.min(Math.floor(limitMiB), Math.floor(actualMiB + knobs.maxGrowMiBPerCycle), Math.ceil(want));
    m.why = needs.join('; ');
    if (request - committed > hyst) {
      m.role = 'grow';
      m.requestMiB = request;
      const minimum = Math.ceil(Math.max(reservation, usedMiB + knobs.minUnusedMiB)) - committed;
      m.minNeedMiB = thrashing || growBack ? request - committed : Math.min(request - committed, Math.max(0, minimum));
      const lean = Math.ceil(Math.max(reservation, usedMiB + knobs.minUnusedMiB + hyst + consumption * lookaheadSec)) - committed;
      m.leanNeedMiB = Math.min(request - committed, Math.max(m.minNeedMiB, lean));
    } else if (committed - actualMiB > hyst) {
      m.holdKind = 'grow';
      m.why += `; a grow to ${fmt(committed)} MiB is in flight`;
    } else if (limitMiB - actualMiB <= hyst) {
      m.holdKind = 'starved';
      m.why += `; at its limit of ${fmt(limitMiB)} MiB`;
    } else {
      m.why += `; the change is within the hysteresis of ${hyst} MiB`;
    }
    if (protect && m.role !== 'grow' && m.holdKind === 'hold') m.holdKind = 'protect';
    return m;
  }

  // A release in flight that would now go below the floor (the guest's use rose meanwhile) is trimmed back.
  const trim = (): boolean => {
    if (committed >= releaseFloorMiB || committed >= actualMiB || releaseFloorMiB > actualMiB) return false;
    if (releaseFloorMiB - committed <= hyst) return false;
    m.role = 'release';
    m.targetMiB = releaseFloorMiB;
    m.why += `; the release in flight (to ${fmt(committed)} MiB) would go below the floor: trimmed to ${releaseFloorMiB} MiB`;
    return true;
  };

  const overLimit = actualMiB > limitMiB + hyst;
  if (unusedMiB > knobs.maxUnusedMiB || overLimit) {
    const what = overLimit ? `above its limit of ${fmt(limitMiB)} MiB` : `a donor: unused ${fmt(unusedMiB)} MiB > ${knobs.maxUnusedMiB} MiB`;
    if (warmup || protect) {
      m.holdKind = warmup ? 'warmup' : 'protect';
      m.why = warmup
        ? `${what}, but warming up (${entries.length} of ${c.warmupSamples} samples): not released yet`
        : `${what}, but protected after over-reclaim until ${protectUntilMs}: no release`;
      trim();
      return m;
    }
    // A guest whose use is rising is no donor, however much is unused right now (it just started consuming).
    if (!overLimit && recentRate > 0) {
      m.why = `${what}, but its use rises at ${fmt(consumption)} MiB/s: not released while it consumes`;
      trim();
      return m;
    }
    const goal = unusedMiB > knobs.maxUnusedMiB ? Math.min(desiredMiB, limitMiB) : limitMiB;
    const target = Math.max(releaseFloorMiB, Math.ceil(m.releaseFromMiB - releaseStepMiB), Math.ceil(goal));
    const rule = `floor ${releaseFloorMiB} MiB, step ≤ ${fmt(releaseStepMiB)} MiB`;
    if (target <= actualMiB && Math.abs(target - committed) > hyst) {
      m.role = 'release';
      m.targetMiB = target;
      m.why = `${what}: releasing gradually toward ${fmt(goal)} MiB (${rule})`;
    } else {
      m.why = `${what}, but the release allowed (${rule}) is within the hysteresis of ${hyst} MiB of ${fmt(committed)} MiB`;
    }
    return m;
  }

  m.why = `unused ${fmt(unusedMiB)} MiB within ${knobs.minUnusedMiB}..${knobs.maxUnusedMiB} MiB`;
  if (warmup) {
    m.holdKind = 'warmup';
    m.why += ` (warming up: ${entries.length} of ${c.warmupSamples} samples)`;
  } else if (protect) {
    m.holdKind = 'protect';
    m.why += ` (protected after over-reclaim until ${protectUntilMs})`;
  }
  trim();
  return m;
}

export function fmt(x: number): string {
  return String(Math.round(x * 10) / 10);
}
