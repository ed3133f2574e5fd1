import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterState } from './cluster-state.js';
import { HoldBook } from './hold-book.js';
import { hostReport, vmReport } from '@ballast/testkit';

function setup(now = { t: 1_000_000 }) {
  const holds = new HoldBook();
  const state = new ClusterState({ windowSize: 3, staleAfterIntervals: 3, now: () => now.t }, holds);
  return { state, holds, now };
}

test('ingest: VMs appear with their host, sorted by name', () => {
  const { state } = setup();
  state.ingest(hostReport('h1', [vmReport('b'), vmReport('a')]));
  state.ingest(hostReport('h2', [vmReport('c')]));
  assert.deepEqual(state.vms().map((v) => [v.name, v.hostId]), [['a', 'h1'], ['b', 'h1'], ['c', 'h2']]);
  assert.deepEqual(state.vms('h2').map((v) => v.name), ['c']);
});

test('window keeps the last N samples, oldest first', () => {
  const { state } = setup();
  for (let i = 0; i < 5; i++) state.ingest(hostReport('h1', [vmReport('a', { cpuPercent: i })], { takenAtMs: i }));
  const [vm] = state.vms();
  assert.deepEqual(vm?.window.map((w) => w.cpuPercent), [2, 3, 4]);
});

test('a VM that moved to another host is reported once, on the newer host', () => {
  const { state } = setup();
  state.ingest(hostReport('h1', [vmReport('a')]));
  state.ingest(hostReport('h2', [vmReport('a')]));
  state.ingest(hostReport('h1', []));
  assert.deepEqual(state.vms().map((v) => v.hostId), ['h2']);
  const found = state.lookup('a');
  assert.equal(found.kind, 'found');
});

test('a VM that moved to another host starts a new window (a just-migrated VM warms up again)', () => {
  const { state } = setup();
  for (let i = 0; i < 3; i++) state.ingest(hostReport('h1', [vmReport('a', { cpuPercent: i })], { takenAtMs: i }));
  assert.equal(state.vms()[0]?.window.length, 3);
  state.ingest(hostReport('h2', [vmReport('a', { cpuPercent: 9 })], { takenAtMs: 10 }));
  assert.deepEqual(state.vms()[0]?.window.map((w) => w.cpuPercent), [9]);
  state.ingest(hostReport('h2', [vmReport('a', { cpuPercent: 8 })], { takenAtMs: 11 }));
  assert.deepEqual(state.vms()[0]?.window.map((w) => w.cpuPercent), [9, 8]);
});

test('a VM that stopped leaves the state', () => {
  const { state } = setup();
  state.ingest(hostReport('h1', [vmReport('a'), vmReport('b')]));
  state.ingest(hostReport('h1', [vmReport('b')]));
  assert.equal(state.lookup('a').kind, 'missing');
});

test('two different VMs of one name on two hosts are ambiguous by name, found by uuid', () => {
  const { state } = setup();
  state.ingest(hostReport('h1', [vmReport('web', { uuid: 'u1' })]));
  state.ingest(hostReport('h2', [vmReport('web', { uuid: 'u2' })]));
  const l = state.lookup('web');
  assert.equal(l.kind, 'ambiguous');
  assert.deepEqual(l.kind === 'ambiguous' ? l.hosts.sort() : [], ['h1', 'h2']);
  assert.equal(state.lookup('u2').kind, 'found');
});

test('a host is stale after 3 intervals without a sample', () => {
  const { state, now } = setup();
  state.ingest(hostReport('h1', []));
  now.t += 5999;
  assert.equal(state.hosts()[0]?.stale, false);
  now.t += 2;
  assert.equal(state.hosts()[0]?.stale, true);
});

test('holds show on the VM until they expire', async () => {
  const { state, holds, now } = setup();
  state.ingest(hostReport('h1', [vmReport('a')]));
  holds.set('uuid-a', { resource: 'memory', untilMs: now.t + 1000 });
  assert.deepEqual(state.vms()[0]?.holds, [{ resource: 'memory', untilMs: now.t + 1000 }]);
  assert.equal(holds.isHeld('uuid-a', 'memory', now.t), true);
  now.t += 1000;
  assert.deepEqual(state.vms()[0]?.holds, []);
  assert.equal(holds.isHeld('uuid-a', 'memory', now.t), false);
});

