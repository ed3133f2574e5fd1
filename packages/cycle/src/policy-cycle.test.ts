import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineSignal, publish, readSignal, type ClusterSnapshot, type InFlightRule, type Plan, type Policy } from '@ballast/domain';
import { hostReport, vmReport } from '@ballast/testkit';
import { failed, kit, succeeded } from './test-cycle-kit.js';
import { BACKOFF_BASE_MS } from './job-tracker.js';
import { everyHostPolicies } from './plan-scope.js';

type MemArgs = { memoryMiB: number };

/** Sets every VM's memory to `memoryMiB` (optionally with an in-flight rule). */
function memoryPolicy(name: string, order: number, inFlight?: InFlightRule): Policy<MemArgs> {
  return {
    name,
    order,
    defaults: { memoryMiB: 512 },
    validate(raw) {
      const m = (raw as Partial<MemArgs> | undefined)?.memoryMiB ?? 512;
      if (typeof m !== 'number' || m <= 0) return { ok: false, issues: [{ field: 'memoryMiB', message: 'must be > 0' }, { field: 'other', message: 'also bad' }] };
      return { ok: true, args: { memoryMiB: m } };
    },
    plan(s: ClusterSnapshot, a): Plan {
      return {
        jobs: s.vms.map((v) => ({ hostId: v.hostId, vmUuid: v.uuid, vmName: v.name, action: { type: 'set-memory', memoryMiB: a.memoryMiB }, reason: 'fixed' })),
        decisions: s.vms.map((v) => ({ vmUuid: v.uuid, hostId: v.hostId, kind: 'set', reason: `to ${a.memoryMiB}` })),
      };
    },
    ...(inFlight ? { inFlight } : {}),
  };
}

const fixed = memoryPolicy('fixed-memory', 10);
const auto = (name: string, args: unknown = { memoryMiB: 600 }) => ({ name, args, automation: 'auto' as const });

test('a planned job is enqueued once, linked to its decision; the same target is not sent again while in flight', async () => {
  const k = kit([fixed], [auto('fixed-memory')]);
  k.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: k.now.t }));
  const r1 = await k.cycle.run();
  assert.equal(k.enqueued.length, 1);
  assert.deepEqual([k.enqueued[0]?.source, k.enqueued[0]?.policy, k.enqueued[0]?.schemaVersion], ['policy', 'fixed-memory', 1]);
  assert.deepEqual(r1.decisions[0]?.jobs, [{ key: 'uuid-a/memory', type: 'set-memory', description: 'set memory to 600 MiB', id: 'job-1', state: 'queued' }]);
  const r2 = await k.cycle.run();
  assert.equal(k.enqueued.length, 1);
  const skipped = r2.decisions.find((d) => d.kind === 'skipped');
  assert.match(skipped?.reason ?? '', /set memory to 600 MiB: not sent — the same target is already in flight \(job job-1, queued\)/);
  assert.equal(r2.decisions[0]?.jobs?.[0]?.skipped, skipped?.reason.split(' — ')[1]);
});

test("a cycle's result says how long its steps took: a slow enqueue shows as the enqueue step", async () => {
  const k = kit([fixed], [auto('fixed-memory')], undefined, { enqueueDelayMs: 40 });
  k.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: k.now.t }));
  const t0 = performance.now();
  const r = await k.cycle.run();
  const total = performance.now() - t0;
  assert.deepEqual(Object.keys(r.phasesMs), ['outcomes', 'signals', 'plan', 'enqueue', 'journal']);
  assert.ok(r.phasesMs.enqueue >= 35, `enqueue ${r.phasesMs.enqueue} ms`);
  assert.ok(r.phasesMs.plan < r.phasesMs.enqueue && r.phasesMs.outcomes < r.phasesMs.enqueue);
  const sum = Object.values(r.phasesMs).reduce((a, b) => a + b, 0);
  assert.ok(sum <= total + 0.01 && sum >= total - 5, `steps ${sum} ms of ${total} ms`);
});

test('outcomes flow back: the changed outcome is reported once and policies see it in snapshot.jobs', async () => {
  const seen: unknown[] = [];
  const spy: Policy<MemArgs> = { ...fixed, plan: (s, a) => (seen.push(s.jobs.map((j) => [j.id, j.state, j.inFlight])), fixed.plan(s, a)) };
  const k = kit([spy], [auto('fixed-memory')]);
  k.state.ingest(hostReport('h1', [vmReport('a')]));
  await k.cycle.run();
  k.outcomes.set('job-1', succeeded);
  const r = await k.cycle.run();
  assert.deepEqual([...r.outcomes.keys()], ['job-1']);
  assert.equal((await k.cycle.run()).outcomes.size, 0, 'reported once');
  // without an in-flight rule a job is in flight only while queued/active
  assert.deepEqual(seen.slice(0, 2), [[], [['job-1', 'succeeded', false]]]);
});

