import { z } from 'zod';
import type { JobSpec } from '@ballast/domain';

const mib = z.number().int().positive();

export const jobActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('set-memory'), memoryMiB: mib, hostBudgetMiB: mib.optional() }),
  z.object({
    type: z.literal('pin-vcpu'),
    vcpu: z.number().int().min(0),
    pcpus: z.array(z.number().int().min(0)).min(1),
  }),
  z.object({
    type: z.literal('set-cpu-tune'),
    shares: z.number().int().min(2).max(262144).optional(),
    quotaUs: z.number().int().min(-1).optional(),
    periodUs: z.number().int().min(1000).max(1000000).optional(),
  }),
  z.object({
    type: z.literal('migrate'),
    targetHost: z.string().min(1),
    destUri: z.string().min(1),
    migrateUri: z.string().min(1).optional(),
  }),
]);

export const jobSpecSchema = z.object({
  id: z.string().min(1),
  hostId: z.string().min(1),
  vmUuid: z.string().min(1),
  vmName: z.string().min(1),
  source: z.enum(['manual', 'policy']),
  policy: z.string().optional(),
  createdAtMs: z.number().int().nonnegative(),
  action: jobActionSchema,
});

/** Parses job data read from Redis; throws with the offending field named. */
export function parseJobSpec(data: unknown): JobSpec {
  const r = jobSpecSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue ? issue.path.join('.') : '?';
    throw new Error(`invalid job data: ${field}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data as JobSpec;
}
