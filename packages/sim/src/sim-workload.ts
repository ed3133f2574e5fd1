/**
 * Workload scripts for simulated guests: a Signal is a pure function of simulated time (ms since the
 * cluster's start). CPU demand signals give the busy fraction of a vCPU (0..1); memory signals give guest
 * used memory in KiB. Helpers compose: sum(ramp(...), steps(...)), clamp(jitter(...), 0, 1), ...
 *
 *   const memory = sum(constant(mib(200)), ramp(0, mib(800), mib(20), 60_000)); // +20 MiB/s from t=60 s
 *   const cpu = steps([[0, 0.1], [30_000, 0.9], [90_000, 0.2]]);
 *
 * Any `(tMs) => number` is a Signal. The helpers also attach `holdUntil`, a hint that lets the simulator
 * skip re-evaluating a piecewise-constant signal until it can change (a large saving at scale).
 */
import { KIB_PER_MIB } from '@ballast/domain';
import { hash01 } from './sim-random.js';

/** Value of a workload at simulated time tMs. Must be pure: same tMs, same value. */
export interface Signal {
  (tMs: number): number;
  /**
   * Optional hint: the value is the same at every time in [tMs, holdUntil(tMs)). Returning tMs promises
   * nothing; Infinity means "constant from here on". A wrong hint makes the simulation wrong.
   */
  holdUntil?: (tMs: number) => number;
}

export const KIB_PER_GIB = 1024 * KIB_PER_MIB;

/** n MiB in KiB. */
export function mib(n: number): number {
  return n * KIB_PER_MIB;
}

/** n GiB in KiB. */
export function gib(n: number): number {
  return n * KIB_PER_GIB;
}

/** Until when `signal` is known to keep its value at tMs (tMs if it gives no hint). */
export function holdUntil(signal: Signal, tMs: number): number {
  return signal.holdUntil ? signal.holdUntil(tMs) : tMs;
}

function withHold(fn: (tMs: number) => number, hold: (tMs: number) => number): Signal {
  const s: Signal = fn;
  s.holdUntil = hold;
  return s;
}

export function constant(value: number): Signal {
  return withHold(
    () => value,
    () => Infinity,
  );
}

/**
 * Piecewise constant: the value of the last point whose atMs ≤ t; before the first point, the first
 * point's value. Points need not be sorted.
 */
export function steps(points: ReadonlyArray<readonly [atMs: number, value: number]>): Signal {
  if (points.length === 0) throw new RangeError('steps: at least one point is required');
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  const at = Float64Array.from(sorted, (p) => p[0]);
  const val = Float64Array.from(sorted, (p) => p[1]);
  const first = val[0] ?? 0;
  /** Index of the last point with atMs ≤ t, or −1. */
  const find = (t: number): number => {
    if (t < (at[0] ?? 0)) return -1;
    let lo = 0;
    let hi = at.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((at[mid] ?? 0) <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return withHold(
    (t) => {
      const i = find(t);
      return i < 0 ? first : (val[i] ?? first);
    },
    (t) => at[find(t) + 1] ?? Infinity,
  );
}

/**
 * Linear move from `from` toward `to` at `ratePerSec` (units per simulated second), starting at startMs;
 * holds `from` before and `to` after. Memory: ramp(mib(256), mib(1500), mib(20)) grows 20 MiB/s.
 */
export function ramp(from: number, to: number, ratePerSec: number, startMs = 0): Signal {
  if (!(ratePerSec > 0)) throw new RangeError('ramp: ratePerSec must be > 0');
  const dir = to >= from ? 1 : -1;
  const endMs = startMs + (Math.abs(to - from) / ratePerSec) * 1000;
  return withHold(
    (t) => {
      if (t <= startMs) return from;
      if (t >= endMs) return to;
      return from + (dir * ratePerSec * (t - startMs)) / 1000;
    },
    (t) => (t < startMs ? startMs : t >= endMs ? Infinity : t),
  );
}

export interface TraceOptions {
  /** Time of values[0]; default 0. Before it, values[0]. */
  startMs?: number;
  /** Repeat the trace after its end instead of holding the last value. */
  loop?: boolean;
  /** Interpolate linearly between samples instead of holding each sample for intervalMs. */
  interpolate?: boolean;
}

/** A recorded series: values[i] holds from startMs + i·intervalMs. */
export function trace(values: readonly number[], intervalMs: number, opts: TraceOptions = {}): Signal {
  if (values.length === 0) throw new RangeError('trace: at least one value is required');
  if (!(intervalMs > 0)) throw new RangeError('trace: intervalMs must be > 0');
  const v = Float64Array.from(values);
  const n = v.length;
  const start = opts.startMs ?? 0;
  const loop = opts.loop ?? false;
  const interpolate = opts.interpolate ?? false;
  const last = v[n - 1] ?? 0;
  return withHold(
    (t) => {
      let x = (t - start) / intervalMs;
      if (x <= 0) return v[0] ?? 0;
      if (loop) x %= n;
      else if (x >= n - 1) return last;
      const i = Math.floor(x);
      const a = v[i] ?? last;
      if (!interpolate) return a;
      const b = v[(i + 1) % n] ?? last;
      return a + (b - a) * (x - i);
    },
    (t) => {
      const x = (t - start) / intervalMs;
      if (x < 0) return start;
      if (!loop && x >= n - 1) return Infinity;
      return interpolate ? t : start + (Math.floor(x) + 1) * intervalMs;
    },
  );
}

function minHold(signals: readonly Signal[], t: number): number {
  let until = Infinity;
  for (const s of signals) {
    const u = holdUntil(s, t);
    if (u < until) until = u;
  }
  return until;
}

export function sum(...signals: Signal[]): Signal {
  if (signals.length === 1 && signals[0]) return signals[0];
  return withHold(
    (t) => {
      let s = 0;
      for (let i = 0; i < signals.length; i++) s += (signals[i] as Signal)(t);
      return s;
    },
    (t) => minHold(signals, t),
  );
}

export function scale(signal: Signal, factor: number): Signal {
  return withHold(
    (t) => signal(t) * factor,
    (t) => holdUntil(signal, t),
  );
}

export function clamp(signal: Signal, min: number, max: number): Signal {
  return withHold(
    (t) => {
      const x = signal(t);
      return x < min ? min : x > max ? max : x;
    },
    (t) => holdUntil(signal, t),
  );
}

/** A square wave: `high` for the first dutyFraction of each period, `low` for the rest. */
export function square(low: number, high: number, periodMs: number, dutyFraction = 0.5, phaseMs = 0): Signal {
  if (!(periodMs > 0)) throw new RangeError('square: periodMs must be > 0');
  const highMs = dutyFraction * periodMs;
  const position = (t: number): number => (((t - phaseMs) % periodMs) + periodMs) % periodMs;
  return withHold(
    (t) => (position(t) < highMs ? high : low),
    (t) => {
      const p = position(t);
      return t - p + (p < highMs ? highMs : periodMs);
    },
  );
}

/**
 * Adds deterministic noise, uniform in [−amplitude, +amplitude], constant within each bucketMs window.
 * The noise is a hash of (seed, window), so the signal stays a pure function of time.
 */
export function jitter(signal: Signal, amplitude: number, seed: number, bucketMs = 1000): Signal {
  return withHold(
    (t) => signal(t) + amplitude * (2 * hash01(seed, Math.floor(t / bucketMs)) - 1),
    (t) => Math.min((Math.floor(t / bucketMs) + 1) * bucketMs, holdUntil(signal, t)),
  );
}
