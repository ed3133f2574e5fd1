// Fuzz of the policy schemas (fast-check, seed FUZZ_SEED): every builtin policy's validate through
// validatePolicies, fed arbitrary args and near-valid mutations of the lab's policy document
// (infra/lab/policy.json) and of the policy's defaults, and whole documents read by loadPolicyDocument.
// Nothing throws but PolicyDocumentError / ConfigError, and every issue names a field of the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { builtinPolicies } from '@ballast/domain';
import { PolicyDocumentError, validatePolicies, type PolicyConfigEntry } from '@ballast/cycle';
import { ConfigError } from '@ballast/runtime';
import { FUZZ_SEED, fieldProblem, mutationsOf, type Json } from '@ballast/testkit';
import { loadPolicyDocument } from '../policy-document.js';

const RUNS = { perPolicy: 300, arbitrary: 500, documents: 200 };
const registry = builtinPolicies();
const labDoc = JSON.parse(readFileSync(new URL('../../../../infra/lab/policy.json', import.meta.url), 'utf8')) as { policies: Record<string, { args?: Json }> };

/**
 * An issue line `policies.<name>[.<field>]: <message>`; with `paths`, its field must be in the entry's
 * args (or be the one missing). Without a field, the whole args (or the name) is at fault.
 */
function checkIssue(line: string, entries: PolicyConfigEntry[], paths: boolean): void {
  const byLength = [...entries].sort((a, b) => b.name.length - a.name.length);
  const entry = byLength.find((e) => line.startsWith(`policies.${e.name}.`) || line.startsWith(`policies.${e.name}: `));
  assert.ok(entry, `issue "${line}" names a policy of the document`);
  const rest = line.slice(`policies.${entry.name}`.length);
  if (rest.startsWith(': ')) {
    assert.match(rest, /^: (args must be an object|no such policy|Invalid input: expected object)/, line);
    return;
  }
  const sep = rest.indexOf(': ');
  assert.ok(sep > 1 && rest.length > sep + 2, `issue "${line}" has the form policies.<name>.<field>: <message>`);
  if (paths) assert.equal(fieldProblem(entry.args, rest.slice(1, sep)), undefined, `${line} — args ${JSON.stringify(entry.args)?.slice(0, 300)}`);
}

/** Validates the entries: accepted, or refused whole with issues that each name their field. */
function checkEntries(entries: PolicyConfigEntry[], paths = true): void {
  const before = JSON.parse(JSON.stringify(entries)) as PolicyConfigEntry[];
  try {
    validatePolicies(registry, entries);
  } catch (e) {
    assert.ok(e instanceof PolicyDocumentError, `validatePolicies threw ${String(e)}`);
    assert.ok(e.issues.length > 0);
    for (const line of e.issues) checkIssue(line, before, paths);
    assert.equal(JSON.stringify(entries), JSON.stringify(before), 'an invalid document is refused whole: nothing filled in');
  }
}

const argsOf = (name: string): Json[] => {
  const lab = labDoc.policies[name]?.args;
  return [...(lab !== undefined ? [lab] : []), structuredClone(registry.get(name)?.defaults) as Json];
};

test('the documents the fuzz starts from are valid', () => {
  for (const name of registry.names()) for (const args of argsOf(name)) validatePolicies(registry, [{ name, automation: 'auto', args }]);
});

for (const name of registry.names()) {
  test(`policy ${name}: mutations of the lab's args and of its defaults (${RUNS.perPolicy} runs, seed ${FUZZ_SEED})`, () => {
    const arb = fc.oneof(...argsOf(name).map((a) => mutationsOf(a)));
    fc.assert(fc.property(arb, (args) => checkEntries([{ name, automation: 'auto', args }])), { seed: FUZZ_SEED, numRuns: RUNS.perPolicy });
  });
}

test(`policies: arbitrary args and names (${RUNS.arbitrary} runs, seed ${FUZZ_SEED})`, () => {
  const entry = fc.record({
    name: fc.oneof(fc.constantFrom(...registry.names(), '__proto__', 'constructor', ''), fc.string({ maxLength: 20 })),
    automation: fc.constant('auto' as const),
    args: fc.jsonValue(),
  });
  // Keys of arbitrary JSON may hold dots: only the form of each issue is checked here, paths below.
  fc.assert(fc.property(fc.array(entry, { maxLength: 4 }), (e) => checkEntries(e, false)), { seed: FUZZ_SEED, numRuns: RUNS.arbitrary });
});

test(`policy documents from a file: mutations of the lab's, read and validated (${RUNS.documents} runs, seed ${FUZZ_SEED})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-policy-fuzz-'));
  const file = join(dir, 'policy.json');
  try {
    const doc = fc.oneof(mutationsOf(labDoc as unknown as Json), fc.jsonValue() as fc.Arbitrary<Json>);
    fc.assert(
      fc.property(doc, (d) => {
        writeFileSync(file, JSON.stringify(d));
        let entries: PolicyConfigEntry[];
        try {
          entries = loadPolicyDocument(file);
        } catch (e) {
          assert.ok(e instanceof ConfigError, `loadPolicyDocument threw ${String(e)}`);
          return;
        }
        checkEntries(entries, false);
      }),
      { seed: FUZZ_SEED, numRuns: RUNS.documents },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
