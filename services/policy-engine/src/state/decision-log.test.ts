import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecisionLog } from './decision-log.js';

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
