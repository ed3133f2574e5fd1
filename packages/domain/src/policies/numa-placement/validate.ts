import type { ArgsIssue } from '../policy.js';
import type { ArgsReader } from '../args-reader.js';
import { validateGroupedDocument, type KnobsReader } from '../read-grouped-knobs.js';
import { AUTOMATIONS } from '../vm-groups.js';
import {
  DEFAULT_NUMA_CONTROL_KNOBS,
  DEFAULT_NUMA_HOST_KNOBS,
  DEFAULT_NUMA_VM_KNOBS,
  PLACEMENT_MEMORY_MODES,
  type NumaControlKnobs,
  type NumaHostKnobs,
  type NumaPlacementArgs,
  type NumaVmKnobs,
} from './args.js';

type Result = { ok: true; args: NumaPlacementArgs } | { ok: false; issues: ArgsIssue[] };

const VM_READER: KnobsReader<NumaVmKnobs> = {
  keys: ['memoryMode', 'automation'],
  defaults: DEFAULT_NUMA_VM_KNOBS,
  read(r) {
    const out: Partial<NumaVmKnobs> = {};
    const mode = r.oneOf('memoryMode', PLACEMENT_MEMORY_MODES);
    if (mode !== undefined) out.memoryMode = mode;
    const automation = r.oneOf('automation', AUTOMATIONS);
    if (automation !== undefined) out.automation = automation;
    return out;
  },
};

const HOST_READER: KnobsReader<NumaHostKnobs> = {
  keys: Object.keys(DEFAULT_NUMA_HOST_KNOBS),
  defaults: DEFAULT_NUMA_HOST_KNOBS,
  read(r) {
    const out: Partial<NumaHostKnobs> = {};
    const set = <K extends keyof NumaHostKnobs>(k: K, v: number | undefined): void => {
      if (v !== undefined) out[k] = v;
    };
    set('maxMovesPerCycle', r.number('maxMovesPerCycle', { integer: true, min: 0, max: 1000 }));
    set('cooldownMs', r.number('cooldownMs', { min: 0, max: 24 * 3600_000 }));
    set('hysteresisPercent', r.number('hysteresisPercent', { min: 0, max: 1000 }));
    set('cpuHeadroomPercent', r.number('cpuHeadroomPercent', { min: 0, max: 99 }));
    set('cellFreeFloorMiB', r.number('cellFreeFloorMiB', { min: 0, max: 16 * 1024 * 1024 }));
    return out;
  },
};

function readControl(r: ArgsReader): NumaControlKnobs {
  r.only(Object.keys(DEFAULT_NUMA_CONTROL_KNOBS));
  return { demandSamples: r.number('demandSamples', { integer: true, min: 1, max: 1000 }) ?? DEFAULT_NUMA_CONTROL_KNOBS.demandSamples };
}

/** Checks a raw numa-placement document and fills in the defaults of args.ts; every issue names its field. */
export function validateNumaPlacementArgs(raw: unknown): Result {
  return validateGroupedDocument(raw, { vm: VM_READER, host: HOST_READER, control: { defaults: DEFAULT_NUMA_CONTROL_KNOBS, read: readControl } });
}
