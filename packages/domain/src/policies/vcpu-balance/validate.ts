import type { ArgsIssue } from '../policy.js';
import { openDocument, type Reader } from '../shared/args-reader.js';
import { AUTOMATIONS, GROUPED_KEYS, readGroupedArgs } from '../shared/vm-groups.js';
import {
  DEFAULT_VCPU_CONTROL_KNOBS,
  DEFAULT_VCPU_HOST_KNOBS,
  DEFAULT_VCPU_VM_KNOBS,
  type VcpuBalanceArgs,
  type VcpuControlKnobs,
  type VcpuHostKnobs,
  type VcpuVmKnobs,
} from './args.js';

type Result = { ok: true; args: VcpuBalanceArgs } | { ok: false; issues: ArgsIssue[] };

const VM_KEYS = ['automation'] as const;
const HOST_KEYS = Object.keys(DEFAULT_VCPU_HOST_KNOBS);

function readVmKnobs(r: Reader): Partial<VcpuVmKnobs> {
  const automation = r.oneOf('automation', AUTOMATIONS);
  return automation !== undefined ? { automation } : {};
}

function readHostKnobs(r: Reader): Partial<VcpuHostKnobs> {
  r.only(HOST_KEYS);
  const out: Partial<VcpuHostKnobs> = {};
  const set = <K extends keyof VcpuHostKnobs>(k: K, v: VcpuHostKnobs[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('thresholdStdDevPercent', r.number('thresholdStdDevPercent', { min: 0, max: 100 }));
  set('minGainPercent', r.number('minGainPercent', { min: 0, max: 100 }));
  set('idleTotalPercent', r.number('idleTotalPercent', { min: 0 }));
  set('maxPinChangesPerCycle', r.number('maxPinChangesPerCycle', { integer: true, min: 1 }));
  return out;
}

function readControl(r: Reader): VcpuControlKnobs {
  r.only(Object.keys(DEFAULT_VCPU_CONTROL_KNOBS));
  const c: VcpuControlKnobs = { ...DEFAULT_VCPU_CONTROL_KNOBS };
  c.smoothingSamples = r.number('smoothingSamples', { integer: true, min: 1, max: 1000 }) ?? c.smoothingSamples;
  c.warmupSamples = r.number('warmupSamples', { integer: true, min: 0, max: 1000 }) ?? c.warmupSamples;
  c.noiseMarginStdErrors = r.number('noiseMarginStdErrors', { min: 0, max: 10 }) ?? c.noiseMarginStdErrors;
  return c;
}

/** Checks a raw policy document and fills in the defaults of args.ts. Issues name the field path. */
export function validateVcpuBalanceArgs(raw: unknown): Result {
  const opened = openDocument(raw, [...GROUPED_KEYS, 'adoptForeignPins']);
  if (!opened.ok) return opened;
  const grouped = readGroupedArgs(opened.top, opened.doc, {
    vmKeys: VM_KEYS,
    defaults: DEFAULT_VCPU_VM_KNOBS,
    host: DEFAULT_VCPU_HOST_KNOBS,
    control: DEFAULT_VCPU_CONTROL_KNOBS,
    readVm: readVmKnobs,
    readHost: readHostKnobs,
    readControl,
  });
  const adoptForeignPins = opened.top.boolean('adoptForeignPins') ?? false;
  return opened.issues.length > 0 ? { ok: false, issues: opened.issues } : { ok: true, args: { ...grouped, adoptForeignPins } };
}
