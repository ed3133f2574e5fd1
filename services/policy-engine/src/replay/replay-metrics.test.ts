import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JOB_SCHEMA_VERSION, type JobSpec } from '@ballast/domain';
import { ReplayTally } from './replay-metrics.js';

const setMemory = (vm: string, memoryMiB: number): JobSpec => ({
  schemaVersion: JOB_SCHEMA_VERSION, id: `${vm}-${memoryMiB}`, hostId: 'h1', vmUuid: vm, source: 'policy', policy: 'memory-balloon', createdAtMs: 0, action: { type: 'set-memory', memoryMiB },
});

test('a balloon stepped over cycles counts once: its last target against its balloon at the first job', () => {
  const t = new ReplayTally();
  // open loop: the recorded balloon stays at 1000 while the policy steps it down 1000 → 900 → 800
  t.job(setMemory('a', 900), 1000);
  t.job(setMemory('a', 800), 1000);
  t.job(setMemory('b', 600), 500);
  t.job(setMemory('b', 700), 500);
  t.job(setMemory('c', 100), undefined);
  const m = t.result();
  assert.deepEqual(m.memory, { setMemoryJobs: 5, growMiB: 200, shrinkMiB: 200, netMiB: 0 });
  assert.deepEqual([m.jobs.total, m.jobs.targets, m.jobs.byType['set-memory'], m.jobs.byPolicy['memory-balloon']], [5, 3, 5, 5]);
});

test('cluster imbalance: first, last, max and the last prediction from cluster decisions; null when none', () => {
  const t = new ReplayTally();
  assert.equal(t.result().cluster, null);
  const d = (imbalance: number, predictedImbalance: number) => ({ policy: 'cluster-balance', kind: 'cluster', reason: '', atMs: 0, inputs: { imbalance, predictedImbalance } });
  t.cycle(1000, [d(0.3, 0.1)]);
  t.cycle(3000, [d(0.5, 0.2), { policy: 'memory-balloon', kind: 'hold', reason: '', atMs: 0 }]);
  t.cycle(5000, [d(0.2, 0.2)]);
  const m = t.result();
  assert.deepEqual(m.cluster, { imbalanceFirst: 0.3, imbalanceLast: 0.2, imbalanceMax: 0.5, predictedImbalanceLast: 0.2 });
  assert.deepEqual([m.cycles, m.decisions.total, m.decisions.byKind, m.firstCycleAt, m.lastCycleAt], [3, 4, { cluster: 3, hold: 1 }, new Date(1000).toISOString(), new Date(5000).toISOString()]);
});
