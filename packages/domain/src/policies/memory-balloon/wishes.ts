/**
 * A managed VM's wish before the host-wide arbitration (plan.ts), in the order assess.ts asks: grow (below
 * minUnused now or within the lookahead, swapping, below its reservation, or growing back after an
 * over-reclaim), else release (a donor, or above its limit: one step toward its goal), else hold. A release
 * in flight that would now go below the floor is trimmed back whenever the VM holds.
 */
import type { ControlKnobs } from './args.js';
import type { Managed } from './assessment.js';
import { fmt } from '../shared/format.js';
import type { VmFigures } from './vm-figures.js';

/** Why the VM needs to grow (none: it does not), and whether it grows back after an over-reclaim. */
function growNeeds(m: Managed, lookaheadSec: number): { needs: string[]; growBack: boolean } {
  const { knobs } = m;
  const needs: string[] = [];
  if (m.actualMiB < knobs.reservationMiB) needs.push(`below its reservation of ${knobs.reservationMiB} MiB`);
  if (m.unusedMiB < knobs.minUnusedMiB) needs.push(`unused ${fmt(m.unusedMiB)} MiB < ${knobs.minUnusedMiB} MiB`);
  else if (m.predictedUnusedMiB < knobs.minUnusedMiB) {
    needs.push(
      `unused ${fmt(m.unusedMiB)} MiB falls at ${fmt(m.consumptionMiBPerSec)} MiB/s: ${fmt(m.predictedUnusedMiB)} MiB in ${lookaheadSec} s`,
    );
  }
  if (m.thrashing) needs.push(`swapping in ${fmt(m.swapInKiBPerSec)} KiB/s`);
  const growBack = m.protect !== undefined && m.protect.growBackMiB - m.actualMiB > knobs.hysteresisMiB;
  if (growBack && m.protect) needs.push(`faults rose after a release: growing back to ${fmt(m.protect.growBackMiB)} MiB`);
  return { needs, growBack };
}

/**
 * The grow wish: a VM that needs memory asks for used + lookahead + the middle of the unused band (more
 * when swapping or growing back), within its grow step and limit; with what it needs first (its minimum,
 * then its lean target) for the grants. False when it needs nothing.
 */
export function wishToGrow(m: Managed, f: VmFigures): boolean {
  const { knobs } = m;
  const { needs, growBack } = growNeeds(m, f.lookaheadSec);
  if (needs.length === 0) return false;
  m.urgent = m.actualMiB < knobs.reservationMiB || m.unusedMiB < knobs.minUnusedMiB || m.thrashing || growBack;
  let want = Math.max(m.desiredMiB, knobs.reservationMiB);
  if (m.thrashing) want = Math.max(want, m.actualMiB + knobs.maxGrowMiBPerCycle);
  if (growBack && m.protect) want = Math.max(want, m.protect.growBackMiB);
  const request = Math.min(Math.floor(m.limitMiB), Math.floor(m.actualMiB + knobs.maxGrowMiBPerCycle), Math.ceil(want));
  m.why = needs.join('; ');
  if (request - m.committedMiB > knobs.hysteresisMiB) askToGrow(m, request, growBack, f.lookaheadSec);
  else holdWithNeeds(m);
  if (m.protect && m.role !== 'grow' && m.holdKind === 'hold') m.holdKind = 'protect';
  return true;
}

/** A grower's request and its levels: the minimum (reservation, used + minUnused), then the lean target. */
function askToGrow(m: Managed, request: number, growBack: boolean, lookaheadSec: number): void {
  const { knobs } = m;
  const committed = m.committedMiB;
  m.role = 'grow';
  m.requestMiB = request;
  const minimum = Math.ceil(Math.max(knobs.reservationMiB, m.usedMiB + knobs.minUnusedMiB)) - committed;
  m.minNeedMiB = m.thrashing || growBack ? request - committed : Math.min(request - committed, Math.max(0, minimum));
  const lean =
    Math.ceil(Math.max(knobs.reservationMiB, m.usedMiB + knobs.minUnusedMiB + knobs.hysteresisMiB + m.consumptionMiBPerSec * lookaheadSec)) -
    committed;
  m.leanNeedMiB = Math.min(request - committed, Math.max(m.minNeedMiB, lean));
}

