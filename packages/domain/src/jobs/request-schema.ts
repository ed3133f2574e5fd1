/** The API request body of every job type as one zod schema: what the HTTP API documents for POST /v1/jobs. */
import { z } from 'zod';
import { JOB_TYPES, type AnyJobType } from './registry.js';

const target = {
  vm: z.string().min(1).describe('The VM: its name, or its UUID when two hosts report the same name.'),
  host: z.string().min(1).describe('The host id.'),
};

/**
 * `{type, vm | host, ...fields}`, one variant per job type of the registry, each made of that type's own
 * request schema (the one parseJobRequest validates the fields with), so documentation and validation
 * cannot differ. Checks across fields (e.g. "at least one of") are the type's `fill`, not in it.
 */
export function jobRequestSchema(): z.ZodType {
  const variants = JOB_TYPES.map((t) => {
    const def = t as unknown as AnyJobType;
    const scope = def.scope === 'vm' ? { vm: target.vm } : { host: target.host };
    return z.strictObject({ type: z.literal(def.type), ...scope, ...def.request.shape }).describe(`${def.type}: a ${def.scope}-scoped job holding its ${def.resource}`);
  });
  return z.discriminatedUnion('type', variants as unknown as [z.ZodObject, ...z.ZodObject[]]);
}
