import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyRegistry, type ClusterSnapshot, type JobSpec, type Plan, type Policy } from '@ballast/domain';
import { PolicyCycle, type PolicyConfigEntry } from './policy-cycle.js';
import { ClusterState } from './state/cluster-state.js';
import { HoldStore } from './state/hold-store.js';
import { hostReport, vmReport } from './test-reports.js';

/** A tiny policy: set every VM's memory to `memoryMiB`. */
const fixedMemory: Policy<{ memoryMiB: number }> = {
  name: 'fixed-memory',
  defaults: { memoryMiB: 512 },
  validate(raw) {
    const m = (raw as { memoryMiB?: unknown } | undefined)?.memoryMiB ?? 512;
    if (typeof m !== 'number' || m <= 0) return { ok: false, issues: [{ field: 'memoryMiB', message: 'must be > 0' }] };
    return { ok: true, args: { memoryMiB: m } };
  },
  plan(s: ClusterSnapshot, a): Plan {
    return {
      jobs: s.vms.map((v) => ({ hostId: v.hostId, vmUuid: v.uuid, vmName: v.name, action: { type: 'set-memory', memoryMiB: a.memoryMiB }, reason: 'fixed' })),
      decisions: s.vms.map((v) => ({ vmUuid: v.uuid, kind: 'set', reason: 'fixed' })),
    };
  },
};

function setup(automation: PolicyConfigEntry['automation'] = 'auto', args: unknown = { memoryMiB: 600 }) {
  const now = { t: 1_000_000 };
  const holds = new HoldStore();
  const state = new ClusterState({ windowSize: 5, staleAfterIntervals: 3, now: () => now.t }, holds);
  const enqueued: JobSpec[] = [];
  const registry = new PolicyRegistry().register(fixedMemory);
  const cycle = new PolicyCycle(registry, [{ name: 'fixed-memory', args, automation }], state, holds, async (j) => {
    enqueued.push(...j);
  });
  return { now, holds, state, enqueued, cycle };
}

test('auto: a planned job is enqueued once; the same target is not enqueued again', async () => {
  const { state, enqueued, cycle } = setup();
  state.ingest(hostReport('h1', [vmReport('a')]));
  await cycle.run();
  await cycle.run();
  assert.equal(enqueued.length, 1);
  assert.equal(enqueued[0]?.source, 'policy');
  assert.equal(enqueued[0]?.policy, 'fixed-memory');
  assert.deepEqual(enqueued[0]?.action, { type: 'set-memory', memoryMiB: 600 });
});

test('an identical target can be sent again once the in-flight window has passed (e.g. after a failed job)', async () => {
  const { state, now, enqueued, cycle } = setup();
  state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: now.t }));
  await cycle.run();
  now.t += 7000;
  state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: now.t }));
  await cycle.run();
  assert.equal(enqueued.length, 2);
});

test('a set-memory target in flight is shown to the next plan as memoryTargetMiB until the balloon gets there', async () => {
  const seen: (number | undefined)[] = [];
  const spy: Policy<{ memoryMiB: number }> = { ...fixedMemory, plan: (s, a) => { seen.push(s.vms[0]?.memoryTargetMiB); return fixedMemory.plan(s, a); } };
  const now = { t: 1_000_000 };
  const holds = new HoldStore();
  const state = new ClusterState({ windowSize: 5, staleAfterIntervals: 3, now: () => now.t }, holds);
  const cycle = new PolicyCycle(new PolicyRegistry().register(spy), [{ name: 'fixed-memory', args: { memoryMiB: 600 }, automation: 'auto' }], state, holds, async () => {});
  state.ingest(hostReport('h1', [vmReport('a')]));
  await cycle.run();
  await cycle.run();
  const arrived = vmReport('a');
  arrived.balloon = { ...arrived.balloon!, actualKiB: 600 * 1024 };
  state.ingest(hostReport('h1', [arrived]));
  await cycle.run();
  assert.deepEqual(seen, [undefined, 600, undefined]);
});

test('recommend: decisions recorded, no jobs', async () => {
  const { state, enqueued, cycle } = setup('recommend');
  state.ingest(hostReport('h1', [vmReport('a')]));
  const r = await cycle.run();
  assert.equal(enqueued.length, 0);
  assert.equal(r.decisions.length, 1);
  assert.equal(r.skipped[0]?.why, 'automation is recommend');
});

test('a manual hold keeps the policy off that resource until it ends', async () => {
  const { state, holds, now, enqueued, cycle } = setup();
  state.ingest(hostReport('h1', [vmReport('a')]));
  await holds.add('uuid-a', { resource: 'memory', untilMs: now.t + 60_000 });
  const r = await cycle.run();
  assert.equal(enqueued.length, 0);
  assert.match(r.skipped[0]?.why ?? '', /held by a manual job/);
  now.t += 60_000;
  state.ingest(hostReport('h1', [vmReport('a')]));
  await cycle.run();
  assert.equal(enqueued.length, 1);
});

test('no jobs for a stale host', async () => {
  const { state, now, enqueued, cycle } = setup();
  state.ingest(hostReport('h1', [vmReport('a')]));
  now.t += 10_000;
  const r = await cycle.run();
  assert.equal(enqueued.length, 0);
  assert.match(r.skipped[0]?.why ?? '', /stale/);
});

test('bad policy args fail at start, naming the field', () => {
  assert.throws(() => setup('auto', { memoryMiB: -1 }), /policies\.fixed-memory\.memoryMiB: must be > 0/);
});

test('an unknown policy name fails at start', () => {
  const holds = new HoldStore();
  const state = new ClusterState({ windowSize: 5, staleAfterIntervals: 3, now: () => 0 }, holds);
  assert.throws(
    () => new PolicyCycle(new PolicyRegistry(), [{ name: 'nope', args: {}, automation: 'auto' }], state, holds, async () => {}),
    /policies\.nope: no such policy/,
  );
});