/** A VM that needs memory but asks for none this cycle: its grow is in flight, it is at its limit, or the change is too small. */
function holdWithNeeds(m: Managed): void {
  const hyst = m.knobs.hysteresisMiB;
  if (m.committedMiB - m.actualMiB > hyst) {
    m.holdKind = 'grow';
    m.why += `; a grow to ${fmt(m.committedMiB)} MiB is in flight`;
  } else if (m.limitMiB - m.actualMiB <= hyst) {
    m.holdKind = 'starved';
    m.why += `; at its limit of ${fmt(m.limitMiB)} MiB`;
  } else {
    m.why += `; the change is within the hysteresis of ${hyst} MiB`;
  }
}

/**
 * The release wish of a donor (unused above maxUnused) or of a VM above its limit: one step (≤ the release
 * step, never below the release floor) toward its goal, unless it is warming up, protected or consuming.
 * False when the VM is neither.
 */
export function wishToRelease(m: Managed, f: VmFigures, c: ControlKnobs): boolean {
  const { knobs } = m;
  const overLimit = m.actualMiB > m.limitMiB + knobs.hysteresisMiB;
  if (!(m.unusedMiB > knobs.maxUnusedMiB || overLimit)) return false;
  const what = overLimit ? `above its limit of ${fmt(m.limitMiB)} MiB` : `a donor: unused ${fmt(m.unusedMiB)} MiB > ${knobs.maxUnusedMiB} MiB`;
  if (m.warmup || m.protect) {
    m.holdKind = m.warmup ? 'warmup' : 'protect';
    m.why = m.warmup
      ? `${what}, but warming up (${f.samples} of ${c.warmupSamples} samples): not released yet`
      : `${what}, but protected after over-reclaim until ${m.protectUntilMs}: no release`;
    trimReleaseInFlight(m);
    return true;
  }
  // A guest whose use is rising is no donor, however much is unused right now (it just started consuming).
  if (!overLimit && f.recentRateMiBPerSec > 0) {
    m.why = `${what}, but its use rises at ${fmt(m.consumptionMiBPerSec)} MiB/s: not released while it consumes`;
    trimReleaseInFlight(m);
    return true;
  }
  releaseOneStep(m, what);
  return true;
}

/** One release step from where this cycle's step starts, toward the middle of the band (or the limit). */
function releaseOneStep(m: Managed, what: string): void {
  const { knobs } = m;
  const hyst = knobs.hysteresisMiB;
  const goal = m.unusedMiB > knobs.maxUnusedMiB ? Math.min(m.desiredMiB, m.limitMiB) : m.limitMiB;
  const target = Math.max(m.releaseFloorMiB, Math.ceil(m.releaseFromMiB - m.releaseStepMiB), Math.ceil(goal));
  const rule = `floor ${m.releaseFloorMiB} MiB, step ≤ ${fmt(m.releaseStepMiB)} MiB`;
  if (target <= m.actualMiB && Math.abs(target - m.committedMiB) > hyst) {
    m.role = 'release';
    m.targetMiB = target;
    m.why = `${what}: releasing gradually toward ${fmt(goal)} MiB (${rule})`;
  } else {
    m.why = `${what}, but the release allowed (${rule}) is within the hysteresis of ${hyst} MiB of ${fmt(m.committedMiB)} MiB`;
  }
}

/** Neither grow nor release: unused memory is within the band. */
export function holdInBand(m: Managed, f: VmFigures, c: ControlKnobs): void {
  m.why = `unused ${fmt(m.unusedMiB)} MiB within ${m.knobs.minUnusedMiB}..${m.knobs.maxUnusedMiB} MiB`;
  if (m.warmup) {
    m.holdKind = 'warmup';
    m.why += ` (warming up: ${f.samples} of ${c.warmupSamples} samples)`;
  } else if (m.protect) {
    m.holdKind = 'protect';
    m.why += ` (protected after over-reclaim until ${m.protectUntilMs})`;
  }
  trimReleaseInFlight(m);
}

/** A release in flight that would now go below the floor (the guest's use rose meanwhile) is trimmed back. */
function trimReleaseInFlight(m: Managed): void {
  const committed = m.committedMiB;
  const floor = m.releaseFloorMiB;
  if (committed >= floor || committed >= m.actualMiB || floor > m.actualMiB) return;
  if (floor - committed <= m.knobs.hysteresisMiB) return;
  m.role = 'release';
  m.targetMiB = floor;
  m.why += `; the release in flight (to ${fmt(committed)} MiB) would go below the floor: trimmed to ${floor} MiB`;
}
