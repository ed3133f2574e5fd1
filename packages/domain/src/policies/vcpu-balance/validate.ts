import type { ArgsIssue } from '../policy.js';
import type { ArgsReader } from '../args-reader.js';
import { validateGroupedDocument, type KnobsReader } from '../read-grouped-knobs.js';
import { AUTOMATIONS } from '../vm-groups.js';
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

const VM_READER: KnobsReader<VcpuVmKnobs> = {
  keys: ['automation'],
  defaults: DEFAULT_VCPU_VM_KNOBS,
  read(r) {
    const automation = r.oneOf('automation', AUTOMATIONS);
    return automation !== undefined ? { automation } : {};
  },
};

const HOST_READER: KnobsReader<VcpuHostKnobs> = {
  keys: Object.keys(DEFAULT_VCPU_HOST_KNOBS),
  defaults: DEFAULT_VCPU_HOST_KNOBS,
  read(r) {
    const out: Partial<VcpuHostKnobs> = {};
    const set = <K extends keyof VcpuHostKnobs>(k: K, v: VcpuHostKnobs[K] | undefined): void => {
      if (v !== undefined) out[k] = v;
    };
    set('thresholdStdDevPercent', r.number('thresholdStdDevPercent', { min: 0, max: 100 }));
    set('minGainPercent', r.number('minGainPercent', { min: 0, max: 100 }));
    set('idleTotalPercent', r.number('idleTotalPercent', { min: 0 }));
    set('maxPinChangesPerCycle', r.number('maxPinChangesPerCycle', { integer: true, min: 1 }));
    set('urgentStdDevPercent', r.number('urgentStdDevPercent', { min: 0, max: 100 }));
    set('minPinDwellMs', r.number('minPinDwellMs', { integer: true, min: 0 }));
    return out;
  },
};

function readControl(r: ArgsReader): VcpuControlKnobs {
  r.only(Object.keys(DEFAULT_VCPU_CONTROL_KNOBS));
  const c: VcpuControlKnobs = { ...DEFAULT_VCPU_CONTROL_KNOBS };
  c.smoothingSamples = r.number('smoothingSamples', { integer: true, min: 1, max: 1000 }) ?? c.smoothingSamples;
  c.steadySamples = r.number('steadySamples', { integer: true, min: 1, max: 1000 }) ?? c.steadySamples;
  c.warmupSamples = r.number('warmupSamples', { integer: true, min: 0, max: 1000 }) ?? c.warmupSamples;
  c.noiseMarginStdErrors = r.number('noiseMarginStdErrors', { min: 0, max: 10 }) ?? c.noiseMarginStdErrors;
  return c;
}

/** Checks a raw vcpu-balance document and fills in the defaults of args.ts; every issue names its field. */
export function validateVcpuBalanceArgs(raw: unknown): Result {
  return validateGroupedDocument(raw, {
    vm: VM_READER,
    host: HOST_READER,
    control: { defaults: DEFAULT_VCPU_CONTROL_KNOBS, read: readControl },
    extra: { keys: ['adoptForeignPins'], read: (top) => ({ adoptForeignPins: top.boolean('adoptForeignPins') ?? false }) },
  });
}
