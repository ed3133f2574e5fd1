/**
 * The registry of job types: the one list. The HTTP and gRPC APIs, the queue and the actuator read it;
 * edge code that needs one thing per type (a processor, a proto mapping) is a map typed over
 * `JobTypeName`, so a type added here without its adapters does not compile.
 */
import type { z } from 'zod';
import type { FillContext, JobScope, JobTypeDef } from './job-type.js';
import { migrateJob } from './types/migrate.js';
import { pinVcpuJob } from './types/pin-vcpu.js';
import { setCpuTuneJob } from './types/set-cpu-tune.js';
import { setKsmJob } from './types/set-ksm.js';
import { setMemoryJob } from './types/set-memory.js';
import { setNumaJob } from './types/set-numa.js';

export const JOB_TYPES = [setMemoryJob, pinVcpuJob, setCpuTuneJob, migrateJob, setNumaJob, setKsmJob] as const;

type AnyDef = (typeof JOB_TYPES)[number];

/** Every action a job can carry (a union over the registry). */
export type JobAction = z.infer<AnyDef['action']>;
export type JobTypeName = JobAction['type'];
export type ActionOf<T extends JobTypeName> = Extract<JobAction, { type: T }>;

/** The registry entry as code that handles any type sees it. */
export type AnyJobType = JobTypeDef<z.ZodObject<{ type: z.ZodLiteral<string> }>, z.ZodObject>;

const byName = new Map<string, AnyJobType>(JOB_TYPES.map((d) => [d.type, d as unknown as AnyJobType]));
if (byName.size !== JOB_TYPES.length) throw new Error('job type registered twice');

/** Names of every job type, in registry order. */
export function jobTypeNames(): JobTypeName[] {
  return JOB_TYPES.map((d) => d.type);
}

export function isJobTypeName(name: unknown): name is JobTypeName {
  return typeof name === 'string' && byName.has(name);
}

/** The registry entry of a type; throws for a name that is not one. */
export function jobType(name: string): AnyJobType {
  const d = byName.get(name);
  if (!d) throw new Error(`unknown job type "${name}" (known: ${jobTypeNames().join(', ')})`);
  return d;
}

export function scopeOf(action: JobAction): JobScope {
  return jobType(action.type).scope;
}

export function resourceOf(action: JobAction): string {
  return jobType(action.type).resource;
}

export function describeAction(action: JobAction): string {
  return jobType(action.type).describe(action);
}

/** Request fields → action, through the type's `fill` (throws JobRequestError naming the field). */
export function fillAction(type: JobTypeName, request: unknown, ctx: FillContext): JobAction {
  return jobType(type).fill(request as never, ctx) as JobAction;
}

/** Who a job adjusts, as holds and repeat keys name it: the VM's UUID, or `host:<id>` for host-scoped jobs. */
export function targetKeyOf(job: { hostId: string; vmUuid?: string; action: JobAction }): string {
  return scopeOf(job.action) === 'host' ? `host:${job.hostId}` : (job.vmUuid ?? `vm:?`);
}

/**
 * What a job competes for: target / resource [/ part]. Two jobs with the same key set the same thing (a
 * later one replaces an earlier one; two policies must not both set it in one cycle).
 */
export function jobKeyOf(job: { hostId: string; vmUuid?: string; action: JobAction }): string {
  const d = jobType(job.action.type);
  const part = d.part?.(job.action);
  return `${targetKeyOf(job)}/${d.resource}${part !== undefined ? `/${part}` : ''}`;
}
