/**
 * Args of the `vcpu-balance` policy: vCPU pins that even out the usage of each host's pCPUs (see plan.ts).
 *
 * A policy document gives per-VM defaults with per-group overrides (groups match VM names/UUIDs or labels,
 * as in memory-balloon: policies/vm-groups.ts), host knobs with per-host overrides, the control
 * knobs, and whether vCPUs pinned by someone else may be taken over. Every field is optional; validate.ts
 * fills the defaults below.
 *
 *   {
 *     "defaults": { "automation": "auto" },
 *     "groups":   [ { "name": "latency", "match": { "labels": { "tier": "rt" } }, "automation": "off" } ],
 *     "labels":   { "db1": { "tier": "rt" } },
 *     "host":     { "thresholdStdDevPercent": 5, "maxPinChangesPerCycle": 4 },
 *     "hosts":    { "h2": { "minGainPercent": 20 } },
 *     "control":  { "smoothingSamples": 5 },
 *     "adoptForeignPins": false
 *   }
 *
 * Per VM (defaults, overridable per group):
 *
 * | knob                    | default | unit      | meaning                                                           |
 * |-------------------------|---------|-----------|-------------------------------------------------------------------|
 * | automation              | 'auto'  |           | 'off' (unmanaged: its vCPUs stay where they are, their load       |
 * |                         |         |           | counts), 'recommend' (moves in decisions, no job), 'auto' (jobs)  |
 *
 * Per host (`host`, overridable per host id in `hosts`):
 *
 * | knob                    | default | unit      | meaning                                                           |
 * |-------------------------|---------|-----------|-------------------------------------------------------------------|
 * | thresholdStdDevPercent  | 5       | points    | the host is balanced while the spread (population std dev of its  |
 * |                         |         |           | pCPUs' usage, in points of one pCPU's %) is at most this          |
 * | minGainPercent          | 10      | %         | every move must lower the spread by at least this share of the    |
 * |                         |         |           | spread before the cycle's plan (else no move: stable)             |
 * | idleTotalPercent        | 10      | % (1 pCPU)| the host is idle while its vCPUs' usage summed (in % of one pCPU) |
 * |                         |         |           | is below this: no pin change at all                               |
 * | maxPinChangesPerCycle   | 4       | pins      | pin-vcpu jobs per host per cycle at most (a swap is two)          |
 * | minPinDwellMs           | 120000  | ms        | a vCPU Ballast pinned less than this long ago is not moved again, |
 * |                         |         |           | unless the spread is urgent: drift does not make pins flip        |
 * | urgentStdDevPercent     | 20      | points    | a spread above this over the last smoothingSamples is acted on at |
 * |                         |         |           | once — of demand and of usage alone both (the wait swings with    |
 * |                         |         |           | how bursts line up); below it the steady spread (steadySamples)   |
 * |                         |         |           | must exceed the threshold: a few seconds' drift moves no pins     |
 *
 * Control loop (`control`):
 *
 * | knob                    | default | unit      | meaning                                                           |
 * |-------------------------|---------|-----------|-------------------------------------------------------------------|
 * | smoothingSamples        | 5       | samples   | a vCPU's usage is its mean over this many latest samples, and an  |
 * |                         |         |           | unpinned vCPU's place the pCPUs it ran on in them                 |
 * | steadySamples           | 10      | samples   | the window of the steady spread (what moves pins short of urgent) |
 * | warmupSamples           | 3       | samples   | a VM with fewer samples (new, just migrated) is not moved         |
 * | noiseMarginStdErrors    | 2       | std errors| the spread must exceed the threshold by this many standard errors |
 * |                         |         |           | of the pCPUs' smoothed load (load-noise.ts): jitter alone does    |
 * |                         |         |           | not make a balanced host move                                     |
 *
 * `adoptForeignPins` (default false): a VM with a vCPU pinned by someone else (a strict subset of its
 * allowed pCPUs, no matching pin record) is left alone and listed as `unmanaged`; true takes such VMs over.
 *
 * Derived per host each cycle (ownership.ts, vcpu-load.ts, load-noise.ts, spread.ts, search.ts, unpinned.ts):
 * each vCPU's smoothed usage on the pCPU(s) it is pinned to or ran on; the spread over the host's NUMA
 * cells — short (smoothingSamples) and steady (steadySamples) — and the steady spread's noise. On a busy
 * host, unpinned vCPUs are pinned first, largest onto the least loaded pCPU of their cell (unpinned.ts).
 * Else when the short spread exceeds urgentStdDevPercent, or the steady one (each of demand and of usage alone) thresholdStdDevPercent +
 * noiseMarginStdErrors × noise, moves within each VM's cell, best first, while each one gains enough and
 * the cap allows.
 */
import { defaultGroupedDocument, type GroupedDocument } from '../read-grouped-knobs.js';
import type { Automation, GroupMatch, VmGroup } from '../vm-groups.js';

export type { Automation, GroupMatch };

export interface VcpuVmKnobs {
  automation: Automation;
}

export type VcpuGroupArgs = VmGroup<VcpuVmKnobs>;

export interface VcpuHostKnobs {
  thresholdStdDevPercent: number;
  minGainPercent: number;
  idleTotalPercent: number;
  maxPinChangesPerCycle: number;
  urgentStdDevPercent: number;
  minPinDwellMs: number;
}

export interface VcpuControlKnobs {
  smoothingSamples: number;
  steadySamples: number;
  warmupSamples: number;
  noiseMarginStdErrors: number;
}

export interface VcpuBalanceArgs extends GroupedDocument<VcpuVmKnobs, VcpuHostKnobs, VcpuControlKnobs> {
  adoptForeignPins: boolean;
}

export const DEFAULT_VCPU_VM_KNOBS: Readonly<VcpuVmKnobs> = Object.freeze({ automation: 'auto' });

export const DEFAULT_VCPU_HOST_KNOBS: Readonly<VcpuHostKnobs> = Object.freeze({
  thresholdStdDevPercent: 5,
  minGainPercent: 10,
  idleTotalPercent: 10,
  maxPinChangesPerCycle: 4,
  urgentStdDevPercent: 20,
  minPinDwellMs: 120_000,
});

export const DEFAULT_VCPU_CONTROL_KNOBS: Readonly<VcpuControlKnobs> = Object.freeze({
  smoothingSamples: 5,
  steadySamples: 10,
  warmupSamples: 3,
  noiseMarginStdErrors: 2,
});

export function defaultVcpuBalanceArgs(): VcpuBalanceArgs {
  return { ...defaultGroupedDocument(DEFAULT_VCPU_VM_KNOBS, DEFAULT_VCPU_HOST_KNOBS, DEFAULT_VCPU_CONTROL_KNOBS), adoptForeignPins: false };
}
