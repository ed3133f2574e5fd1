/**
 * Args of the `ksm` policy: when a host's ksmd (kernel same-page merging) runs, and how fast (see plan.ts).
 *
 *   {
 *     "hosts":     ["h1"],                                   // only these hosts; absent: every host
 *     "host":      { "onFreePercent": 20, "hysteresisPercent": 5 },
 *     "overrides": { "h1": { "onFreeMiB": 8192, "automation": "recommend" } }
 *   }
 *
 * Hosts that share one kernel (two libvirt hosts on one machine, as the lab's host2) share one
 * /sys/kernel/mm/ksm: list only one of them in `hosts`, or they set the same ksmd from two views.
 *
 * Knobs (`host`, overridable per host id in `overrides`). "Host memory" is HostView.memoryTotalKiB, "free"
 * HostView.memoryFreeKiB (MemFree: page cache does not count as free).
 *
 * | knob                     | default  | unit          | meaning                                                          |
 * |--------------------------|----------|---------------|------------------------------------------------------------------|
 * | onFreePercent            | 20       | % host memory | pressure: free below this (MOM's ksm_free_percent) ...           |
 * | onFreeMiB                | null     | MiB           | ... or below this; the higher of the two lines binds             |
 * | onCommittedPercent       | 80       | % host memory | pressure too: the running guests' balloons sum above this (null: |
 * |                          |          |               | free memory only)                                                |
 * | hysteresisPercent        | 5        | % host memory | ksmd stops for plenty only when free is this far above the on    |
 * |                          |          |               | line and the guests' sum this far below theirs                   |
 * | fullPressureFreePercent  | 5        | % host memory | free at or below this: the fastest pace                          |
 * | pagesToScanMin           | 64       | pages         | pace at the on line (and while on for the guests' sum only)      |
 * | pagesToScanMax           | 1250     | pages         | pace at full pressure                                            |
 * | sleepMillisecsMax        | 20       | ms            | ksmd's sleep at the on line                                      |
 * | sleepMillisecsMin        | 10       | ms            | ksmd's sleep at full pressure                                    |
 * | paceDeadbandPercent      | 20       | % of the range| the pace is re-set only when its target moved further than this  |
 * | minGainMiBPerCpuSecond   | 1        | MiB / CPU-s   | merging pays: memory merged per second of ksmd's CPU; below it   |
 * |                          |          |               | ksmd stops (0: never stops for this)                             |
 * | gainWindowMs             | 120000   | ms            | the gain is judged over at least this long ...                   |
 * | gainWindowFullScans      | 2        | scans         | ... and this many full scans (a page merges on its 2nd scan)     |
 * | minOffMs                 | 300000   | ms            | after the policy stopped ksmd, it stays stopped this long        |
 * | automation               | 'auto'   |               | 'off' (unmanaged), 'recommend' (decision only), 'auto' (jobs)    |
 *
 * Pace: pressure depth d = (on line − free) / (on line − full-pressure line), clamped to 0..1;
 * pagesToScan = min + d·(max − min), sleepMillisecs = max − d·(max − min), both rounded.
 * The gain and minOffMs read set-ksm jobs from the snapshot, which keeps finished jobs 10 minutes:
 * gainWindowMs and minOffMs are at most that (JOBS_VISIBLE_MS).
 */
import { setKsmJob } from '../../jobs/types/set-ksm.js';
import { AUTOMATIONS, type Automation } from '../vm-groups.js';

export { AUTOMATIONS, type Automation };

export interface KsmKnobs {
  onFreePercent: number;
  onFreeMiB: number | null;
  onCommittedPercent: number | null;
  hysteresisPercent: number;
  fullPressureFreePercent: number;
  pagesToScanMin: number;
  pagesToScanMax: number;
  sleepMillisecsMax: number;
  sleepMillisecsMin: number;
  paceDeadbandPercent: number;
  minGainMiBPerCpuSecond: number;
  gainWindowMs: number;
  gainWindowFullScans: number;
  minOffMs: number;
  automation: Automation;
}

export interface KsmArgs {
  /** Host ids the policy manages; null: every host. */
  hosts: string[] | null;
  host: KsmKnobs;
  /** Host id → overrides of `host`. */
  overrides: Record<string, Partial<KsmKnobs>>;
}

/** How long the policy cycle keeps a finished job in the snapshot (docs/policy-cycle.md, "One cycle"). */
export const JOBS_VISIBLE_MS = 10 * 60_000;

/** A KSM page: 4 KiB on the hosts Ballast runs on (x86-64). */
export const KSM_PAGE_KIB = 4;

export const DEFAULT_KSM_KNOBS: Readonly<KsmKnobs> = Object.freeze({
  onFreePercent: 20,
  onFreeMiB: null,
  onCommittedPercent: 80,
  hysteresisPercent: 5,
  fullPressureFreePercent: 5,
  pagesToScanMin: 64,
  pagesToScanMax: 1250,
  sleepMillisecsMax: 20,
  sleepMillisecsMin: 10,
  paceDeadbandPercent: 20,
  minGainMiBPerCpuSecond: 1,
  gainWindowMs: 120_000,
  gainWindowFullScans: 2,
  minOffMs: 300_000,
  automation: 'auto',
});

export function defaultKsmArgs(): KsmArgs {
  return { hosts: null, host: { ...DEFAULT_KSM_KNOBS }, overrides: {} };
}

/** A numeric knob's bounds: a range, or the bounds of a set-ksm field (written once, in the job type). */
export interface NumberKnob {
  min?: number;
  /** min is exclusive. */
  above?: number;
  max?: number;
  integer?: boolean;
  nullable?: boolean;
  /** The set-ksm action field whose bounds the knob takes. */
  setKsmField?: 'pagesToScan' | 'sleepMillisecs';
}

export const NUMBER_KNOBS: Readonly<Record<Exclude<keyof KsmKnobs, 'automation'>, NumberKnob>> = {
  onFreePercent: { min: 0, max: 100 },
  onFreeMiB: { min: 0, max: 1 << 30, nullable: true },
  onCommittedPercent: { above: 0, max: 1000, nullable: true },
  hysteresisPercent: { above: 0, max: 50 },
  fullPressureFreePercent: { min: 0, max: 100 },
  pagesToScanMin: { setKsmField: 'pagesToScan' },
  pagesToScanMax: { setKsmField: 'pagesToScan' },
  sleepMillisecsMax: { setKsmField: 'sleepMillisecs' },
  sleepMillisecsMin: { setKsmField: 'sleepMillisecs' },
  paceDeadbandPercent: { min: 0, max: 99 },
  minGainMiBPerCpuSecond: { min: 0, max: 1e6 },
  gainWindowMs: { min: 0, max: JOBS_VISIBLE_MS, integer: true },
  gainWindowFullScans: { min: 0, max: 1000, integer: true },
  minOffMs: { min: 0, max: JOBS_VISIBLE_MS, integer: true },
};

/** Checks a value against a set-ksm action field's own schema; the message when it is out of bounds. */
export function setKsmFieldIssue(field: 'pagesToScan' | 'sleepMillisecs', value: number): string | undefined {
  const r = setKsmJob.action.shape[field].safeParse(value);
  return r.success ? undefined : (r.error.issues[0]?.message ?? 'out of bounds');
}
