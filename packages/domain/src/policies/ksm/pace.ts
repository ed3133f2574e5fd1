/**
 * ksmd's pace from the pressure depth: pagesToScan rises from its min to its max and sleepMillisecs falls from
 * its max to its min as free memory falls from the on line to the full-pressure line. A pace already set (or in
 * flight) within the deadband of the target is kept, so small moves of free memory make no job.
 */
import type { KsmKnobs } from './args.js';

export interface Pace {
  pagesToScan: number;
  sleepMillisecs: number;
}

/**
 * Whether `value`, read as a position from `from` (0) to `to` (1), lies within `band` of `depth`. A range of
 * one value (from = to) holds only that value; a value outside the range is never near.
 */
function near(value: number, from: number, to: number, depth: number, band: number): boolean {
  if (from === to) return value === from;
  const t = (value - from) / (to - from);
  return t >= 0 && t <= 1 && Math.abs(t - depth) <= band;
}

/** The pace for pressure depth `depth` (0..1). */
export function paceAt(depth: number, k: KsmKnobs): Pace {
  const d = Math.min(1, Math.max(0, depth));
  return {
    pagesToScan: Math.round(k.pagesToScanMin + d * (k.pagesToScanMax - k.pagesToScanMin)),
    sleepMillisecs: Math.round(k.sleepMillisecsMax - d * (k.sleepMillisecsMax - k.sleepMillisecsMin)),
  };
}

/**
 * Whether `current` may stay for the target at `depth`: both knobs within their ranges, at positions no
 * further than the deadband from the target depth.
 */
export function withinDeadband(current: Pace, depth: number, k: KsmKnobs): boolean {
  const band = k.paceDeadbandPercent / 100;
  return (
    near(current.pagesToScan, k.pagesToScanMin, k.pagesToScanMax, depth, band) &&
    near(current.sleepMillisecs, k.sleepMillisecsMax, k.sleepMillisecsMin, depth, band)
  );
}

/** The pace to run at: the current one when it is within the deadband, else the target. */
export function choosePace(current: Pace | undefined, depth: number, k: KsmKnobs): { pace: Pace; kept: boolean } {
  if (current && withinDeadband(current, depth, k)) return { pace: current, kept: true };
  return { pace: paceAt(depth, k), kept: false };
}