test("a policy's in-flight rule keeps a done job in flight until the samples show it (or settleMs)", async () => {
  const rule: InFlightRule = {
    pendingMs: 30_000,
    settleMs: 6_000,
    settled: (job, s) => job.action.type === 'set-memory' && (s.vms.find((v) => v.uuid === job.vmUuid)?.balloon?.actualKiB ?? 0) === job.action.memoryMiB * 1024,
  };
  const seen: boolean[] = [];
  const base = memoryPolicy('mem', 10, rule);
  const spy: Policy<MemArgs> = { ...base, plan: (s, a) => (seen.push(s.jobs[0]?.inFlight ?? false), base.plan(s, a)) };
  const k = kit([spy], [auto('mem')]);
  k.state.ingest(hostReport('h1', [vmReport('a')]));
  await k.cycle.run(); // enqueues
  k.outcomes.set('job-1', succeeded);
  await k.cycle.run(); // done, balloon not there yet: in flight
  const there = vmReport('a');
  there.balloon = { ...(there.balloon as NonNullable<typeof there.balloon>), actualKiB: 600 * 1024 };
  k.state.ingest(hostReport('h1', [there]));
  await k.cycle.run(); // settled
  assert.deepEqual(seen, [false, true, false]);
});

test('a target that keeps failing is not re-sent every cycle: retried after one failure, then backed off', async () => {
  const k = kit([fixed], [auto('fixed-memory')]);
  const sample = () => k.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: k.now.t }));
  sample();
  await k.cycle.run(); // job-1
  k.outcomes.set('job-1', failed('host budget taken'));
  await k.cycle.run(); // sees the failure, retries at once: job-2
  assert.equal(k.enqueued.length, 2);
  k.outcomes.set('job-2', failed('host budget taken'));
  const r = await k.cycle.run(); // second failure: backs off
  assert.equal(k.enqueued.length, 2);
  assert.match(r.decisions.find((d) => d.kind === 'skipped')?.reason ?? '', /failed 2 times in a row \(last: host budget taken\); not re-sent before/);
  k.now.t += BACKOFF_BASE_MS;
  sample();
  await k.cycle.run();
  assert.equal(k.enqueued.length, 3, 'sent again once the back-off has passed');
});

test('recommend: decisions recorded, every job a skipped decision with the reason, nothing enqueued', async () => {
  const k = kit([fixed], [{ ...auto('fixed-memory'), automation: 'recommend' }]);
  k.state.ingest(hostReport('h1', [vmReport('a')]));
  const r = await k.cycle.run();
  assert.equal(k.enqueued.length, 0);
  assert.deepEqual(r.decisions.map((d) => d.kind), ['set', 'skipped']);
  assert.match(r.decisions[1]?.reason ?? '', /automation is recommend/);
});

test('a manual hold keeps policies off that resource until it ends; a stale host gets no jobs', async () => {
  const k = kit([fixed], [auto('fixed-memory')]);
  k.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: k.now.t }));
  k.holds.set('uuid-a', { resource: 'memory', untilMs: k.now.t + 60_000 });
  assert.match((await k.cycle.run()).decisions[1]?.reason ?? '', /memory is held by a manual job/);
  k.now.t += 60_000;
  assert.match((await k.cycle.run()).decisions[1]?.reason ?? '', /host h1 is stale/);
  k.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: k.now.t }));
  await k.cycle.run();
  assert.equal(k.enqueued.length, 1);
});

test('policies run by their order; a later one reads what an earlier one published this cycle', async () => {
  const hot = defineSignal<string[]>('test/hot-vms');
  const ran: string[] = [];
  const publisher: Policy<unknown> = { name: 'z-publisher', order: 1, defaults: {}, validate: () => ({ ok: true, args: {} }), plan: (s) => (ran.push('z'), { jobs: [], decisions: [], signals: [publish(hot, s.vms.map((v) => v.name))] }) };
  const reader: Policy<unknown> = {
    name: 'a-reader',
    order: 2,
    defaults: {},
    validate: () => ({ ok: true, args: {} }),
    plan: (s) => (ran.push('a'), { jobs: [], decisions: [{ kind: 'saw', reason: String(readSignal(s, hot)) }] }),
  };
  const k = kit([reader, publisher], [auto('a-reader', {}), auto('z-publisher', {})]);
  k.state.ingest(hostReport('h1', [vmReport('a'), vmReport('b')]));
  const r = await k.cycle.run();
  assert.deepEqual(ran, ['z', 'a']);
  assert.equal(r.decisions[0]?.reason, 'a,b');
  assert.deepEqual(k.cycle.runOrder, ['z-publisher', 'a-reader']);
});

