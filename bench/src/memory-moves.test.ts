import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlannedJob, Policy } from '@ballast/domain';
import { capGrows, momBudgetRule } from './memory-mom-budget.js';
import { MOM_DEFAULTS } from './memory-mom-rule.js';
import { runMemoryScenario } from './memory-bench.js';
import { runMoves, unevenHosts } from './memory-moves-bench.js';
import { SCENARIOS } from './memory-scenarios.js';

test('2 hosts, one short of budget: the loop with memory-balloon and cluster-balance makes a pressure migration, and no guest is OOM-killed', async () => {
  const placement = unevenHosts(4, 2);
  assert.deepEqual(placement.map((h) => h.vms.length), [3, 1], 'the first host is loaded as on one host');
  const pressure: string[] = [];
  const r = await runMoves(4, 1, 2, ({ result }) => {
    for (const d of result.decisions) {
      if (d.policy === 'cluster-balance' && d.kind === 'move' && d.inputs?.move === 'pressure' && d.jobs?.some((j) => j.id !== undefined)) pressure.push(String(d.inputs.vm));
    }
  });
  assert.ok(pressure.length >= 1, 'a pressure move was sent');
  const done = r.migrations.filter((m) => m.ok === true);
  assert.ok(done.some((m) => m.from === 'h1' && m.to === 'h2'), `a VM went from the short host to the one with room: ${JSON.stringify(r.migrations)}`);
  for (const m of done) assert.ok((m.endedAtMs ?? 0) - m.startedAtMs >= 2000, 'a migration takes the simulator time (the VM runs on the source until then)');
  assert.equal(r.oomKills, 0);
  assert.equal(r.deaths, 0);
  assert.equal(r.maxOverBudgetMiB, 0);
});

test('MOM held to the budget never has Σ balloons above it (all past the budget, and one consumer)', async () => {
  for (const name of ['all-past-budget', 'one-consumer']) {
    const scenario = SCENARIOS.find((s) => s.name === name);
    assert.ok(scenario);
    const r = await runMemoryScenario(scenario, 4, 1, { policy: momBudgetRule as Policy<unknown>, args: { ...MOM_DEFAULTS, budgetMiB: 3072 } });
    assert.equal(r.maxOverBudgetMiB, 0, name);
    assert.ok(r.jobs > 0, name);
  }
});

test('capGrows scales grows down to the budget and keeps shrinks', () => {
  const job = (vm: string, memoryMiB: number): PlannedJob => ({ hostId: 'h1', vmUuid: vm, vmName: vm, action: { type: 'set-memory', memoryMiB }, reason: 'mom' });
  const held = new Map([['a', 1000], ['b', 1000], ['c', 1000]]);
  const out = capGrows([job('a', 1100), job('b', 1300), job('c', 900)], held, 3100);
  const size = (vm: string): number => {
    const a = out.find((j) => j.vmUuid === vm)?.action;
    return a?.type === 'set-memory' ? a.memoryMiB : (held.get(vm) ?? 0);
  };
  assert.equal(size('c'), 900, 'the shrink stands');
  assert.ok(size('a') + size('b') + size('c') <= 3100);
  assert.ok(size('a') > 1000 && size('b') > size('a'), 'grows scaled by the same factor');
  assert.deepEqual(capGrows([job('a', 1100)], held, 2900), [], 'no room: no grow');
  assert.equal(capGrows([job('a', 1050)], held, 5000).length, 1, 'within the budget: as MOM wants');
});
