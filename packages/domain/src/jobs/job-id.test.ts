import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOfJobId, jobIdOnHost } from './job-id.js';

test('a job id names its host: made and read back', () => {
  for (const host of ['h1', 'kvm-01.example.org', 'A_b-9']) assert.equal(hostOfJobId(jobIdOnHost('pj-0123abcd', host)), host);
  assert.equal(hostOfJobId(jobIdOnHost('a@b', 'h2')), 'h2', 'the last @ counts');
});

test('ids that name no host: undefined (older jobs, found through the index)', () => {
  for (const id of ['3f1c0c9e-8b2a-4a57-9d55-2f4b1f0f1a11', 'pj-0123abcd', '@h1', 'x@', 'x@-h1', 'x@h 1', `x@${'h'.repeat(64)}`]) {
    assert.equal(hostOfJobId(id), undefined, id);
  }
});
