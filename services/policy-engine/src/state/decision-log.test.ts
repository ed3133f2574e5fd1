import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@ballast/runtime';
import { engineConfigSchema } from '../engine-config.js';
import { DecisionLog, DECISIONS_KEPT } from './decision-log.js';

const d = (vmUuid: string, atMs: number, kind = 'grow') => ({ vmUuid, atMs, kind, reason: `r${atMs}`, policy: 'p' });

test('keeps the newest N per VM, lists newest first, filters by VM', () => {
  const log = new DecisionLog(3);
  log.add([d('a', 1), d('a', 2), d('b', 3), d('a', 4), d('a', 5)]);
  assert.deepEqual(log.list({ vmUuid: 'a' }).map((x) => x.atMs), [5, 4, 2]);
  assert.deepEqual(log.list().map((x) => x.atMs), [5, 4, 3, 2]);
  assert.deepEqual(log.list({ limit: 2 }).map((x) => x.atMs), [5, 4]);
});

test('retain drops VMs no longer reported, keeps host decisions', () => {
  const log = new DecisionLog();
  log.add([d('a', 1), d('b', 2), { hostId: 'h1', atMs: 3, kind: 'starved', reason: 'x', policy: 'p' }]);
  log.retain(new Set(['b']));
  assert.deepEqual(log.list().map((x) => x.atMs), [3, 2]);
});

test('latest: what stands now, one per VM and policy; kind filters (GET /v1/decisions?kind=unmanaged&latest=true)', () => {
  const log = new DecisionLog();
  log.add([d('a', 1, 'unmanaged'), d('a', 2, 'grow'), d('b', 3, 'unmanaged'), d('c', 4, 'grow'), d('c', 5, 'unmanaged'), { ...d('c', 6, 'hold'), policy: 'q' }]);
  assert.deepEqual(log.list({ latest: true }).map((x) => `${x.vmUuid}${x.atMs}`), ['c6', 'c5', 'b3', 'a2']);
  assert.deepEqual(log.list({ latest: true, kind: 'unmanaged' }).map((x) => x.vmUuid), ['c', 'b']);
  // without latest, every unmanaged decision, a's old one included
  assert.deepEqual(log.list({ kind: 'unmanaged' }).map((x) => x.atMs), [5, 3, 1]);
});

test('latest keeps the whole newest cycle of a VM and policy (its decision and the jobs it could not send)', () => {
  const log = new DecisionLog();
  log.add([d('a', 1, 'grow'), d('a', 2, 'grow'), d('a', 2, 'skipped')]);
  assert.deepEqual(log.list({ latest: true }).map((x) => `${x.kind}${x.atMs}`).sort(), ['grow2', 'skipped2']);
});

test('job outcomes are recorded against the decision that made the job', () => {
  const log = new DecisionLog(2);
  log.add([{ ...d('a', 1), jobs: [{ key: 'a/memory', type: 'set-memory', description: 'set memory to 400 MiB', id: 'j1', state: 'queued' }] }]);
  log.applyOutcomes(new Map([['j1', { state: 'failed' as const, error: 'VM gone', attempts: 1 }], ['other', { state: 'succeeded' as const, attempts: 1 }]]));
  assert.deepEqual(log.list()[0]?.jobs?.[0], { key: 'a/memory', type: 'set-memory', description: 'set memory to 400 MiB', id: 'j1', state: 'failed', error: 'VM gone' });
  // once the decision rolls off, its job is forgotten too
  log.add([d('a', 2), d('a', 3)]);
  log.applyOutcomes(new Map([['j1', { state: 'succeeded' as const, attempts: 2 }]]));
  assert.equal(log.list().length, 2);
});

test('each policy keeps its own last decisions of a VM: a rare one (a migration) is not pushed out by a policy deciding every cycle', () => {
  const log = new DecisionLog(3);
  log.add([{ ...d('a', 1, 'move'), policy: 'cluster-balance' }]);
  for (let t = 2; t < 20; t++) log.add([d('a', t, 'hold')]);
  assert.deepEqual(log.list({ vmUuid: 'a', kind: 'move' }).map((x) => x.atMs), [1]);
  assert.equal(log.list({ vmUuid: 'a' }).length, 4);
});

test('decisions kept: 20 per VM and policy by default (BALLAST_DECISIONS_KEPT), the newest; bad values refused naming the variable', () => {
  const log = new DecisionLog();
  log.add(Array.from({ length: 25 }, (_, i) => ({ vmUuid: 'vm', hostId: 'h', policy: 'p', kind: 'hold', reason: `r${i}`, atMs: i })));
  const kept = log.list({ vmUuid: 'vm' });
  assert.equal(kept.length, DECISIONS_KEPT);
  assert.equal(kept.at(-1)?.reason, 'r5');
  const load = (env: Record<string, string>) => loadConfig(engineConfigSchema, { env, file: null });
  assert.equal(load({}).decisionsKept, 20);
  assert.equal(load({ BALLAST_DECISIONS_KEPT: '100' }).decisionsKept, 100);
  assert.throws(() => load({ BALLAST_DECISIONS_KEPT: '0' }), /BALLAST_DECISIONS_KEPT/);
});
