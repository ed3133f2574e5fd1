/**
 * A gauge for many series (a cluster's VMs: hundreds of thousands of them), filled at each scrape and written
 * as Prometheus text directly: prom-client's Gauge hashes each series' labels when set and its registry
 * merges the default labels into a new object per series when writing; at 1,000 hosts / 20,000 VMs that was
 * seconds a scrape (docs/scale.md). The series come as label text already escaped (labelPairs), typically
 * made once per VM and shared by its series; the registry of createMetricsRegistry writes them with its
 * default labels exactly as prom-client would (the series' labels, then the default labels they lack).
 * On a plain prom-client Registry it works too (get(), prom-client writes it: slower, same text).
 *
 *   new TextGauge({ name, help, labelNames: ['host'], registers: [registry], fill: (w) => w.set(labelPairs({ host: 'h1' }), 3) });
 */
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

/** Where a fill puts its series: by label text (labelPairs), a later set of the same series replacing the first. */
export interface SeriesWriter {
  set(labelText: string, value: number): void;
  inc(labelText: string, by?: number): void;
}

export interface TextGaugeOptions {
  name: string;
  help: string;
  labelNames: readonly string[];
  registers: Registry[];
  /** Called at each scrape: writes every series the gauge has now. */
  fill(w: SeriesWriter): void;
  /**
   * Whether this scrape's fill sets each series once (no inc) — asked before each fill: then its series are
   * kept in the order set with no map of them (at 250,000 series the map was a good part of a scrape).
   */
  distinct?: () => boolean;
}

/** `a="x",b="y"`, escaped as prom-client escapes label values. */
export function labelPairs(labels: Record<string, string>): string {
  let out = '';
  for (const k in labels) out += `${out === '' ? '' : ','}${k}="${escapeLabelValue(labels[k] as string)}"`;
  return out;
}

export class TextGauge {
  readonly type = 'gauge' as const;
  readonly aggregator = 'sum' as const;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  private readonly fill: (w: SeriesWriter) => void;
  private readonly distinct: () => boolean;

  constructor(o: TextGaugeOptions) {
    this.name = o.name;
    this.help = o.help;
    this.labelNames = o.labelNames;
    this.fill = o.fill;
    this.distinct = o.distinct ?? (() => false);
    for (const r of o.registers) r.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series now (label text, value), in the order first set (a series set again keeps its place, takes the new value). */
  series(): [string, number][] {
    if (this.distinct()) {
      const out: [string, number][] = [];
      this.fill({
        set: (l, v) => void out.push([l, v]),
        inc: () => {
          throw new Error(`${this.name}: inc() on a gauge said to set each series once`);
        },
      });
      return out;
    }
    const m = new Map<string, number>();
    this.fill({ set: (l, v) => void m.set(l, v), inc: (l, by = 1) => void m.set(l, (m.get(l) ?? 0) + by) });
    return [...m];
  }

  /** As prom-client's metrics give themselves to a registry (JSON, or a plain Registry's text). */
  async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const values = this.series().map(([l, value]) => ({ value, labels: parsePairs(l) }));
    return { name: this.name, help: this.help, type: 'gauge', values, aggregator: this.aggregator } as unknown as MetricObjectWithValues<MetricValue<string>>;
  }

  /** The gauge's text with `defaults` (the registry's default labels) after each series' own labels. */
  promText(defaults: Record<string, string>): string {
    const extra = labelPairs(Object.fromEntries(Object.entries(defaults).filter(([k]) => !this.labelNames.includes(k))));
    const name = escapeString(this.name);
    const lines = [`# HELP ${name} ${escapeString(this.help)}`, `# TYPE ${name} gauge`];
    for (const [l, v] of this.series()) {
      const all = l === '' ? extra : extra === '' ? l : `${l},${extra}`;
      lines.push(`${name}${all === '' ? '' : `{${all}}`} ${valueText(v)}`);
    }
    return lines.join('\n');
  }
}

/** Whether a registered metric writes its own text. */
export function isTextGauge(m: unknown): m is TextGauge {
  return m instanceof TextGauge;
}

function escapeString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(s: string): string {
  return /[\\\n"]/.test(s) ? escapeString(s).replace(/"/g, '\\"') : s;
}

/** As prom-client writes a value. */
function valueText(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

/** labelPairs read back. */
function parsePairs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
    out[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return out;
}
