import { z } from 'zod';
import { ApiError } from './api-error.js';

const vm = z.string().min(1, 'must name a VM');
const nonNegInt = z.number().int('must be an integer').min(0, 'must be ≥ 0');

/** Body of POST /v1/jobs. Memory in MiB; every field name carries its unit. Unknown fields are errors. */
export const jobRequestSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('set-memory'),
    vm,
    memoryMiB: z.number().int('must be an integer').positive('must be > 0'),
  }),
  z.strictObject({
    type: z.literal('pin-vcpu'),
    vm,
    vcpu: nonNegInt,
    pcpus: z.array(nonNegInt).min(1, 'must list at least one pCPU'),
  }),
  z.strictObject({
    type: z.literal('set-cpu-tune'),
    vm,
    shares: z.number().int('must be an integer').min(2, 'must be ≥ 2').max(262144, 'must be ≤ 262144').optional(),
    quotaUs: z.number().int('must be an integer').min(-1, 'must be ≥ -1 (-1 = unlimited)').optional(),
    periodUs: z.number().int('must be an integer').min(1000, 'must be ≥ 1000').max(1000000, 'must be ≤ 1000000').optional(),
  }),
  z.strictObject({
    type: z.literal('migrate'),
    vm,
    targetHost: z.string().min(1, 'must name a host'),
  }),
]);

export type JobRequest = z.infer<typeof jobRequestSchema>;

const TYPES = ['set-memory', 'pin-vcpu', 'set-cpu-tune', 'migrate'];

/** Validates a request body; throws a 400 ApiError naming the first bad field. */
export function parseJobRequest(body: unknown): JobRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'invalid_body', 'body: expected a JSON object', 'body');
  }
  const type = (body as { type?: unknown }).type;
  if (typeof type !== 'string' || !TYPES.includes(type)) {
    throw new ApiError(400, 'invalid_body', `type: must be one of ${TYPES.join(', ')}`, 'type');
  }
  const r = jobRequestSchema.safeParse(body);
  if (r.success) {
    const d = r.data;
    if (d.type === 'set-cpu-tune' && d.shares === undefined && d.quotaUs === undefined && d.periodUs === undefined) {
      throw new ApiError(400, 'invalid_body', 'shares: set-cpu-tune needs at least one of shares, quotaUs, periodUs', 'shares');
    }
    return d;
  }
  const issue = r.error.issues[0];
  let field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
  let message = issue?.message ?? 'invalid';
  if (issue?.code === 'unrecognized_keys') {
    field = issue.keys[0] ?? field;
    message = `unknown field for type ${type}`;
  } else if (issue?.code === 'invalid_type') {
    const key = issue.path[0];
    const present = issue.path.length > 1 || (typeof key === 'string' && key in (body as Record<string, unknown>));
    message = present ? `expected ${issue.expected}` : 'is required';
  }
  throw new ApiError(400, 'invalid_body', `${field}: ${message}`, field);
}
