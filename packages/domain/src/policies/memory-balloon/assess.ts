/**
 * One VM, one cycle: what the memory-balloon policy makes of its latest sample and window before the
 * host-wide arbitration (plan.ts) — unmanaged, stale or held as it is, or managed with a wish to grow,
 * release or hold. The steps, in order:
 *
 *   1. knobs and eligibility   its knobs (knobs.ts); left alone when unmanaged, stale or held (eligibility.ts)
 *   2. figures                 used, unused, trend, consumption, floors, steps (vm-figures.ts)
 *   3. over-reclaim protection faults or swap-in rose after a release: grow back, no release (vm-figures.ts)
 *   4. the wish                grow, else release (a donor), else hold (wishes.ts)
 */
import type { HostView, VmView } from '../../snapshot.js';
import { KIB_PER_MIB } from '../../units.js';
import type { HostKnobs, MemoryBalloonArgs, VmKnobs } from './args.js';
import type { Assessed, Managed, Untouched } from './assessment.js';
import { eligibility, type LeftAlone } from './eligibility.js';
import { knobsFor } from './knobs.js';
import { guestEntries, type OverReclaim } from './signals.js';
import { overReclaimProtection, vmFigures, type VmFigures } from './vm-figures.js';
import { holdInBand, wishToGrow, wishToRelease } from './wishes.js';

export function assessVm(
  vm: VmView,
  host: HostView | undefined,
  hostKnobs: HostKnobs,
  args: MemoryBalloonArgs,
  nowMs: number,
  targetInFlightMiB?: number,
): Assessed {
  const c = args.control;
  // 1. knobs and eligibility
  const { knobs, groups } = knobsFor(args, vm);
  const actualMiB = vm.balloon ? vm.balloon.actualKiB / KIB_PER_MIB : 0;
  const committed = committedMiB(targetInFlightMiB, actualMiB);
  const entries = guestEntries(vm.window);
  const eligible = eligibility(vm, host, knobs, c, nowMs, entries);
  if ('reason' in eligible) return untouched(vm, knobs, actualMiB, committed, eligible);
  // 2. figures, 3. over-reclaim protection
  const f = vmFigures(vm, eligible, knobs, hostKnobs, c, entries);
  const { protect, protectUntilMs } = overReclaimProtection(entries, c, knobs.hysteresisMiB, f.intervalMs, nowMs);
  const m = managed(vm, knobs, groups, committed, f, protect, protectUntilMs);
  // 4. the wish
  if (!wishToGrow(m, f) && !wishToRelease(m, f, c)) holdInBand(m, f, c);
  return m;
}

/**
 * The balloon size the VM is committed to: the target of its set-memory job in flight (in-flight.ts), else
 * the balloon (MiB). Planning against what is committed keeps a grow still in the queue visible (Σ balloons
 * stays within the budget) and makes a release move one step a cycle despite the queue's lag.
 */
function committedMiB(targetInFlightMiB: number | undefined, actualMiB: number): number {
  const t = targetInFlightMiB;
  return typeof t === 'number' && Number.isFinite(t) && t > 0 && Math.abs(t - actualMiB) >= 1 ? t : actualMiB;
}

function holdsMemory(vm: VmView): boolean {
  return vm.state !== 'shutoff' && vm.state !== 'nostate';
}

/** A VM left as it is, with what it holds of the host's memory. */
function untouched(vm: VmView, knobs: VmKnobs, actualMiB: number, committed: number, { kind, reason }: LeftAlone): Untouched {
  const inflight = holdsMemory(vm) ? Math.max(0, committed - actualMiB) : 0;
  return {
    managed: false,
    vm,
    kind,
    reason,
    accountMiB: holdsMemory(vm) ? actualMiB + inflight : 0,
    inflightGrowMiB: inflight,
    automation: knobs.automation,
  };
}

/** A managed VM with its figures, holding at what it is committed to until its wish says otherwise. */
function managed(
  vm: VmView,
  knobs: VmKnobs,
  groups: string[],
  committed: number,
  f: VmFigures,
  protect: OverReclaim | undefined,
  protectUntilMs: number | undefined,
): Managed {
  return {
    managed: true,
    vm,
    knobs,
    groups,
    auto: knobs.automation === 'auto',
    actualMiB: f.actualMiB,
    unusedMiB: f.unusedMiB,
    usedMiB: f.usedMiB,
    maximumMiB: f.maximumMiB,
    limitMiB: f.limitMiB,
    committedMiB: committed,
    trendMiBPerSec: f.trendMiBPerSec,
    consumptionMiBPerSec: f.consumptionMiBPerSec,
    predictedUnusedMiB: f.predictedUnusedMiB,
    desiredMiB: f.desiredMiB,
    releaseFloorMiB: f.releaseFloorMiB,
    pressureFloorMiB: f.pressureFloorMiB,
    releaseStepMiB: f.releaseStepMiB,
    releaseFromMiB: committed,
    warmup: f.warmup,
    thrashing: f.thrashing,
    swapInKiBPerSec: f.swapInKiBPerSec,
    protect,
    protectUntilMs: protect ? protectUntilMs : undefined,
    sharesPerMiB: f.sharesPerMiB,
    rho: f.rho,
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
}
