import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterState } from './cluster-state.js';
import { hostReport, vmReport } from '@ballast/testkit';

test('a migrated VM whose source reports without it before its destination reports it is still seen to move (cool-downs count it)', () => {
  const now = { t: 1_000_000 };
  const state = new ClusterState({ windowSize: 3, staleAfterIntervals: 3, now: () => now.t });
  const seen: string[] = [];
  state.onMigration = (m) => seen.push(`${m.vmName}:${m.fromHost}>${m.toHost}`);
  state.ingest(hostReport('h1', [vmReport('a'), vmReport('b')], { intervalMs: 2000 }));
  state.ingest(hostReport('h2', [], { intervalMs: 2000 }));
  now.t += 2000;
  state.ingest(hostReport('h1', [vmReport('b')], { intervalMs: 2000 }));
  assert.deepEqual(state.vms().map((v) => v.name), ['b'], 'gone from h1, not yet seen on h2');
  state.ingest(hostReport('h2', [vmReport('a')], { intervalMs: 2000 }));
  assert.deepEqual(seen, ['a:h1>h2']);
  assert.deepEqual(state.vms().map((v) => [v.name, v.hostId]), [['a', 'h2'], ['b', 'h1']]);
  // a VM stopped long ago and started on another host did not migrate
  state.ingest(hostReport('h1', [], { intervalMs: 2000 }));
  now.t += 60_000;
  state.ingest(hostReport('h2', [vmReport('a'), vmReport('b')], { intervalMs: 2000 }));
  assert.deepEqual(seen, ['a:h1>h2']);
});
