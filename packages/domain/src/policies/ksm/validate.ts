import type { ArgsIssue } from '../policy.js';
import { AUTOMATIONS, DEFAULT_KSM_KNOBS, NUMBER_KNOBS, setKsmFieldIssue, type Automation, type KsmArgs, type KsmKnobs, type NumberKnob } from './args.js';

type Result = { ok: true; args: KsmArgs } | { ok: false; issues: ArgsIssue[] };
type Obj = Record<string, unknown>;

const KNOB_NAMES = [...Object.keys(NUMBER_KNOBS), 'automation'];
const TOP_NAMES = ['hosts', 'host', 'overrides'];

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Checks a raw `ksm` args document and fills in the defaults of args.ts; every issue names its field. */
export function validateKsmArgs(raw: unknown): Result {
  const doc = raw ?? {};
  if (!isObj(doc)) return { ok: false, issues: [{ field: '', message: 'args must be an object' }] };
  const issues: ArgsIssue[] = [];
  unknownKeys(doc, TOP_NAMES, '', issues);
  const hosts = readHosts(doc['hosts'], issues);
  const host: KsmKnobs = { ...DEFAULT_KSM_KNOBS, ...readKnobs(doc['host'], 'host', issues) };
  checkKnobs(host, 'host', issues);
  const overrides: Record<string, Partial<KsmKnobs>> = {};
  const rawOver = doc['overrides'];
  if (rawOver !== undefined && !isObj(rawOver)) issues.push({ field: 'overrides', message: 'must be an object: host id → knobs' });
  for (const [id, over] of Object.entries(isObj(rawOver) ? rawOver : {})) {
    const path = `overrides.${id}`;
    overrides[id] = readKnobs(over, path, issues);
    checkKnobs({ ...host, ...overrides[id] }, path, issues);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, args: { hosts, host, overrides } };
}

function unknownKeys(o: Obj, known: readonly string[], path: string, issues: ArgsIssue[]): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) issues.push({ field: path ? `${path}.${k}` : k, message: `unknown field (known: ${known.join(', ')})` });
  }
}

function readHosts(raw: unknown, issues: ArgsIssue[]): string[] | null {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw) || !raw.every((h) => typeof h === 'string' && h.length > 0)) {
    issues.push({ field: 'hosts', message: 'must be an array of host ids (absent: every host)' });
    return null;
  }
  if (raw.length === 0) issues.push({ field: 'hosts', message: 'empty: no host would be managed (set automation "off" instead)' });
  return raw as string[];
}

/** The knobs present in `raw`, each checked on its own. */
function readKnobs(raw: unknown, path: string, issues: ArgsIssue[]): Partial<KsmKnobs> {
  if (raw === undefined) return {};
  if (!isObj(raw)) {
    issues.push({ field: path, message: 'must be an object of knobs' });
    return {};
  }
  unknownKeys(raw, KNOB_NAMES, path, issues);
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(NUMBER_KNOBS)) {
    if (!(name in raw)) continue;
    const message = numberIssue(raw[name], spec);
    if (message) issues.push({ field: `${path}.${name}`, message });
    else out[name] = raw[name];
  }
  const automation = raw['automation'];
  if (automation !== undefined) {
    if (AUTOMATIONS.includes(automation as Automation)) out['automation'] = automation;
    else issues.push({ field: `${path}.automation`, message: `must be one of ${AUTOMATIONS.join(', ')}` });
  }
  return out as Partial<KsmKnobs>;
}

function numberIssue(v: unknown, spec: NumberKnob): string | undefined {
  if (v === null) return spec.nullable ? undefined : 'must be a number (null is not allowed here)';
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a finite number';
  if (spec.setKsmField) return setKsmFieldIssue(spec.setKsmField, v);
  if (spec.integer && !Number.isInteger(v)) return 'must be an integer';
  if (spec.above !== undefined && !(v > spec.above)) return `must be > ${spec.above}`;
  if (spec.min !== undefined && v < spec.min) return `must be ≥ ${spec.min}`;
  if (spec.max !== undefined && v > spec.max) return `must be ≤ ${spec.max}`;
  return undefined;
}

/** What must hold between the knobs of one host once defaults and overrides are merged. */
function checkKnobs(k: KsmKnobs, path: string, issues: ArgsIssue[]): void {
  const issue = (knob: keyof KsmKnobs, message: string): void => void issues.push({ field: `${path}.${knob}`, message });
  if (k.pagesToScanMin > k.pagesToScanMax) issue('pagesToScanMin', `must be ≤ pagesToScanMax (${k.pagesToScanMax})`);
  if (k.sleepMillisecsMin > k.sleepMillisecsMax) issue('sleepMillisecsMin', `must be ≤ sleepMillisecsMax (${k.sleepMillisecsMax})`);
  if (k.onFreePercent > 0 && k.fullPressureFreePercent >= k.onFreePercent) {
    issue('fullPressureFreePercent', `must be below onFreePercent (${k.onFreePercent})`);
  }
  if (k.onFreePercent + k.hysteresisPercent > 100) issue('hysteresisPercent', `onFreePercent + hysteresisPercent must be ≤ 100`);
  if (k.onFreePercent === 0 && k.onFreeMiB === null && k.onCommittedPercent === null) {
    issue('onFreePercent', 'no pressure line: set onFreePercent, onFreeMiB or onCommittedPercent (or automation "off")');
  }
  if (k.onCommittedPercent !== null && k.onCommittedPercent <= k.hysteresisPercent) {
    issue('onCommittedPercent', `must be above hysteresisPercent (${k.hysteresisPercent})`);
  }
}
