import type { ArgsIssue } from '../policy.js';
import type { ArgsReader } from '../args-reader.js';
import { validateGroupedDocument, type KnobsReader } from '../read-grouped-knobs.js';
import { AUTOMATIONS } from '../vm-groups.js';
import { readSharesKnob } from '../shares-knob.js';
import {
  DEFAULT_CPU_CONTROL_KNOBS,
  DEFAULT_CPU_HOST_KNOBS,
  DEFAULT_CPU_VM_KNOBS,
  type CpuControlKnobs,
  type CpuEntitlementArgs,
  type CpuHostKnobs,
  type CpuVmKnobs,
} from './args.js';
import { TUNE_BOUNDS } from './tune-bounds.js';

type Result = { ok: true; args: CpuEntitlementArgs } | { ok: false; issues: ArgsIssue[] };

function readVmKnobs(r: ArgsReader): Partial<CpuVmKnobs> {
  const out: Partial<CpuVmKnobs> = {};
  const set = <K extends keyof CpuVmKnobs>(k: K, v: CpuVmKnobs[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('shares', readSharesKnob(r, 'vCPU', TUNE_BOUNDS.sharesMax));
  set('reservationPercent', r.number('reservationPercent', { min: 0, max: 100 }));
  set('limitPercent', r.number('limitPercent', { gt: 0, max: 100 }));
  set('periodUs', r.number('periodUs', { integer: true, min: TUNE_BOUNDS.periodMinUs, max: TUNE_BOUNDS.periodMaxUs }));
  set('emulatorFollowsVcpus', r.boolean('emulatorFollowsVcpus'));
  set('automation', r.oneOf('automation', AUTOMATIONS));
  return out;
}

/** Checks between the knobs of one VM once defaults and group overrides are merged. */
function checkVmKnobs(k: CpuVmKnobs, path: string, issues: ArgsIssue[]): void {
  if (k.limitPercent === undefined) return;
  if (k.reservationPercent > k.limitPercent) {
    issues.push({ field: `${path}.reservationPercent`, message: `reservation ${k.reservationPercent} % exceeds the limit ${k.limitPercent} %` });
  }
  if (k.limitPercent < 100 && (k.limitPercent / 100) * k.periodUs < TUNE_BOUNDS.quotaMinUs) {
    issues.push({
      field: `${path}.limitPercent`,
      message: `${k.limitPercent} % of a ${k.periodUs} µs period is below libvirt's smallest vcpu_quota (${TUNE_BOUNDS.quotaMinUs} µs): raise it or periodUs`,
    });
  }
}

const VM_READER: KnobsReader<CpuVmKnobs> = {
  keys: ['shares', 'reservationPercent', 'limitPercent', 'periodUs', 'emulatorFollowsVcpus', 'automation'],
  defaults: DEFAULT_CPU_VM_KNOBS,
  read: readVmKnobs,
  check: checkVmKnobs,
};

const HOST_READER: KnobsReader<CpuHostKnobs> = {
  keys: ['headroomPercent', 'maxShares', 'assumedShares'],
  defaults: DEFAULT_CPU_HOST_KNOBS,
  read(r) {
    const out: Partial<CpuHostKnobs> = {};
    const shares = { integer: true, min: TUNE_BOUNDS.sharesMin, max: TUNE_BOUNDS.sharesMax };
    const headroom = r.number('headroomPercent', { min: 0, max: 99 });
    if (headroom !== undefined) out.headroomPercent = headroom;
    const max = r.number('maxShares', shares);
    if (max !== undefined) out.maxShares = max;
    const assumed = r.number('assumedShares', { integer: true, min: 1, max: TUNE_BOUNDS.sharesMax });
    if (assumed !== undefined) out.assumedShares = assumed;
    return out;
  },
};

function readControl(r: ArgsReader): CpuControlKnobs {
  r.only(Object.keys(DEFAULT_CPU_CONTROL_KNOBS));
  const c: CpuControlKnobs = { ...DEFAULT_CPU_CONTROL_KNOBS };
  c.sharesTolerancePercent = r.number('sharesTolerancePercent', { min: 0, max: 50 }) ?? c.sharesTolerancePercent;
  c.limitTolerancePercent = r.number('limitTolerancePercent', { min: 0, max: 50 }) ?? c.limitTolerancePercent;
  return c;
}

/** Checks a raw cpu-entitlement document and fills in the defaults of args.ts; every issue names its field. */
export function validateCpuEntitlementArgs(raw: unknown): Result {
  return validateGroupedDocument(raw, { vm: VM_READER, host: HOST_READER, control: { defaults: DEFAULT_CPU_CONTROL_KNOBS, read: readControl } });
}
