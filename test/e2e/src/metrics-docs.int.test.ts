// docs/metrics.md, the code and the Grafana dashboard name the same metrics: every documented metric is
// registered somewhere in the services' code, and every metric the dashboard queries is documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (p: string) => readFileSync(path.join(REPO, p), 'utf8');

/** The metric names in the first column of docs/metrics.md's tables. */
function documented(): Set<string> {
  const names = new Set<string>();
  for (const line of read('docs/metrics.md').split('\n')) {
    const m = /^\| `((?:ballast|libvirt)_[a-z0-9_]+)` \|/.exec(line);
    if (m) names.add(m[1] as string);
  }
  return names;
}

/** The .ts sources (not tests) of the services and packages/runtime. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(REPO, dir))) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'gen') continue;
    const rel = path.join(dir, entry);
    if (statSync(path.join(REPO, rel)).isDirectory()) out.push(...sources(rel));
    else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

test('every metric docs/metrics.md documents is registered in the code (by its name)', () => {
  const names = documented();
  assert.ok(names.size > 40, `only ${names.size} metrics found in docs/metrics.md`);
  const code = ['services', 'packages/runtime/src'].flatMap(sources).map(read).join('\n');
  const missing = [...names].filter((n) => !code.includes(`'${n}'`));
  assert.deepEqual(missing, [], 'documented but registered nowhere');
});

test('every metric infra/grafana/ballast.json queries is documented; panels have ids of their own and a data source', () => {
  const dash = JSON.parse(read('infra/grafana/ballast.json')) as { uid: string; panels: { id: number; type: string; datasource?: unknown; targets?: { expr: string }[] }[] };
  assert.equal(dash.uid, 'ballast');
  const ids = dash.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids repeat');
  const names = documented();
  const queried = new Set<string>();
  for (const p of dash.panels.filter((x) => x.type !== 'row')) {
    assert.ok(p.datasource, `panel ${p.id} has no data source`);
    for (const t of p.targets ?? []) {
      for (const m of t.expr.matchAll(/\b((?:ballast|libvirt)_[a-z0-9_]+)/g)) queried.add((m[1] as string).replace(/_(bucket|sum|count)$/, ''));
    }
  }
  assert.ok(queried.size > 20, `the dashboard queries only ${queried.size} metrics`);
  assert.deepEqual([...queried].filter((n) => !names.has(n)), [], 'queried but not documented');
});
