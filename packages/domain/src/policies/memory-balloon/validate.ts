import type { ArgsIssue } from '../policy.js';
import { openDocument, type Reader, type Rec } from '../shared/args-reader.js';
import { AUTOMATIONS, GROUPED_KEYS, readGroupedArgs } from '../shared/vm-groups.js';
import {
  DEFAULT_CONTROL_KNOBS,
  DEFAULT_HOST_KNOBS,
  DEFAULT_VM_KNOBS,
  SHARES_PER_MIB,
  type Automation,
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

/** Checks a raw policy document and fills in the defaults of args.ts. Issues name the field path. */
export function validateMemoryBalloonArgs(raw: unknown): Result {
  const opened = openDocument(raw, GROUPED_KEYS);
  if (!opened.ok) return opened;
  const args: MemoryBalloonArgs = readGroupedArgs(opened.top, opened.doc, {
    vmKeys: VM_KEYS,
    defaults: DEFAULT_VM_KNOBS,
    host: DEFAULT_HOST_KNOBS,
    control: DEFAULT_CONTROL_KNOBS,
    readVm: readVmKnobs,
    readHost: readHostKnobs,
    readControl,
    checkVm: checkVmKnobs,
  });
  return opened.issues.length > 0 ? { ok: false, issues: opened.issues } : { ok: true, args };
}