test('two policies setting the same resource of a VM in one cycle: the earlier in order wins, the other is a conflict decision', async () => {
  const k = kit([fixed, memoryPolicy('other-memory', 20)], [auto('other-memory', { memoryMiB: 700 }), auto('fixed-memory')]);
  k.state.ingest(hostReport('h1', [vmReport('a')]));
  const r = await k.cycle.run();
  assert.deepEqual(k.enqueued.map((j) => [j.policy, j.action]), [['fixed-memory', { type: 'set-memory', memoryMiB: 600 }]]);
  const c = r.decisions.find((d) => d.kind === 'conflict');
  assert.equal(c?.policy, 'other-memory');
  assert.match(c?.reason ?? '', /set memory to 700 MiB: not sent — fixed-memory runs earlier and set uuid-a\/memory this cycle/);
});

test('pins of different vCPUs of one VM do not replace each other (the repeat key includes the vCPU)', async () => {
  const pinner: Policy<unknown> = {
    name: 'pinner',
    order: 1,
    defaults: {},
    validate: () => ({ ok: true, args: {} }),
    plan: (s) => ({
      decisions: [],
      jobs: s.vms.flatMap((v) => [0, 1].map((vcpu) => ({ hostId: v.hostId, vmUuid: v.uuid, vmName: v.name, action: { type: 'pin-vcpu' as const, vcpu, pcpus: [vcpu] }, reason: 'spread' }))),
    }),
  };
  const k = kit([pinner], [auto('pinner', {})]);
  k.state.ingest(hostReport('h1', [vmReport('a')]));
  const r = await k.cycle.run();
  assert.equal(k.enqueued.length, 2);
  assert.deepEqual(r.decisions.map((d) => [d.kind, d.jobs?.map((j) => j.key)]), [['job', ['uuid-a/vcpu-pinning/vcpu0', 'uuid-a/vcpu-pinning/vcpu1']]]);
  await k.cycle.run();
  assert.equal(k.enqueued.length, 2, 'both in flight: neither is sent again');
});

test('a policy document with problems names every one of them, and nothing starts', () => {
  assert.throws(
    () => kit([fixed], [auto('fixed-memory', { memoryMiB: -1 }), auto('nope', {})]),
    (e: Error) => e.message === 'policies.fixed-memory.memoryMiB: must be > 0\npolicies.fixed-memory.other: also bad\npolicies.nope: no such policy (known: fixed-memory)',
  );
});

test('a newer job for the same key supersedes an older one: only the newest can be in flight', async () => {
  const rule: InFlightRule = { pendingMs: 30_000, settleMs: 60_000, settled: () => false };
  const seen: string[][] = [];
  let target = 600;
  const base = memoryPolicy('mem', 10, rule);
  const spy: Policy<MemArgs> = { ...base, plan: (s) => (seen.push(s.jobs.filter((j) => j.inFlight).map((j) => j.id)), base.plan(s, { memoryMiB: target })) };
  const k = kit([spy], [auto('mem')]);
  k.state.ingest(hostReport('h1', [vmReport('a')]));
  await k.cycle.run(); // job-1 to 600
  k.outcomes.set('job-1', succeeded);
  target = 700;
  await k.cycle.run(); // job-1 done but not settled: in flight; job-2 to 700
  await k.cycle.run(); // job-2 queued: job-1 superseded
  assert.deepEqual(seen, [[], ['job-1'], ['job-2']]);
});

