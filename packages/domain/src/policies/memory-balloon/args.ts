/**
 * Args of the `memory-balloon` policy: a balloon target per VM each cycle (see plan.ts).
 *
 * A policy document gives defaults for every VM, per-group overrides (groups match VM names/UUIDs or
 * labels; a VM's labels are those in its domain <metadata> (VmConfig.labels), overridden by the document's
 * `labels`), host knobs with
 * per-host overrides, and the control-loop knobs. Every field is optional in the document; validate.ts
 * fills the defaults below.
 *
 *   {
 *     "defaults": { "minUnusedMiB": 100, "shares": "normal" },
 *     "labels":   { "db1": { "tier": "gold" } },
 *     "groups":   [ { "name": "gold", "match": { "labels": { "tier": "gold" } }, "shares": "high", "reservationMiB": 512 },
 *                   { "match": { "names": ["scratch"] }, "automation": "recommend" } ],
 *     "host":     { "hostFreeFloorMiB": 200, "budgetMiB": 3072 },
 *     "hosts":    { "h2": { "budgetMiB": 8192 } }
 *   }
 *
 * Per VM (defaults, overridable per group):
 *
 * | knob                    | default  | unit     | meaning                                                            |
 * |-------------------------|----------|----------|--------------------------------------------------------------------|
 * | reservationMiB          | 200      | MiB      | no target below this                                               |
 * | limitMiB                | maximum  | MiB      | no grow above this (absent: the domain's maximum memory)           |
 * | shares                  | 'normal' | per MiB  | 'high' 20, 'normal' 10, 'low' 5 (as ESX counts them) or a number   |
 * | minUnusedMiB            | 100      | MiB      | below this unused memory (now or predicted) the VM grows           |
 * | maxUnusedMiB            | 300      | MiB      | above this unused memory the VM is a donor                         |
 * | maxGrowMiBPerCycle      | 256      | MiB      | largest grow of one cycle                                          |
 * | maxReleaseMiBPerCycle   | 100      | MiB      | largest release of one cycle ...                                   |
 * | maxReleasePercent       | 10       | %        | ... and at most this share of the VM's current size                |
 * | hysteresisMiB           | 16       | MiB      | a change of at most this much is not made (no job)                 |
 * | automation              | 'auto'   |          | 'off' (unmanaged), 'recommend' (decision only), 'auto' (jobs)      |
 *
 * Per host (`host`, overridable per host id in `hosts`):
 *
 * | knob                    | default  | unit     | meaning                                                            |
 * |-------------------------|----------|----------|--------------------------------------------------------------------|
 * | hostFreeFloorMiB        | 200      | MiB      | grants never take host free memory below this                      |
 * | budgetMiB               | none     | MiB      | cap on the sum of the balloon sizes of the host's VMs              |
 * | idleTaxRate             | 0.75     | 0..0.99  | ESX idle memory tax τ: idle memory counts against shares (donors)  |
 *
 * Control loop (`control`):
 *
 * | knob                    | default  | unit     | meaning                                                            |
 * |-------------------------|----------|----------|--------------------------------------------------------------------|
 * | lookaheadMs             | 8000     | ms       | loop lag to cover: sample 2 s + collector 2 s + cycle 2 s + settle |
 * | trendSamples            | 5        | samples  | window samples the used-memory trend is fitted over                |
 * | warmupSamples           | 5        | samples  | a VM with fewer samples (new, just migrated) is never released     |
 * | staleAfterIntervals     | 3        | intervals| guest stats older than this many host intervals are stale          |
 * | cooldownCycles          | 10       | intervals| no release for this long after a release raised faults / swap-in   |
 * | feedbackMajorFaultsPerSec | 50     | faults/s | rise in major faults after a release that counts as over-reclaim   |
 * | feedbackSwapInKiBPerSec | 128      | KiB/s    | rise in swap-in after a release that counts as over-reclaim; swap- |
 * |                         |          |          | in above it with unused < maxUnusedMiB makes the VM grow (thrash)  |
 *
 * Groups apply in document order; a later matching group overrides an earlier one. A group matches a VM
 * when every given criterion holds: its name or UUID is in `names`, and it carries every label in `labels`.
 *
 * Derived per VM each cycle (MiB; used = the guest's use as of its last stats report: MemTotal − MemFree +
 * the kernel overhead below the balloon, signals.ts; c = max(0, used-memory trend) in MiB/s;
 * L = lookaheadMs in s; I = the host's interval in s):
 *   grow target      used + c·L + (minUnused + maxUnused)/2, at most +maxGrowMiBPerCycle, ≤ limit
 *   lean target      used + minUnused + hysteresis + c·L  (what pressure reclaims for; granted before the rest)
 *   release floor    max(reservation, used + minUnused + c·L)  (no release goes below it)
 *   pressure floor   max(reservation, used + minUnused + hysteresis + c·(L + 2·I))  (reclaim stops there)
 *   release step     min(maxReleaseMiBPerCycle, maxReleasePercent % of actual), from the target in flight
 */

