import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './api-error.js';
import { parseJobRequest } from './job-request-schema.js';

function fieldOf(body: unknown): { field?: string; message: string } {
  try {
    parseJobRequest(body);
  } catch (e) {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 400);
    return { ...(e.field ? { field: e.field } : {}), message: e.message };
  }
  assert.fail('expected a 400');
}

test('valid bodies parse', () => {
  assert.deepEqual(parseJobRequest({ type: 'set-memory', vm: 'v', memoryMiB: 400 }), { type: 'set-memory', vm: 'v', memoryMiB: 400 });
  assert.deepEqual(parseJobRequest({ type: 'pin-vcpu', vm: 'v', vcpu: 0, pcpus: [1] }).type, 'pin-vcpu');
  assert.deepEqual(parseJobRequest({ type: 'set-cpu-tune', vm: 'v', shares: 2048 }).type, 'set-cpu-tune');
  assert.deepEqual(parseJobRequest({ type: 'migrate', vm: 'v', targetHost: 'h2' }).type, 'migrate');
});

test('errors name the field', () => {
  assert.deepEqual(fieldOf({ type: 'set-memory', vm: 'v', memoryMiB: 'lots' }), { field: 'memoryMiB', message: 'memoryMiB: expected number' });
  assert.equal(fieldOf({ type: 'set-memory', vm: 'v' }).message, 'memoryMiB: is required');
  assert.equal(fieldOf({ type: 'set-memory', vm: 'v', memoryMiB: -5 }).field, 'memoryMiB');
  assert.equal(fieldOf({ type: 'set-memory', vm: 'v', memoryMiB: 1.5 }).field, 'memoryMiB');
  assert.equal(fieldOf({ type: 'resize', vm: 'v' }).field, 'type');
  assert.equal(fieldOf({ vm: 'v' }).field, 'type');
  assert.equal(fieldOf({ type: 'pin-vcpu', vm: 'v', vcpu: 0, pcpus: [] }).field, 'pcpus');
  assert.equal(fieldOf({ type: 'pin-vcpu', vm: 'v', vcpu: 0, pcpus: [-1] }).field, 'pcpus.0');
  assert.equal(fieldOf({ type: 'set-memory', vm: '', memoryMiB: 400 }).field, 'vm');
  assert.equal(fieldOf([1, 2]).field, 'body');
  assert.equal(fieldOf(null).field, 'body');
});

test('unknown fields are refused, naming them (memory must carry its unit)', () => {
  const r = fieldOf({ type: 'set-memory', vm: 'v', memory: 400, memoryMiB: 400 });
  assert.equal(r.field, 'memory');
});

test('set-cpu-tune needs at least one knob', () => {
  assert.equal(fieldOf({ type: 'set-cpu-tune', vm: 'v' }).field, 'shares');
  assert.equal(fieldOf({ type: 'set-cpu-tune', vm: 'v', periodUs: 10 }).field, 'periodUs');
});
