import type { ArgsIssue } from '../policy.js';
import type { ArgsReader } from '../args-reader.js';
import { validateGroupedDocument, type KnobsReader } from '../read-grouped-knobs.js';
import { AUTOMATIONS } from '../vm-groups.js';
import { readSharesKnob } from '../shares-knob.js';
import {
  DEFAULT_CONTROL_KNOBS,
  DEFAULT_HOST_KNOBS,
  DEFAULT_VM_KNOBS,
  type ControlKnobs,
  type HostKnobs,
  type MemoryBalloonArgs,
  type VmKnobs,
} from './args.js';

type Result = { ok: true; args: MemoryBalloonArgs } | { ok: false; issues: ArgsIssue[] };

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
function readVmKnobs(r: ArgsReader): Partial<VmKnobs> {
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
  set('shares', readSharesKnob(r, 'MiB'));
  set('automation', r.oneOf('automation', AUTOMATIONS));
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

const VM_READER: KnobsReader<VmKnobs> = { keys: VM_KEYS, defaults: DEFAULT_VM_KNOBS, read: readVmKnobs, check: checkVmKnobs };

const HOST_READER: KnobsReader<HostKnobs> = {
  keys: ['hostFreeFloorMiB', 'budgetMiB', 'idleTaxRate'],
  defaults: DEFAULT_HOST_KNOBS,
  read(r) {
    const out: Partial<HostKnobs> = {};
    const floor = r.number('hostFreeFloorMiB', { min: 0 });
    if (floor !== undefined) out.hostFreeFloorMiB = floor;
    const budget = r.number('budgetMiB', { gt: 0 });
    if (budget !== undefined) out.budgetMiB = budget;
    const tax = r.number('idleTaxRate', { min: 0, max: 0.99 });
    if (tax !== undefined) out.idleTaxRate = tax;
    return out;
  },
};

function readControl(r: ArgsReader): ControlKnobs {
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

/** Checks a raw policy document and fills in the defaults of args.ts. Issues name the field path. */
export function validateMemoryBalloonArgs(raw: unknown): Result {
  return validateGroupedDocument(raw, { vm: VM_READER, host: HOST_READER, control: { defaults: DEFAULT_CONTROL_KNOBS, read: readControl } });
}