import { groupedDefaults, type Automation, type GroupMatch } from '../shared/vm-groups.js';

export type { Automation, GroupMatch };

/** 'high' | 'normal' | 'low' (20 / 10 / 5 shares per MiB) or shares per MiB. */
export type Shares = 'high' | 'normal' | 'low' | number;

export const SHARES_PER_MIB: Readonly<Record<'high' | 'normal' | 'low', number>> = { high: 20, normal: 10, low: 5 };

export interface VmKnobs {
  reservationMiB: number;
  /** Absent: the domain's maximum memory. */
  limitMiB?: number;
  shares: Shares;
  minUnusedMiB: number;
  maxUnusedMiB: number;
  maxGrowMiBPerCycle: number;
  maxReleaseMiBPerCycle: number;
  maxReleasePercent: number;
  hysteresisMiB: number;
  automation: Automation;
}

export interface GroupArgs extends Partial<VmKnobs> {
  /** For messages only. */
  name?: string;
  match: GroupMatch;
}

export interface HostKnobs {
  hostFreeFloorMiB: number;
  budgetMiB?: number;
  idleTaxRate: number;
}

export interface ControlKnobs {
  lookaheadMs: number;
  trendSamples: number;
  warmupSamples: number;
  staleAfterIntervals: number;
  cooldownCycles: number;
  feedbackMajorFaultsPerSec: number;
  feedbackSwapInKiBPerSec: number;
}

export interface MemoryBalloonArgs {
  defaults: VmKnobs;
  groups: GroupArgs[];
  /** VM name or UUID → its labels. */
  labels: Record<string, Record<string, string>>;
  host: HostKnobs;
  /** Host id → overrides of `host`. */
  hosts: Record<string, Partial<HostKnobs>>;
  control: ControlKnobs;
}

export const DEFAULT_VM_KNOBS: Readonly<VmKnobs> = Object.freeze({
  reservationMiB: 200,
  shares: 'normal',
  minUnusedMiB: 100,
  maxUnusedMiB: 300,
  maxGrowMiBPerCycle: 256,
  maxReleaseMiBPerCycle: 100,
  maxReleasePercent: 10,
  hysteresisMiB: 16,
  automation: 'auto',
});

export const DEFAULT_HOST_KNOBS: Readonly<HostKnobs> = Object.freeze({
  hostFreeFloorMiB: 200,
  idleTaxRate: 0.75,
});

export const DEFAULT_CONTROL_KNOBS: Readonly<ControlKnobs> = Object.freeze({
  lookaheadMs: 8000,
  trendSamples: 5,
  warmupSamples: 5,
  staleAfterIntervals: 3,
  cooldownCycles: 10,
  feedbackMajorFaultsPerSec: 50,
  feedbackSwapInKiBPerSec: 128,
});

export function defaultMemoryBalloonArgs(): MemoryBalloonArgs {
  return groupedDefaults(DEFAULT_VM_KNOBS, DEFAULT_HOST_KNOBS, DEFAULT_CONTROL_KNOBS);
}

export function sharesPerMiB(s: Shares): number {
  return typeof s === 'number' ? s : SHARES_PER_MIB[s];
}
