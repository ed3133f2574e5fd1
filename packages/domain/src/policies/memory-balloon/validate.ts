import type { ArgsIssue } from '../policy.js';
import {
  DEFAULT_CONTROL_KNOBS,
  DEFAULT_HOST_KNOBS,
  DEFAULT_VM_KNOBS,
  SHARES_PER_MIB,
  type Automation,
  type ControlKnobs,
  type GroupArgs,
  type HostKnobs,
  type MemoryBalloonArgs,
  type VmKnobs,
} from './args.js';

type Result = { ok: true; args: MemoryBalloonArgs } | { ok: false; issues: ArgsIssue[] };

const AUTOMATIONS: readonly Automation[] = ['off', 'recommend', 'auto'];

type Rec = Record<string, unknown>;

function isRecord(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Collects issues while reading one object; every read names its full field path. */
class Reader {
  constructor(
    readonly issues: ArgsIssue[],
    private readonly obj: Rec,
    private readonly path: string,
  ) {}

  field(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  /** Flags keys not in `known` (a typo would otherwise be silently ignored). */
  only(known: readonly string[]): void {
    for (const k of Object.keys(this.obj)) {
      if (!known.includes(k)) this.issues.push({ field: this.field(k), message: `unknown field (known: ${known.join(', ')})` });
    }
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  number(key: string, o: { min?: number; max?: number; integer?: boolean; gt?: number }): number | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    const f = this.field(key);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.issues.push({ field: f, message: 'must be a finite number' });
      return undefined;
    }
    if (o.integer && !Number.isInteger(v)) this.issues.push({ field: f, message: 'must be an integer' });
    else if (o.gt !== undefined && !(v > o.gt)) this.issues.push({ field: f, message: `must be > ${o.gt}` });
    else if (o.min !== undefined && v < o.min) this.issues.push({ field: f, message: `must be ≥ ${o.min}` });
    else if (o.max !== undefined && v > o.max) this.issues.push({ field: f, message: `must be ≤ ${o.max}` });
    else return v;
    return undefined;
  }

  record(key: string): Rec | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (!isRecord(v)) {
      this.issues.push({ field: this.field(key), message: 'must be an object' });
      return undefined;
    }
    return v;
  }

  sub(key: string): Reader | undefined {
    const r = this.record(key);
    return r ? new Reader(this.issues, r, this.field(key)) : undefined;
  }

  stringRecord(key: string): Record<string, string> | undefined {
    const r = this.record(key);
    if (!r) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'string') this.issues.push({ field: `${this.field(key)}.${k}`, message: 'must be a string' });
      else out[k] = v;
    }
    return out;
  }
}

const VM_KEYS = [
  'reservationMiB',
  'limitMiB',
  'shares',
  'minUnusedMiB',
  'maxUnusedMiB',
  'maxGrowMiBPerCycle',
  'maxReleaseMiBPerCycle',
  'maxReleasePercent',
  'hysteresisMiB',
  'automation',
] as const;

