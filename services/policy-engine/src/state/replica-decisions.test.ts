import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoggedDecision } from './decision-log.js';
import { merge } from './replica-decisions.js';

const d = (vm: string, atMs: number, engine: string, kind = 'steady'): LoggedDecision => ({ vmUuid: vm, hostId: 'h', policy: 'p', kind, reason: '', atMs, engine });

test("decisions of several replicas merge newest first, to the limit; latest keeps each VM's newest cycle across replicas", () => {
  // vm1 moved from replica a (its decisions up to t=20) to b (from t=30)
  const a = [d('vm1', 20, 'a'), d('vm1', 10, 'a'), d('vm2', 15, 'a')];
  const b = [d('vm1', 40, 'b', 'grow'), d('vm1', 40, 'b', 'skipped'), d('vm1', 30, 'b')];
  assert.deepEqual(merge([a, b], { limit: 4 }).map((x) => [x.engine, x.atMs]), [['b', 40], ['b', 40], ['b', 30], ['a', 20]]);
  assert.deepEqual(merge([a, b], { latest: true }).map((x) => [x.vmUuid, x.engine, x.kind]), [['vm1', 'b', 'grow'], ['vm1', 'b', 'skipped'], ['vm2', 'a', 'steady']]);
  assert.deepEqual(merge([[], []], {}), []);
  // b took vm2's host over and restored a's decisions of it: each once
  assert.deepEqual(merge([a, [...b, d('vm2', 15, 'a')]], {}).filter((x) => x.vmUuid === 'vm2').length, 1);
});
