// The job-type registry (packages/domain/src/jobs/registry.ts) is the only list of job types: no other source
// file names two or more job types in one line (a hand-kept list such as `const TYPES = ['set-memory', …]`).
// Edge code that needs one thing per type is a map typed over JobTypeName, one entry per line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { jobTypeNames } from '@ballast/domain';

const REPO = new URL('../../../', import.meta.url).pathname;
const ROOTS = ['packages', 'services', 'bench/src', 'test/e2e/src'];
const SKIP = new Set(['node_modules', 'dist', 'gen', 'build']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (SKIP.has(name)) return [];
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

test('no source file outside the registry lists job types', () => {
  const names = jobTypeNames();
  const offenders: string[] = [];
  for (const file of ROOTS.flatMap((r) => sources(join(REPO, r)))) {
    const rel = relative(REPO, file);
    if (rel.startsWith('packages/domain/src/jobs/')) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const found = names.filter((n) => line.includes(`'${n}'`) || line.includes(`"${n}"`));
        if (found.length >= 2) offenders.push(`${rel}:${i + 1}: ${found.join(', ')}`);
      });
  }
  assert.deepEqual(offenders, []);
});

test('the check bites: a line listing two types is found', () => {
  const line = `const TYPES = ['${jobTypeNames()[0]}', '${jobTypeNames()[1]}'];`;
  assert.equal(jobTypeNames().filter((n) => line.includes(`'${n}'`)).length, 2);
});
