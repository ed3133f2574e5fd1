import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseJobRequest } from './parse.js';
import { jobTypeNames } from './registry.js';
import { jobRequestSchema } from './request-schema.js';

const accepted = (body: unknown) => jobRequestSchema().safeParse(body).success;
const parses = (body: unknown) => {
  try {
    parseJobRequest(body);
    return true;
  } catch {
    return false;
  }
};

test('the documented request schema accepts and rejects what parseJobRequest does', () => {
  const bodies: unknown[] = [
    { type: 'set-memory', vm: 'web', memoryMiB: 400 },
    { type: 'set-memory', vm: 'web', memoryMiB: 0 },
    { type: 'set-memory', vm: 'web', memoryMiB: 400, extra: 1 },
    { type: 'set-memory', host: 'h1', memoryMiB: 400 },
    { type: 'pin-vcpu', vm: 'web', vcpu: 0, pcpus: [1] },
    { type: 'migrate', vm: 'web', targetHost: 'h2' },
    { type: 'migrate', vm: '', targetHost: 'h2' },
    { type: 'set-ksm', host: 'h1', run: 'run' },
    { type: 'set-ksm', vm: 'web', run: 'run' },
    { type: 'nope', vm: 'web' },
  ];
  for (const b of bodies) assert.equal(accepted(b), parses(b), JSON.stringify(b));
});

test('its JSON schema has one variant per job type', () => {
  type Variants = { properties: { type: { const: string } } }[];
  const json = z.toJSONSchema(jobRequestSchema(), { io: 'input' }) as { oneOf?: Variants; anyOf?: Variants };
  assert.deepEqual((json.oneOf ?? json.anyOf)?.map((v) => v.properties.type.const), jobTypeNames());
});
