import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JOB_SCHEMA_VERSION, type JobSpec } from './job-spec.js';
import { JobRequestError } from './job-type.js';
import { JobDataError, parseJobRequest, parseJobSpec } from './parse.js';
import { fillAction, jobKeyOf, jobTypeNames } from './registry.js';

function fieldOf(body: unknown): { field?: string; message: string } {
  try {
    parseJobRequest(body);
  } catch (e) {
    assert.ok(e instanceof JobRequestError);
    assert.equal(e.kind, 'invalid');
    return { field: e.field, message: e.message };
  }
  assert.fail('expected an invalid request');
}

test('valid bodies parse into type, target and fields', () => {
  assert.deepEqual(parseJobRequest({ type: 'set-memory', vm: 'v', memoryMiB: 400 }), { type: 'set-memory', vm: 'v', fields: { memoryMiB: 400 } });
  assert.equal(parseJobRequest({ type: 'pin-vcpu', vm: 'v', vcpu: 0, pcpus: [1] }).type, 'pin-vcpu');
  assert.equal(parseJobRequest({ type: 'set-cpu-tune', vm: 'v', shares: 2048 }).type, 'set-cpu-tune');
  assert.equal(parseJobRequest({ type: 'migrate', vm: 'v', targetHost: 'h2' }).type, 'migrate');
});

test('errors name the field', () => {
  assert.deepEqual(fieldOf({ type: 'set-memory', vm: 'v', memoryMiB: 'lots' }), { field: 'memoryMiB', message: 'memoryMiB: expected number' });
  assert.equal(fieldOf({ type: 'set-memory', vm: 'v' }).message, 'memoryMiB: is required');
  assert.equal(fieldOf({ type: 'set-memory', vm: 'v', memoryMiB: -5 }).field, 'memoryMiB');
  assert.equal(fieldOf({ type: 'set-memory', vm: 'v', memoryMiB: 1.5 }).field, 'memoryMiB');
  assert.equal(fieldOf({ type: 'resize', vm: 'v' }).field, 'type');
  assert.equal(fieldOf({ vm: 'v' }).message, `type: must be one of ${jobTypeNames().join(', ')}`);
  assert.equal(fieldOf({ type: 'pin-vcpu', vm: 'v', vcpu: 0, pcpus: [] }).field, 'pcpus');
  assert.equal(fieldOf({ type: 'pin-vcpu', vm: 'v', vcpu: 0, pcpus: [-1] }).field, 'pcpus.0');
  assert.equal(fieldOf({ type: 'set-memory', vm: '', memoryMiB: 400 }).field, 'vm');
  assert.equal(fieldOf({ type: 'set-memory', memoryMiB: 400 }).message, 'vm: is required');
  assert.equal(fieldOf({ type: 'set-memory', vm: 'v', host: 'h1', memoryMiB: 400 }).field, 'host');
  assert.equal(fieldOf([1, 2]).field, 'body');
  assert.equal(fieldOf(null).field, 'body');
});

test('unknown fields are refused, naming them (memory must carry its unit); engine-filled fields are not requestable', () => {
  assert.equal(fieldOf({ type: 'set-memory', vm: 'v', memory: 400, memoryMiB: 400 }).field, 'memory');
  assert.equal(fieldOf({ type: 'set-memory', vm: 'v', memoryMiB: 400, hostBudgetMiB: 10 }).field, 'hostBudgetMiB');
  assert.equal(fieldOf({ type: 'migrate', vm: 'v', targetHost: 'h2', destUri: 'qemu+tcp://x/system' }).field, 'destUri');
});

test('set-cpu-tune needs at least one knob; bounds are those of the action', () => {
  assert.throws(() => fillAction('set-cpu-tune', {}, { hostId: 'h1', host: () => undefined }), /shares: set-cpu-tune needs at least one of/);
  assert.equal(fieldOf({ type: 'set-cpu-tune', vm: 'v', periodUs: 10 }).field, 'periodUs');
});

test('filling: pCPUs checked against the host and sorted; migrate takes the target host URIs', () => {
  const host = (id: string) => ({ hostId: id, pcpuCount: 4, numaCells: [], ...(id === 'h2' ? { migrationUri: 'qemu+tcp://10.77.0.2/system' } : {}) });
  const ctx = { hostId: 'h1', host: (id: string) => (id === 'h9' ? undefined : host(id)) };
  assert.deepEqual(fillAction('pin-vcpu', { vcpu: 0, pcpus: [3, 1, 3] }, ctx), { type: 'pin-vcpu', vcpu: 0, pcpus: [1, 3] });
  assert.throws(() => fillAction('pin-vcpu', { vcpu: 0, pcpus: [7] }, ctx), (e: JobRequestError) => e.kind === 'unprocessable' && e.field === 'pcpus');
  assert.deepEqual(fillAction('migrate', { targetHost: 'h2' }, ctx), { type: 'migrate', targetHost: 'h2', destUri: 'qemu+tcp://10.77.0.2/system' });
  assert.throws(() => fillAction('migrate', { targetHost: 'h9' }, ctx), (e: JobRequestError) => e.kind === 'not-found');
  assert.throws(() => fillAction('migrate', { targetHost: 'h1' }, ctx), /already runs on h1/);
});

const spec = (over: Partial<JobSpec> = {}): JobSpec => ({
  schemaVersion: 1,
  id: 'j1',
  hostId: 'h1',
  vmUuid: 'u1',
  vmName: 'v1',
  source: 'policy',
  createdAtMs: 1,
  action: { type: 'set-memory', memoryMiB: 400 },
  ...over,
});

test('job data: a job without a schema version is version 1; a newer version is refused clearly, not misread', () => {
  const { schemaVersion: _v, ...old } = spec();
  assert.equal(parseJobSpec(old).schemaVersion, JOB_SCHEMA_VERSION);
  assert.throws(() => parseJobSpec(spec({ schemaVersion: JOB_SCHEMA_VERSION + 1 })), (e: Error) => e instanceof JobDataError && /job schema version 2 is newer than this code understands/.test(e.message));
});

test('job data: errors name the field; unknown action fields and types are refused; VM-scoped jobs name their VM', () => {
  assert.throws(() => parseJobSpec(spec({ action: { type: 'set-memory', memoryMiB: -1 } })), /invalid job data: action\.memoryMiB: must be > 0/);
  assert.throws(() => parseJobSpec({ ...spec(), action: { type: 'set-memory', memoryMiB: 1, extra: 1 } }), /action\.extra: unknown field/);
  assert.throws(() => parseJobSpec({ ...spec(), action: { type: 'reboot' } }), /action\.type: unknown job type "reboot"/);
  const { vmUuid: _u, ...noVm } = spec();
  assert.throws(() => parseJobSpec(noVm), /vmUuid: is required for set-memory/);
  assert.throws(() => parseJobSpec({ ...spec(), source: 'cron' }), /invalid job data: source/);
});

test('job keys: target / resource [/ part]', () => {
  assert.equal(jobKeyOf(spec()), 'u1/memory');
  assert.equal(jobKeyOf(spec({ action: { type: 'pin-vcpu', vcpu: 2, pcpus: [0] } })), 'u1/vcpu-pinning/vcpu2');
});