test('while a VM migrates both hosts report it: it stays where it runs, window and all, until the copy on the destination runs', () => {
  const { state } = setup();
  const running = (i: number) => vmReport('a', { cpuPercent: i, state: 'running' });
  const incoming = vmReport('a', { state: 'paused' });
  state.ingest(hostReport('h1', [running(1)], { takenAtMs: 1 }));
  state.ingest(hostReport('h2', [incoming], { takenAtMs: 2 }));
  state.ingest(hostReport('h1', [running(3)], { takenAtMs: 3 }));
  state.ingest(hostReport('h2', [incoming], { takenAtMs: 4 }));
  assert.deepEqual(state.vms().map((v) => [v.hostId, v.state]), [['h1', 'running']]);
  assert.deepEqual(state.vms()[0]?.window.map((w) => w.cpuPercent), [1, 3], 'its window goes on');
  // aborted: the destination's copy goes, the VM is still on h1
  state.ingest(hostReport('h2', [], { takenAtMs: 5 }));
  assert.deepEqual(state.vms().map((v) => v.hostId), ['h1']);
  // another try that completes: the copy on h2 runs while h1's is paused (switch-over), then h1's goes
  state.ingest(hostReport('h1', [vmReport('a', { state: 'paused' })], { takenAtMs: 6 }));
  state.ingest(hostReport('h2', [running(7)], { takenAtMs: 7 }));
  assert.deepEqual(state.vms().map((v) => v.hostId), ['h2']);
  state.ingest(hostReport('h1', [], { takenAtMs: 8 }));
  assert.deepEqual(state.vms().map((v) => v.hostId), ['h2']);
});

test('moves between hosts are remembered for 24 h (the cluster policy counts them for cool-downs) and reported once each', () => {
  const now = { t: 1_000_000 };
  const state = new ClusterState({ windowSize: 3, staleAfterIntervals: 3, now: () => now.t });
  const seen: string[] = [];
  state.onMigration = (m) => seen.push(`${m.vmName}:${m.fromHost}>${m.toHost}@${m.atMs}`);
  state.ingest(hostReport('h1', [vmReport('a')]));
  now.t += 1000;
  state.ingest(hostReport('h2', [vmReport('a')]));
  state.ingest(hostReport('h2', [vmReport('a')]));
  now.t += 1000;
  state.ingest(hostReport('h1', [vmReport('a')]));
  assert.deepEqual(seen, ['a:h1>h2@1001000', 'a:h2>h1@1002000']);
  assert.deepEqual(state.snapshot().migrations?.map((m) => m.toHost), ['h2', 'h1']);
  now.t += 24 * 3_600_000 - 500;
  assert.deepEqual(state.migrations().map((m) => m.toHost), ['h1'], 'the first move is older than 24 h');
  state.rememberMigrations([{ vmUuid: 'uuid-b', vmName: 'b', fromHost: 'h1', toHost: 'h3', atMs: now.t - 5 }]);
  assert.deepEqual(state.migrations().map((m) => m.vmName), ['a', 'b']);
});

test('hosts carry their labels, migration URIs and maintenance flag', () => {
  const state = new ClusterState({ windowSize: 3, staleAfterIntervals: 3, now: () => 1 }, undefined, { maintenance: (h) => h === 'h2' });
  state.ingest(hostReport('h1', [], { labels: { rack: 'a' }, migrationUri: 'qemu+tcp://h1/system', takenAtMs: 1 }));
  state.ingest(hostReport('h2', [], { takenAtMs: 1 }));
  const [h1, h2] = state.hosts();
  assert.deepEqual([h1?.labels, h1?.migrationUri, h1?.maintenance], [{ rack: 'a' }, 'qemu+tcp://h1/system', undefined]);
  assert.equal(h2?.maintenance, true);
});
