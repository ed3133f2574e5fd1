// The README's POST /v1/jobs row names every job type of the registry with its request fields, and no other:
// a job type added, renamed or given a new field without the README fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { JOB_TYPES } from '@ballast/domain';

const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

function jobsRow(): string {
  const row = README.split('\n').find((l) => l.startsWith('| `POST /v1/jobs` |'));
  assert.ok(row, 'README.md has no `POST /v1/jobs` row');
  return row;
}

test('the README documents exactly the job types of the registry', () => {
  const named = [...jobsRow().matchAll(/type:"([a-z-]+)"/g)].map((m) => m[1]);
  assert.deepEqual([...named].sort(), JOB_TYPES.map((d) => d.type).sort());
});

test('each documented body names the target and every request field of its type', () => {
  const row = jobsRow();
  for (const d of JOB_TYPES) {
    const body = new RegExp(`\\{type:"${d.type}", ([^}]*)\\}`).exec(row)?.[1] ?? '';
    const fields = body.split(',').map((f) => f.trim().replace(/[?:].*$/, ''));
    assert.deepEqual(fields.sort(), [d.scope === 'vm' ? 'vm' : 'host', ...Object.keys(d.request.shape)].sort(), d.type);
  }
});
