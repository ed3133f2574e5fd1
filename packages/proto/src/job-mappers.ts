/**
 * Job ↔ proto `Job`, in one place. One action mapping per job type, in a map typed over the registry's
 * type names: a type added to the registry without its mapping here does not compile.
 */
import { JOB_SCHEMA_VERSION, jobType, type ActionOf, type JobAction, type JobSpec, type JobTypeName } from '@ballast/domain';
import { JobSource, KsmRun, NumaMode, type Job } from './gen/ballast/v1/job.js';

type ActionFields = Pick<Job, 'setMemory' | 'pinVcpu' | 'setCpuTune' | 'migrate' | 'setNuma' | 'setKsm'>;

interface ActionMapping<T extends JobTypeName> {
  /** The oneof member that carries this type. */
  field: keyof ActionFields;
  toProto(a: ActionOf<T>): ActionFields;
  fromProto(j: Job): ActionOf<T> | undefined;
}

const opt = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } => (v !== undefined ? ({ [key]: v } as { [P in K]: V }) : {});

/** A TS string union ↔ a proto enum whose 0 means "not set". */
function enumMap<K extends string>(pairs: Record<K, number>) {
  const back = new Map(Object.entries(pairs).map(([k, v]) => [v as number, k as K]));
  return { to: (k: K | undefined): number => (k === undefined ? 0 : pairs[k]), from: (v: number): K | undefined => back.get(v) };
}
const numaMode = enumMap({ strict: NumaMode.NUMA_MODE_STRICT, preferred: NumaMode.NUMA_MODE_PREFERRED, interleave: NumaMode.NUMA_MODE_INTERLEAVE, restrictive: NumaMode.NUMA_MODE_RESTRICTIVE });
const ksmRun = enumMap({ stop: KsmRun.KSM_RUN_STOP, run: KsmRun.KSM_RUN_RUN, unmerge: KsmRun.KSM_RUN_UNMERGE });

const ACTIONS: { [T in JobTypeName]: ActionMapping<T> } = {
  'set-memory': {
    field: 'setMemory',
    toProto: (a) => ({ setMemory: { memoryMib: a.memoryMiB, ...opt('hostBudgetMib', a.hostBudgetMiB) } }),
    fromProto: ({ setMemory: m }) => m && { type: 'set-memory', memoryMiB: m.memoryMib, ...opt('hostBudgetMiB', m.hostBudgetMib) },
  },
  'pin-vcpu': {
    field: 'pinVcpu',
    toProto: (a) => ({ pinVcpu: { vcpu: a.vcpu, pcpus: a.pcpus } }),
    fromProto: ({ pinVcpu: p }) => p && { type: 'pin-vcpu', vcpu: p.vcpu, pcpus: [...p.pcpus] },
  },
  'set-cpu-tune': {
    field: 'setCpuTune',
    toProto: (a) => ({ setCpuTune: { ...opt('shares', a.shares), ...opt('quotaUs', a.quotaUs), ...opt('periodUs', a.periodUs), emulatorPcpus: [...(a.emulatorPcpus ?? [])] } }),
    fromProto: ({ setCpuTune: t }) =>
      t && {
        type: 'set-cpu-tune',
        ...opt('shares', t.shares),
        ...opt('quotaUs', t.quotaUs),
        ...opt('periodUs', t.periodUs),
        ...(t.emulatorPcpus.length > 0 ? { emulatorPcpus: [...t.emulatorPcpus] } : {}),
      },
  },
  migrate: {
    field: 'migrate',
    toProto: (a) => ({ migrate: { targetHost: a.targetHost, destUri: a.destUri, migrateUri: a.migrateUri ?? '' } }),
    fromProto: ({ migrate: m }) => m && { type: 'migrate', targetHost: m.targetHost, destUri: m.destUri, ...opt('migrateUri', m.migrateUri || undefined) },
  },
  'set-numa': {
    field: 'setNuma',
    toProto: (a) => ({ setNuma: { cell: a.cell, memoryMode: numaMode.to(a.memoryMode), ...opt('pinVcpus', a.pinVcpus) } }),
    fromProto: ({ setNuma: n }) => n && { type: 'set-numa', cell: n.cell, ...opt('memoryMode', numaMode.from(n.memoryMode)), ...opt('pinVcpus', n.pinVcpus) },
  },
  'set-ksm': {
    field: 'setKsm',
    toProto: (a) => ({
      setKsm: { run: ksmRun.to(a.run), ...opt('pagesToScan', a.pagesToScan), ...opt('sleepMillisecs', a.sleepMillisecs), ...opt('mergeAcrossNodes', a.mergeAcrossNodes) },
    }),
    fromProto: ({ setKsm: k }) =>
      k && {
        type: 'set-ksm',
        ...opt('run', ksmRun.from(k.run)),
        ...opt('pagesToScan', k.pagesToScan),
        ...opt('sleepMillisecs', k.sleepMillisecs),
        ...opt('mergeAcrossNodes', k.mergeAcrossNodes),
      },
  },
};

