// The policy documents in the repository are valid as the engine reads them: infra/lab/policy.json (what
// `make run` loads on the lab: every policy, in auto) and the memory scenarios' fixture (memory-balloon alone).
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { validatePolicies } from '@ballast/cycle';
import { builtinPolicies } from '@ballast/domain';
import { loadPolicyDocument } from './policy-document.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('infra/lab/policy.json enables every built-in policy in auto, and the engine accepts it', () => {
  const entries = loadPolicyDocument(path.join(REPO, 'infra/lab/policy.json'));
  assert.doesNotThrow(() => validatePolicies(builtinPolicies(), entries));
  assert.deepEqual(entries.map((e) => e.name).sort(), [...builtinPolicies().names()].sort());
  assert.ok(entries.every((e) => e.automation === 'auto'), JSON.stringify(entries));
});

test('the memory scenarios run under memory-balloon alone (test/e2e/fixtures/memory-policy.json)', () => {
  const entries = loadPolicyDocument(path.join(REPO, 'test/e2e/fixtures/memory-policy.json'));
  assert.doesNotThrow(() => validatePolicies(builtinPolicies(), entries));
  assert.deepEqual(entries.map((e) => [e.name, e.automation]), [['memory-balloon', 'auto']]);
});