/** Reads the per-VM knobs present in `r` (defaults and groups share this). */
function readVmKnobs(r: Reader, raw: Rec): Partial<VmKnobs> {
  const out: Partial<VmKnobs> = {};
  const mib = (k: (typeof VM_KEYS)[number], o: { min?: number; gt?: number } = { min: 0 }): number | undefined =>
    r.number(k, { ...o, max: 16 * 1024 * 1024 });
  const set = <K extends keyof VmKnobs>(k: K, v: VmKnobs[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('reservationMiB', mib('reservationMiB'));
  set('limitMiB', mib('limitMiB', { gt: 0 }));
  set('minUnusedMiB', mib('minUnusedMiB'));
  set('maxUnusedMiB', mib('maxUnusedMiB'));
  set('maxGrowMiBPerCycle', mib('maxGrowMiBPerCycle', { gt: 0 }));
  set('maxReleaseMiBPerCycle', mib('maxReleaseMiBPerCycle'));
  set('maxReleasePercent', r.number('maxReleasePercent', { min: 0, max: 100 }));
  set('hysteresisMiB', mib('hysteresisMiB'));
  const shares = raw['shares'];
  if (shares !== undefined) {
    if (typeof shares === 'number') {
      if (Number.isFinite(shares) && shares > 0) out.shares = shares;
      else r.issues.push({ field: r.field('shares'), message: 'a number of shares per MiB must be > 0' });
    } else if (typeof shares === 'string' && shares in SHARES_PER_MIB) {
      out.shares = shares as keyof typeof SHARES_PER_MIB;
    } else {
      r.issues.push({ field: r.field('shares'), message: "must be 'high', 'normal', 'low' or a number per MiB" });
    }
  }
  const automation = raw['automation'];
  if (automation !== undefined) {
    if (AUTOMATIONS.includes(automation as Automation)) out.automation = automation as Automation;
    else r.issues.push({ field: r.field('automation'), message: `must be one of ${AUTOMATIONS.join(', ')}` });
  }
  return out;
}

/** Checks that hold between knobs once defaults and overrides are merged. */
function checkVmKnobs(k: VmKnobs, path: string, issues: ArgsIssue[]): void {
  if (k.limitMiB !== undefined && k.reservationMiB > k.limitMiB) {
    issues.push({ field: `${path}.reservationMiB`, message: `reservation ${k.reservationMiB} MiB exceeds the limit ${k.limitMiB} MiB` });
  }
  if (k.minUnusedMiB >= k.maxUnusedMiB) {
    issues.push({ field: `${path}.maxUnusedMiB`, message: `must be > minUnusedMiB (${k.minUnusedMiB})` });
  } else if (k.maxUnusedMiB - k.minUnusedMiB <= 2 * k.hysteresisMiB) {
    issues.push({ field: `${path}.hysteresisMiB`, message: `the unused band (${k.minUnusedMiB}..${k.maxUnusedMiB} MiB) must be wider than twice the hysteresis` });
  }
}

function readHostKnobs(r: Reader): Partial<HostKnobs> {
  r.only(['hostFreeFloorMiB', 'budgetMiB', 'idleTaxRate']);
  const out: Partial<HostKnobs> = {};
  const floor = r.number('hostFreeFloorMiB', { min: 0 });
  if (floor !== undefined) out.hostFreeFloorMiB = floor;
  const budget = r.number('budgetMiB', { gt: 0 });
  if (budget !== undefined) out.budgetMiB = budget;
  const tax = r.number('idleTaxRate', { min: 0, max: 0.99 });
  if (tax !== undefined) out.idleTaxRate = tax;
  return out;
}

function readControl(r: Reader): ControlKnobs {
  r.only(Object.keys(DEFAULT_CONTROL_KNOBS));
  const c: ControlKnobs = { ...DEFAULT_CONTROL_KNOBS };
  const int1 = { integer: true, min: 1 };
  c.lookaheadMs = r.number('lookaheadMs', { min: 0, max: 600_000 }) ?? c.lookaheadMs;
  c.trendSamples = r.number('trendSamples', { integer: true, min: 2 }) ?? c.trendSamples;
  c.warmupSamples = r.number('warmupSamples', { integer: true, min: 0 }) ?? c.warmupSamples;
  c.staleAfterIntervals = r.number('staleAfterIntervals', int1) ?? c.staleAfterIntervals;
  c.cooldownCycles = r.number('cooldownCycles', { integer: true, min: 0 }) ?? c.cooldownCycles;
  c.feedbackMajorFaultsPerSec = r.number('feedbackMajorFaultsPerSec', { gt: 0 }) ?? c.feedbackMajorFaultsPerSec;
  c.feedbackSwapInKiBPerSec = r.number('feedbackSwapInKiBPerSec', { gt: 0 }) ?? c.feedbackSwapInKiBPerSec;
  return c;
}

function readGroup(raw: unknown, path: string, issues: ArgsIssue[]): GroupArgs | undefined {
  if (!isRecord(raw)) {
    issues.push({ field: path, message: 'must be an object' });
    return undefined;
  }
  const r = new Reader(issues, raw, path);
  r.only(['name', 'match', ...VM_KEYS]);
  const g: GroupArgs = { match: {}, ...readVmKnobs(r, raw) };
  if (raw['name'] !== undefined) {
    if (typeof raw['name'] === 'string') g.name = raw['name'];
    else issues.push({ field: `${path}.name`, message: 'must be a string' });
  }
  const m = r.sub('match');
  if (!m) {
    if (!r.has('match')) issues.push({ field: `${path}.match`, message: 'required: { names?: string[], labels?: {key: value} }' });
    return g;
  }
  m.only(['names', 'labels']);
  const rawMatch = raw['match'] as Rec;
  const names = rawMatch['names'];
  if (names !== undefined) {
    if (Array.isArray(names) && names.every((n) => typeof n === 'string')) g.match.names = names as string[];
    else issues.push({ field: `${path}.match.names`, message: 'must be an array of strings' });
  }
  const labels = m.stringRecord('labels');
  if (labels) g.match.labels = labels;
  if (g.match.names === undefined && g.match.labels === undefined) {
    issues.push({ field: `${path}.match`, message: 'needs names or labels (a group matching every VM belongs in defaults)' });
  }
  return g;
}

/** Checks a raw policy document and fills in the defaults of args.ts. Issues name the field path. */
export function validateMemoryBalloonArgs(raw: unknown): Result {
  const issues: ArgsIssue[] = [];
  const doc = raw ?? {};
  if (!isRecord(doc)) return { ok: false, issues: [{ field: '', message: 'args must be an object' }] };
  const top = new Reader(issues, doc, '');
  top.only(['defaults', 'groups', 'labels', 'host', 'hosts', 'control']);

  const dr = top.sub('defaults');
  if (dr) dr.only(VM_KEYS);
  const defaults: VmKnobs = { ...DEFAULT_VM_KNOBS, ...(dr ? readVmKnobs(dr, doc['defaults'] as Rec) : {}) };
  checkVmKnobs(defaults, 'defaults', issues);

  const groups: GroupArgs[] = [];
  const rawGroups = doc['groups'];
  if (rawGroups !== undefined && !Array.isArray(rawGroups)) issues.push({ field: 'groups', message: 'must be an array' });
  else if (Array.isArray(rawGroups)) {
    rawGroups.forEach((g: unknown, i) => {
      const group = readGroup(g, `groups[${i}]`, issues);
      if (!group) return;
      groups.push(group);
      const { name: _n, match: _m, ...over } = group;
      checkVmKnobs({ ...defaults, ...over }, `groups[${i}]`, issues);
    });
  }

  const labels: Record<string, Record<string, string>> = {};
  const lr = top.sub('labels');
  if (lr) {
    for (const vm of Object.keys(doc['labels'] as Rec)) {
      const l = lr.stringRecord(vm);
      if (l) labels[vm] = l;
    }
  }

  const hr = top.sub('host');
  const host: HostKnobs = { ...DEFAULT_HOST_KNOBS, ...(hr ? readHostKnobs(hr) : {}) };
  const hosts: Record<string, Partial<HostKnobs>> = {};
  const hsr = top.sub('hosts');
  if (hsr) {
    for (const id of Object.keys(doc['hosts'] as Rec)) {
      const r = hsr.sub(id);
      if (r) hosts[id] = readHostKnobs(r);
    }
  }

  const cr = top.sub('control');
  const control = cr ? readControl(cr) : { ...DEFAULT_CONTROL_KNOBS };

  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, args: { defaults, groups, labels, host, hosts, control } };
}
