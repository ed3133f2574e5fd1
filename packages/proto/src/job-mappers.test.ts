import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JOB_SCHEMA_VERSION, JOB_TYPES, jobTypeNames, parseJobSpec, type JobSpec } from '@ballast/domain';
import { Job } from './gen/ballast/v1/job.js';
import { jobFromProto, jobRequestFromProto, jobToProto, protoMappedJobTypes } from './job-mappers.js';

function specs(): JobSpec[] {
  return JOB_TYPES.map((d, i) => ({
    schemaVersion: JOB_SCHEMA_VERSION,
    id: `job-${i}`,
    hostId: 'h1',
    ...(d.scope === 'vm' ? { vmUuid: `uuid-${i}`, vmName: `vm${i}` } : {}),
    source: i % 2 === 0 ? 'policy' : 'manual',
    ...(i % 2 === 0 ? { policy: 'some-policy' } : {}),
    createdAtMs: 1_700_000_000_000 + i,
    action: d.example,
  }));
}

test('every job type of the registry has a proto mapping, and nothing else does', () => {
  assert.deepEqual(protoMappedJobTypes().sort(), jobTypeNames().sort());
});

test('the proto Job round-trips every field the queue carries, for every job type (wire encoding included)', () => {
  for (const spec of specs()) {
    const wire = Job.encode(jobToProto(spec)).finish();
    assert.deepEqual(jobFromProto(Job.decode(wire)), spec, spec.action.type);
  }
});

test('the queue form (JSON in Redis) round-trips too, and every example sets each optional action field', () => {
  for (const spec of specs()) {
    assert.deepEqual(parseJobSpec(JSON.parse(JSON.stringify(spec))), spec);
    const def = JOB_TYPES.find((d) => d.type === spec.action.type);
    for (const key of Object.keys(def?.action.shape ?? {})) assert.ok(key in spec.action, `${spec.action.type}.example lacks ${key}`);
  }
});

test('SubmitJob: a proto Job becomes the request the HTTP API takes (request fields only)', () => {
  const [mem] = specs();
  assert.ok(mem);
  assert.deepEqual(jobRequestFromProto(jobToProto(mem)), { type: 'set-memory', vm: 'vm0', memoryMiB: 400 });
  assert.deepEqual(jobRequestFromProto(Job.fromPartial({ vmName: 'x' })), { vm: 'x' });
});
