/**
 * A `shares` knob as ESX has it: a level, 'high' | 'normal' | 'low' (4:2:1), or a number per unit of what
 * is shared (per MiB of memory, per vCPU). Each policy gives its own table of the levels.
 */
import type { ArgsReader } from './args-reader.js';

export type SharesLevel = 'high' | 'normal' | 'low';

/** A level or a number of shares per unit. */
export type SharesKnob = SharesLevel | number;

/** Shares per unit of a knob, by the policy's table of levels. */
export function sharesValue(s: SharesKnob, levels: Readonly<Record<SharesLevel, number>>): number {
  return typeof s === 'number' ? s : levels[s];
}

/** Reads the `shares` knob of `r` (a level, or a number per `unit` > 0 and at most `max`); an issue otherwise. */
export function readSharesKnob(r: ArgsReader, unit: string, max = Infinity): SharesKnob | undefined {
  const v = r.obj['shares'];
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    if (Number.isFinite(v) && v > 0 && v <= max) return v;
    r.issues.push({ field: r.field('shares'), message: `a number of shares per ${unit} must be > 0${Number.isFinite(max) ? ` and ≤ ${max}` : ''}` });
  } else if (v === 'high' || v === 'normal' || v === 'low') {
    return v;
  } else {
    r.issues.push({ field: r.field('shares'), message: `must be 'high', 'normal', 'low' or a number per ${unit}` });
  }
  return undefined;
}