test("an engine replica plans its own hosts only, unless it runs a cluster-wide policy (which reads every host's signals)", async () => {
  const hot = defineSignal<string[]>('test/seen-vms');
  const publisher: Policy<unknown> = { name: 'z-publisher', order: 1, defaults: {}, validate: () => ({ ok: true, args: {} }), plan: (s) => ({ jobs: [], decisions: [], signals: [publish(hot, s.vms.map((v) => v.name))] }) };
  const wide: Policy<unknown> = { name: 'wide', order: 2, defaults: {}, validate: () => ({ ok: true, args: {} }), plan: (s) => ({ jobs: [], decisions: [{ kind: 'saw', reason: String(readSignal(s, hot)) }] }) };
  const k = kit([fixed, publisher, wide], [auto('fixed-memory'), auto('z-publisher', {}), auto('wide', {})]);
  k.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: k.now.t }));
  k.state.ingest(hostReport('h2', [vmReport('b')], { takenAtMs: k.now.t }));
  const owned = { hosts: new Set(['h1']), except: new Set(['wide']) };
  // without the cluster-wide policy: only h1's VM is planned (and sent)
  const narrow = await k.cycle.run({ skip: new Set(['wide']), owned });
  assert.deepEqual(k.enqueued.map((j) => j.vmName), ['a']);
  assert.deepEqual(narrow.signals['test/seen-vms'], ['a']);
  // with it: every host planned, the wide policy reads both VMs; still only h1's job is sent
  const full = await k.cycle.run({ owned });
  assert.deepEqual(full.signals['test/seen-vms'], ['a', 'b']);
  assert.equal(full.decisions.find((d) => d.policy === 'wide')?.reason, 'a,b');
  assert.deepEqual(k.enqueued.map((j) => j.vmName), ['a']);
});

test('on the replica running a cluster-wide policy, a per-host policy whose signals it does not read plans the own hosts only', async () => {
  const read = defineSignal<string[]>('test/read');
  const unread = defineSignal<string[]>('test/unread');
  const seen = new Map<string, string[]>();
  const perHost = (name: string, order: number, publishes: Policy<unknown>['publishes'], signal = unread): Policy<unknown> => ({
    name,
    order,
    defaults: {},
    validate: () => ({ ok: true, args: {} }),
    plan: (s) => (seen.set(name, s.vms.map((v) => v.name)), { jobs: [], decisions: [], signals: [publish(signal, s.vms.map((v) => v.name))] }),
    reads: [],
    ...(publishes !== undefined ? { publishes } : {}),
  });
  const wide: Policy<unknown> = { name: 'wide', order: 9, defaults: {}, validate: () => ({ ok: true, args: {} }), plan: (s) => ({ jobs: [], decisions: [{ kind: 'saw', reason: String(readSignal(s, read)) }] }), reads: [read] };
  const policies = [perHost('a-read', 1, [read], read), perHost('b-unread', 2, [unread]), perHost('c-undeclared', 3, undefined), wide];
  const k = kit(policies, policies.map((p) => auto(p.name, {})));
  k.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: k.now.t }));
  k.state.ingest(hostReport('h2', [vmReport('b')], { takenAtMs: k.now.t }));
  const r = await k.cycle.run({ owned: { hosts: new Set(['h1']), except: new Set(['wide']) } });
  assert.deepEqual(Object.fromEntries(seen), { 'a-read': ['a', 'b'], 'b-unread': ['a'], 'c-undeclared': ['a', 'b'] });
  assert.equal(r.decisions.find((d) => d.policy === 'wide')?.reason, 'a,b');
  seen.clear();
  await k.cycle.run({ skip: new Set(['wide']), owned: { hosts: new Set(['h1']), except: new Set(['wide']) } });
  assert.deepEqual(Object.fromEntries(seen), { 'a-read': ['a'], 'b-unread': ['a'], 'c-undeclared': ['a'] }, 'no cluster-wide policy: own hosts only');
});

test('everyHostPolicies: back from the cluster-wide policies through what each reads', () => {
  const sig = (name: string) => defineSignal<unknown>(name);
  const p = (name: string, reads: string[] | undefined, publishes: string[] | undefined) => ({
    name,
    ...(reads ? { reads: reads.map(sig) } : {}),
    ...(publishes ? { publishes: publishes.map(sig) } : {}),
  });
  const chain = [p('numa', [], ['placed']), p('vcpu', ['placed'], []), p('mem', [], ['bounds']), p('cpu', ['bounds'], ['cpu']), p('ksm', [], []), p('wide', ['cpu'], [])];
  assert.deepEqual([...everyHostPolicies(chain, new Set(['wide']))].sort(), ['cpu', 'mem', 'wide'], 'followed back two steps');
  assert.deepEqual([...everyHostPolicies(chain, undefined)], [], 'no cluster-wide policy');
  assert.deepEqual([...everyHostPolicies(chain, new Set(['vcpu']))].sort(), ['numa', 'vcpu']);
  const readsAll = [p('numa', [], ['placed']), p('ksm', [], []), p('wide', undefined, [])];
  assert.deepEqual([...everyHostPolicies(readsAll, new Set(['wide']))].sort(), ['ksm', 'numa', 'wide'], 'undeclared reads: every policy');
});
