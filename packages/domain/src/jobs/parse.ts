/** Parsing jobs at the two doors: an API request body, and job data read back from a queue. */
import { z } from 'zod';
import { JOB_SCHEMA_VERSION, type JobSpec } from './job-spec.js';
import { JobRequestError } from './job-type.js';
import { isJobTypeName, jobType, jobTypeNames, type JobAction, type JobTypeName } from './registry.js';

/** A validated API request: the job type, whom it targets and its type's fields (not yet filled). */
export interface JobRequest {
  type: JobTypeName;
  /** VM name or UUID, for VM-scoped types. */
  vm?: string;
  /** Host id, for host-scoped types. */
  host?: string;
  fields: Record<string, unknown>;
}

/** The first zod issue as `field: message`; `input` tells a missing field from a wrong one. */
function phrase(issue: z.core.$ZodIssue | undefined, input: Record<string, unknown>, type: string, prefix = ''): { field: string; message: string } {
  let field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
  let message = issue?.message ?? 'invalid';
  if (issue?.code === 'unrecognized_keys') {
    field = issue.keys[0] ?? field;
    message = `unknown field for type ${type}`;
  } else if (issue?.code === 'invalid_type') {
    const key = issue.path[0];
    const present = issue.path.length > 1 || (typeof key === 'string' && key in input);
    message = present ? `expected ${issue.expected}` : 'is required';
  }
  return { field: prefix + field, message };
}

const asObject = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** Validates a request body `{type, vm | host, ...fields}`; throws JobRequestError('invalid') naming the first bad field. */
export function parseJobRequest(body: unknown): JobRequest {
  const o = asObject(body);
  if (!o) throw new JobRequestError('invalid', 'invalid_body', 'body', 'expected a JSON object');
  const { type, vm, host, ...fields } = o;
  if (!isJobTypeName(type)) throw new JobRequestError('invalid', 'invalid_body', 'type', `must be one of ${jobTypeNames().join(', ')}`);
  const def = jobType(type);
  const targetField = def.scope === 'vm' ? 'vm' : 'host';
  const target = def.scope === 'vm' ? vm : host;
  const other = def.scope === 'vm' ? 'host' : 'vm';
  if ((def.scope === 'vm' ? host : vm) !== undefined) {
    throw new JobRequestError('invalid', 'invalid_body', other, `unknown field for type ${type} (it targets a ${def.scope})`);
  }
  if (typeof target !== 'string' || target.length === 0) {
    throw new JobRequestError('invalid', 'invalid_body', targetField, target === undefined ? 'is required' : `must name a ${def.scope === 'vm' ? 'VM' : 'host'}`);
  }
  const r = def.request.safeParse(fields);
  if (!r.success) {
    const p = phrase(r.error.issues[0], fields, type);
    throw new JobRequestError('invalid', 'invalid_body', p.field, p.message);
  }
  return { type, ...(def.scope === 'vm' ? { vm: target } : { host: target }), fields: r.data as Record<string, unknown> };
}

/** Job data that is not a job this code understands. `permanent`: retrying cannot fix it. */
export class JobDataError extends Error {
  override readonly name = 'JobDataError';
}

const envelope = z.object({
  schemaVersion: z.number().int().min(1).optional(),
  id: z.string().min(1),
  hostId: z.string().min(1),
  vmUuid: z.string().min(1).optional(),
  vmName: z.string().min(1).optional(),
  source: z.enum(['manual', 'policy']),
  policy: z.string().min(1).optional(),
  createdAtMs: z.number().int().nonnegative(),
  action: z.object({ type: z.string() }).loose(),
});

/** Checks job data (read from Redis, or about to be written); throws JobDataError naming the field. */
/**
 * Each job type's action schema with unknown keys refused, made once: zod compiles a schema on its first parse,
 * so one made per call costs that compile on every job (a tenth of the actuator's CPU in the jobs bench).
 */
const strictActions = new Map<string, z.ZodType>();
function strictAction(type: string, action: { strict(): z.ZodType }): z.ZodType {
  let s = strictActions.get(type);
  if (!s) strictActions.set(type, (s = action.strict()));
  return s;
}

export function parseJobSpec(data: unknown): JobSpec {
  const o = asObject(data);
  if (!o) throw new JobDataError('invalid job data: expected an object');
  const version = o['schemaVersion'] ?? 1;
  if (typeof version === 'number' && Number.isInteger(version) && version > JOB_SCHEMA_VERSION) {
    throw new JobDataError(
      `job schema version ${version} is newer than this code understands (≤ ${JOB_SCHEMA_VERSION}): upgrade this service before it takes such jobs`,
    );
  }
  const e = envelope.safeParse(o);
  if (!e.success) {
    const p = phrase(e.error.issues[0], o, '?');
    throw new JobDataError(`invalid job data: ${p.field}: ${p.message}`);
  }
  const raw = e.data.action;
  if (!isJobTypeName(raw.type)) throw new JobDataError(`invalid job data: action.type: unknown job type "${raw.type}" (known: ${jobTypeNames().join(', ')})`);
  const def = jobType(raw.type);
  const a = strictAction(raw.type, def.action).safeParse(raw);
  if (!a.success) {
    const p = phrase(a.error.issues[0], raw, raw.type, 'action.');
    throw new JobDataError(`invalid job data: ${p.field}: ${p.message}`);
  }
  if (def.scope === 'vm' && (e.data.vmUuid === undefined || e.data.vmName === undefined)) {
    throw new JobDataError(`invalid job data: ${e.data.vmUuid === undefined ? 'vmUuid' : 'vmName'}: is required for ${raw.type} (a VM-scoped job)`);
  }
  const { schemaVersion: _v, action: _a, ...rest } = e.data;
  return { schemaVersion: JOB_SCHEMA_VERSION, ...rest, action: a.data as JobAction };
}
