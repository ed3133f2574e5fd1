import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JOB_SCHEMA_VERSION, jobType, jobTypeNames } from '@ballast/domain';
import { JobRouter, PROCESSORS } from './job-router.js';
import { PermanentJobError, type ProcessorContext } from './processors/processor-context.js';
import { TEST_PROCESSOR_CONFIG } from './processors/test-config.js';

test('the router has a processor for every job type of the registry, of the scope the registry gives it', () => {
  assert.deepEqual(Object.keys(PROCESSORS).sort(), [...jobTypeNames()].sort());
  for (const [type, entry] of Object.entries(PROCESSORS)) assert.equal('host' in entry ? 'host' : 'vm', jobType(type).scope, type);
});

const router = () => new JobRouter({ config: TEST_PROCESSOR_CONFIG, now: Date.now, sleep: async () => {} } as unknown as ProcessorContext, 'h1');
const job = { id: 'j1', hostId: 'h1', vmUuid: 'u1', vmName: 'v1', source: 'manual', createdAtMs: 1, action: { type: 'set-memory', memoryMiB: 400 } };

test('a job of a newer schema version fails permanently, naming the versions (never misread)', async () => {
  await assert.rejects(router().handle({ ...job, schemaVersion: JOB_SCHEMA_VERSION + 1 }), (e: Error) => e instanceof PermanentJobError && /schema version 2 is newer than this code understands \(≤ 1\)/.test(e.message));
});

test('bad data, an unknown type or another host: permanent failures naming the problem', async () => {
  await assert.rejects(router().handle({ ...job, action: { type: 'reboot' } }), (e: Error) => e instanceof PermanentJobError && /unknown job type "reboot"/.test(e.message));
  await assert.rejects(router().handle({ ...job, hostId: 'h2' }), /job for host h2 reached the actuator of h1/);
  await assert.rejects(router().handle('nonsense'), /invalid job data/);
});
