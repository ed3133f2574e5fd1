/**
 * What make bench scale reads from the engines and Redis: a histogram from an engine's /metrics (ops port),
 * quantiles of what happened between two scrapes (linear within a bucket, as Prometheus's
 * histogram_quantile), an engine's /healthz details, Redis's command count and memory.
 */
import type { Redis } from 'ioredis';

/** A histogram's cumulative bucket counts (le → count) plus its count and sum. */
export interface Hist {
  buckets: [number, number][];
  count: number;
  sum: number;
}

/** `name`'s series (of a labelled histogram: the one whose labels include `label`, e.g. 'phase="plan"'). */
export function parseHistogram(text: string, name: string, label?: string): Hist {
  const buckets: [number, number][] = [];
  let count = 0;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\S+?)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || (label !== undefined && !(m[2] ?? '').split(',').includes(label))) continue;
    const value = Number(m[3]);
    if (m[1] === `${name}_bucket`) {
      const le = /le="([^"]+)"/.exec(m[2] ?? '')?.[1];
      if (le !== undefined) buckets.push([le === '+Inf' ? Infinity : Number(le), value]);
    } else if (m[1] === `${name}_count`) count = value;
    else if (m[1] === `${name}_sum`) sum = value;
  }
  return { buckets: buckets.sort((a, b) => a[0] - b[0]), count, sum };
}

/** What was observed between scrape `a` and scrape `b`. */
export function histDelta(a: Hist, b: Hist): Hist {
  const before = new Map(a.buckets);
  return { buckets: b.buckets.map(([le, c]) => [le, c - (before.get(le) ?? 0)]), count: b.count - a.count, sum: b.sum - a.sum };
}

/** The q-quantile (0..1) of a histogram, interpolated within its bucket; NaN when empty; the last finite bound when in +Inf. */
export function quantile(h: Hist, q: number): number {
  if (h.count <= 0) return NaN;
  const rank = q * h.count;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, c] of h.buckets) {
    if (c >= rank) {
      if (!Number.isFinite(le)) return prevLe;
      return c === prevCount ? le : prevLe + ((le - prevLe) * (rank - prevCount)) / (c - prevCount);
    }
    prevLe = le;
    prevCount = c;
  }
  return prevLe;
}

/** A gauge's value (first series) from /metrics text; NaN when absent. */
export function gaugeValue(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

export async function scrape(opsPort: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${opsPort}/metrics`, { signal: AbortSignal.timeout(120_000) });
  if (!r.ok) throw new Error(`/metrics on ${opsPort}: HTTP ${r.status}`);
  return r.text();
}

export interface EngineHealth {
  hosts: number;
  hostsOwned: number;
  clusterLease: boolean;
}

export async function health(opsPort: number, timeoutMs = 2000): Promise<EngineHealth | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${opsPort}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await r.json()) as { details?: Partial<EngineHealth> };
    const d = body.details ?? {};
    return { hosts: d.hosts ?? 0, hostsOwned: d.hostsOwned ?? 0, clusterLease: d.clusterLease === true };
  } catch {
    return undefined;
  }
}

export interface RedisFigures {
  commands: number;
  /** Calls so far by command (INFO commandstats). */
  calls: Map<string, number>;
  opsPerSec: number;
  usedMemoryMiB: number;
  pid: number;
}

export async function redisFigures(redis: Redis): Promise<RedisFigures> {
  const info = await redis.info('everything');
  const calls = new Map([...info.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)].map((m) => [m[1] as string, Number(m[2])]));
  const field = (k: string) => Number(new RegExp(`^${k}:(\\S+)`, 'm').exec(info)?.[1] ?? NaN);
  return { calls, commands: field('total_commands_processed'), opsPerSec: field('instantaneous_ops_per_sec'), usedMemoryMiB: field('used_memory') / 1048576, pid: field('process_id') };
}

/** The `n` commands called most between two readings, as "name count/s". */
export function topCommands(a: RedisFigures, b: RedisFigures, seconds: number, n = 5): string {
  return [...b.calls]
    .map(([k, v]) => [k, (v - (a.calls.get(k) ?? 0)) / seconds] as const)
    .sort((x, y) => y[1] - x[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${Math.round(v)}/s`)
    .join(', ');
}
