import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PolicyDocumentError } from '@ballast/cycle';
import { builtinPolicies } from '@ballast/domain';
import { checkPolicyDocument, issueFields, normalizeDocument, parsePolicyText } from './policy-doc.js';

const issuesOf = (raw: unknown): string[] => {
  try {
    checkPolicyDocument(builtinPolicies(), raw);
  } catch (e) {
    if (e instanceof PolicyDocumentError) return e.issues;
    throw e;
  }
  return [];
};

test('the normal form: automation written out, keys sorted at every depth; equal documents, equal JSON', () => {
  const a = normalizeDocument({ policies: { 'memory-balloon': { args: { labels: { db1: { z: '1', a: '2' } }, defaults: { minUnusedMiB: 128 } } } as never, 'cpu-entitlement': { automation: 'off' } } });
  assert.equal(JSON.stringify(a), '{"policies":{"cpu-entitlement":{"automation":"off"},"memory-balloon":{"args":{"defaults":{"minUnusedMiB":128},"labels":{"db1":{"a":"2","z":"1"}}},"automation":"auto"}}}');
  const yaml = parsePolicyText('policies:\n  memory-balloon:\n    args: {labels: {db1: {z: "1", a: "2"}}, defaults: {minUnusedMiB: 128}}\n    automation: auto\n  cpu-entitlement: {automation: "off"}\n', 'yaml');
  assert.equal(JSON.stringify(checkPolicyDocument(builtinPolicies(), yaml).document), JSON.stringify(a));
});

test('every structural problem at once, with the policies’ own', () => {
  assert.deepEqual(issuesOf([]), ['body: must be an object {"policies": {…}}']);
  assert.deepEqual(issuesOf({}), ['policies: required (an object of policy name → settings; {} for none)']);
  assert.deepEqual(issuesOf({ policies: { ksm: 'auto', Bad_Name: {}, 'vcpu-balance': { automation: 'sometimes', extra: 1 } }, version: 3 }), [
    'version: unknown field (a document holds "policies")',
    'policies.ksm: must be an object {automation, args, selector}',
    'policies.Bad_Name: not a policy name (lower-case letters, digits and -)',
    'policies.vcpu-balance.extra: unknown field (known: automation, args, selector)',
    'policies.vcpu-balance.automation: must be one of auto, recommend, off',
    'policies.Bad_Name: no such policy (known: cluster-balance, cpu-entitlement, ksm, memory-balloon, numa-placement, vcpu-balance)',
  ]);
  assert.deepEqual(issuesOf({ policies: { ksm: null } }), [], 'null is an entry with every default');
});

test('parse errors and issue lines as {field, message}', () => {
  assert.throws(() => parsePolicyText('{"policies": ', 'json'), (e: unknown) => e instanceof PolicyDocumentError && /^body: not valid JSON/.test(e.issues[0] ?? ''));
  assert.throws(() => parsePolicyText('a: [', 'yaml', 'document'), (e: unknown) => e instanceof PolicyDocumentError && /^document: not valid YAML/.test(e.issues[0] ?? ''));
  assert.deepEqual(issueFields(['policies.ksm.automation: must be one of auto: x', 'odd']), [
    { field: 'policies.ksm.automation', message: 'must be one of auto: x' },
    { field: 'body', message: 'odd' },
  ]);
});