/** The job types that have a proto mapping (a test checks this is the registry's list). */
export function protoMappedJobTypes(): string[] {
  return Object.keys(ACTIONS);
}

function mapping(type: JobTypeName): ActionMapping<JobTypeName> {
  return ACTIONS[type] as unknown as ActionMapping<JobTypeName>;
}

export function jobActionToProto(action: JobAction): ActionFields {
  return mapping(action.type).toProto(action);
}

/** The action a proto Job carries, or undefined when it carries none. */
export function jobActionFromProto(j: Job): JobAction | undefined {
  for (const type of Object.keys(ACTIONS) as JobTypeName[]) {
    const a = mapping(type).fromProto(j);
    if (a) return a;
  }
  return undefined;
}

export function jobToProto(spec: JobSpec): Job {
  return {
    id: spec.id,
    hostId: spec.hostId,
    vmUuid: spec.vmUuid ?? '',
    vmName: spec.vmName ?? '',
    source: spec.source === 'manual' ? JobSource.JOB_SOURCE_MANUAL : JobSource.JOB_SOURCE_POLICY,
    createdAtMs: spec.createdAtMs,
    policy: spec.policy ?? '',
    schemaVersion: spec.schemaVersion,
    ...jobActionToProto(spec.action),
  };
}

/** A proto Job → JobSpec (every field the queue carries); throws naming what is missing. */
export function jobFromProto(j: Job): JobSpec {
  const action = jobActionFromProto(j);
  if (!action) throw new Error('job: carries no action');
  return {
    schemaVersion: j.schemaVersion || JOB_SCHEMA_VERSION,
    id: j.id,
    hostId: j.hostId,
    ...opt('vmUuid', j.vmUuid || undefined),
    ...opt('vmName', j.vmName || undefined),
    source: j.source === JobSource.JOB_SOURCE_MANUAL ? 'manual' : 'policy',
    ...opt('policy', j.policy || undefined),
    createdAtMs: j.createdAtMs,
    action,
  };
}

/**
 * A gRPC SubmitJob's Job → the request body the HTTP API takes (`{type, vm | host, ...request fields}`), so
 * both APIs validate the same way. Only the type's request fields are taken (engine-filled ones are not).
 */
export function jobRequestFromProto(j: Job | undefined): Record<string, unknown> {
  const action = j && jobActionFromProto(j);
  if (!j || !action) return { vm: j?.vmName || j?.vmUuid || undefined };
  const def = jobType(action.type);
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(def.request.shape)) {
    const v = (action as Record<string, unknown>)[key];
    if (v !== undefined) fields[key] = v;
  }
  const target = def.scope === 'vm' ? { vm: j.vmName || j.vmUuid } : { host: j.hostId };
  return { type: action.type, ...target, ...fields };
}
