import type { ArgsIssue } from '../policy.js';
import { ArgsReader, fieldPath, isRecord, openDocument } from '../args-reader.js';
import { AUTOMATIONS, DEFAULT_KSM_KNOBS, NUMBER_KNOBS, setKsmFieldIssue, type KsmArgs, type KsmKnobs, type NumberKnob } from './args.js';

type Result = { ok: true; args: KsmArgs } | { ok: false; issues: ArgsIssue[] };

const KNOB_NAMES = [...Object.keys(NUMBER_KNOBS), 'automation'];
const TOP_NAMES = ['hosts', 'host', 'overrides'];

/** Checks a raw `ksm` args document and fills in the defaults of args.ts; every issue names its field. */
export function validateKsmArgs(raw: unknown): Result {
  const opened = openDocument(raw, TOP_NAMES);
  if (!opened.ok) return opened;
  const { issues, obj: doc } = opened.top;
  const hosts = readHosts(doc['hosts'], issues);
  const host: KsmKnobs = { ...DEFAULT_KSM_KNOBS, ...readKnobs(doc['host'], 'host', issues) };
  checkKnobs(host, 'host', issues);
  const overrides: Record<string, Partial<KsmKnobs>> = {};
  const rawOver = doc['overrides'];
  if (rawOver !== undefined && !isRecord(rawOver)) issues.push({ field: 'overrides', message: 'must be an object: host id → knobs' });
  for (const [id, over] of Object.entries(isRecord(rawOver) ? rawOver : {})) {
    const path = fieldPath(['overrides', id]);
    overrides[id] = readKnobs(over, path, issues);
    checkKnobs({ ...host, ...overrides[id] }, path, issues);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, args: { hosts, host, overrides } };
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
  if (!isRecord(raw)) {
    issues.push({ field: path, message: 'must be an object of knobs' });
    return {};
  }
  const r = new ArgsReader(issues, raw, path);
  r.only(KNOB_NAMES);
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(NUMBER_KNOBS)) {
    if (!(name in raw)) continue;
    const v = readNumberKnob(r, name, spec);
    if (v !== undefined) out[name] = v;
  }
  const automation = r.oneOf('automation', AUTOMATIONS);
  if (automation !== undefined) out['automation'] = automation;
  return out as Partial<KsmKnobs>;
}

/** One numeric knob present in `r`: null where the knob allows it, a set-ksm field's own bounds, else its range. */
function readNumberKnob(r: ArgsReader, name: string, spec: NumberKnob): number | null | undefined {
  const v = r.obj[name];
  const issue = (message: string): undefined => void r.issues.push({ field: r.field(name), message });
  if (v === null) return spec.nullable ? null : issue('must be a number (null is not allowed here)');
  if (typeof v !== 'number' || !Number.isFinite(v)) return issue('must be a finite number');
  if (!spec.setKsmField) return r.number(name, { min: spec.min, max: spec.max, integer: spec.integer, gt: spec.above });
  const message = setKsmFieldIssue(spec.setKsmField, v);
  return message === undefined ? v : issue(message);
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
