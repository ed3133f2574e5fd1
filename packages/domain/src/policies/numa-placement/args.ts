/**
 * Args of the `numa-placement` policy: on hosts with more than one NUMA cell, each VM's vCPUs and memory
 * on one cell when it fits there (see plan.ts).
 *
 * The document has the shape memory-balloon's has (vm-groups.ts): per-VM defaults and groups (matching
 * names/UUIDs or labels), `labels`, host knobs with per-host overrides, and control knobs. Every field is
 * optional; validate.ts fills the defaults below.
 *
 *   {
 *     "defaults": { "memoryMode": "preferred" },
 *     "groups":   [ { "match": { "labels": { "tier": "db" } }, "memoryMode": "strict" },
 *                   { "match": { "names": ["spread1"] }, "automation": "off" } ],
 *     "host":     { "maxMovesPerCycle": 1, "cooldownMs": 300000 },
 *     "hosts":    { "big": { "cpuHeadroomPercent": 20 } }
 *   }
 *
 * Per VM (defaults, overridable per group):
 *
 * | knob                | default     | unit | meaning                                                           |
 * |---------------------|-------------|------|-------------------------------------------------------------------|
 * | memoryMode          | 'preferred' |      | numatune mode given to a VM placed for the first time: 'strict'   |
 * |                     |             |      | (memory only from the cell; the kernel OOM-kills QEMU if the cell |
 * |                     |             |      | runs out) or 'preferred' (the cell first, others when it is full) |
 * | automation          | 'auto'      |      | 'off' (unmanaged), 'recommend' (decision only), 'auto' (jobs)     |
 *
 * Per host (`host`, overridable per host id in `hosts`):
 *
 * | knob                | default     | unit        | meaning                                                    |
 * |---------------------|-------------|-------------|------------------------------------------------------------|
 * | maxMovesPerCycle    | 1           | VMs         | VMs placed (set-numa jobs) per host per cycle              |
 * | cooldownMs          | 300000      | ms          | a VM placed this recently (its set-numa job, or Ballast's  |
 * |                     |             |             | pin record) is not placed again                            |
 * | hysteresisPercent   | 25          | %           | a placed VM whose cell no longer holds it moves only to a  |
 * |                     |             |             | cell that scores this much more                            |
 * | cpuHeadroomPercent  | 10          | % of a cell | CPU a cell keeps free after a VM is placed on it           |
 * | cellFreeFloorMiB    | 512         | MiB         | memory a cell keeps free after a VM is placed on it        |
 *
 * Control (`control`):
 *
 * | knob                | default     | unit        | meaning                                                    |
 * |---------------------|-------------|-------------|------------------------------------------------------------|
 * | demandSamples       | 5           | samples     | window samples a VM's vCPU demand is averaged over         |
 *
 * The cell-choice rule (numad's): cell-book.ts.
 */
import type { Automation } from '../vm-groups.js';
import { defaultGroupedDocument, type GroupedDocument } from '../read-grouped-knobs.js';

/** The numatune modes a first placement may give (libvirt cannot change a running VM's mode afterwards). */
export type PlacementMemoryMode = 'strict' | 'preferred';

export const PLACEMENT_MEMORY_MODES: readonly PlacementMemoryMode[] = ['strict', 'preferred'];

export interface NumaVmKnobs {
  memoryMode: PlacementMemoryMode;
  automation: Automation;
}

export interface NumaHostKnobs {
  maxMovesPerCycle: number;
  cooldownMs: number;
  hysteresisPercent: number;
  cpuHeadroomPercent: number;
  cellFreeFloorMiB: number;
}

export interface NumaControlKnobs {
  demandSamples: number;
}

/** The whole document: per-VM defaults, groups and labels; host knobs and per-host overrides; control knobs. */
export type NumaPlacementArgs = GroupedDocument<NumaVmKnobs, NumaHostKnobs, NumaControlKnobs>;

export const DEFAULT_NUMA_VM_KNOBS: Readonly<NumaVmKnobs> = Object.freeze({ memoryMode: 'preferred', automation: 'auto' });

export const DEFAULT_NUMA_HOST_KNOBS: Readonly<NumaHostKnobs> = Object.freeze({
  maxMovesPerCycle: 1,
  cooldownMs: 300_000,
  hysteresisPercent: 25,
  cpuHeadroomPercent: 10,
  cellFreeFloorMiB: 512,
});

export const DEFAULT_NUMA_CONTROL_KNOBS: Readonly<NumaControlKnobs> = Object.freeze({ demandSamples: 5 });

export function defaultNumaPlacementArgs(): NumaPlacementArgs {
  return defaultGroupedDocument(DEFAULT_NUMA_VM_KNOBS, DEFAULT_NUMA_HOST_KNOBS, DEFAULT_NUMA_CONTROL_KNOBS);
}
