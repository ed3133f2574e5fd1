import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOfJobId, type ClusterSnapshot, type Plan, type Policy } from '@ballast/domain';
import { hostReport, vmReport } from '@ballast/testkit';
import { policyJobId } from './job-id.js';
import { failed, kit } from './test-cycle-kit.js';

const job = (memoryMiB: number, vmUuid = 'uuid-a') => ({ hostId: 'h1', vmUuid, action: { type: 'set-memory' as const, memoryMiB } });

test('policyJobId: the same decision on the same sample is the same id; policy, VM, target and sample each change it', () => {
  const id = policyJobId({ policy: 'memory-balloon', job: job(600), sampleMs: 1000 });
  assert.match(id, /^pj-[0-9a-f]{32}@h1$/);
  assert.equal(hostOfJobId(id), 'h1', 'the id names the host whose queue holds the job');
  assert.equal(policyJobId({ policy: 'memory-balloon', job: job(600), sampleMs: 1000 }), id);
  const others = [
    policyJobId({ policy: 'other', job: job(600), sampleMs: 1000 }),
    policyJobId({ policy: 'memory-balloon', job: job(600, 'uuid-b'), sampleMs: 1000 }),
    policyJobId({ policy: 'memory-balloon', job: job(601), sampleMs: 1000 }),
    policyJobId({ policy: 'memory-balloon', job: job(600), sampleMs: 3000 }),
  ];
  assert.equal(new Set([id, ...others]).size, 5);
});

test('policyJobId: the order of the action keys does not matter', () => {
  const a = { hostId: 'h1', vmUuid: 'u', action: { type: 'pin-vcpu' as const, vcpu: 0, pcpus: [1] } };
  const b = { hostId: 'h1', vmUuid: 'u', action: { pcpus: [1], vcpu: 0, type: 'pin-vcpu' as const } };
  assert.equal(policyJobId({ policy: 'p', job: a, sampleMs: 1 }), policyJobId({ policy: 'p', job: b, sampleMs: 1 }));
});

type Args = { memoryMiB: number };
const fixed: Policy<Args> = {
  name: 'fixed-memory',
  order: 10,
  defaults: { memoryMiB: 600 },
  validate: () => ({ ok: true, args: { memoryMiB: 600 } }),
  plan(s: ClusterSnapshot): Plan {
    return {
      jobs: s.vms.map((v) => ({ hostId: v.hostId, vmUuid: v.uuid, vmName: v.name, action: { type: 'set-memory', memoryMiB: 600 }, reason: 'fixed' })),
      decisions: s.vms.map((v) => ({ vmUuid: v.uuid, hostId: v.hostId, kind: 'set', reason: 'to 600' })),
    };
  },
};
const entries = () => [{ name: 'fixed-memory', args: {}, automation: 'auto' as const }];

test('two replicas deciding on the same sample enqueue jobs with the same ids (the queue keeps one of each)', async () => {
  const a = kit([fixed], entries(), undefined, { derivedIds: true });
  const b = kit([fixed], entries(), undefined, { derivedIds: true });
  for (const k of [a, b]) k.state.ingest(hostReport('h1', [vmReport('a'), vmReport('b')], { takenAtMs: k.now.t }));
  await a.cycle.run();
  await b.cycle.run();
  assert.equal(a.enqueued.length, 2);
  assert.deepEqual(b.enqueued.map((s) => s.id), a.enqueued.map((s) => s.id));
  assert.notEqual(a.enqueued[0]?.id, a.enqueued[1]?.id);
});

test('a failed target is not sent again on the same sample, and is sent again (new id) on a newer one', async () => {
  const k = kit([fixed], entries(), undefined, { derivedIds: true });
  k.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: k.now.t }));
  await k.cycle.run();
  const first = k.enqueued[0]?.id as string;
  k.outcomes.set(first, failed('libvirt said no'));
  k.now.t += 1000; // the next cycle, before the next sample
  const again = await k.cycle.run();
  assert.equal(k.enqueued.length, 1, 'nothing new on the same sample');
  const skipped = again.decisions.find((d) => d.kind === 'skipped');
  assert.match(skipped?.reason ?? '', new RegExp(`the same job \\(this decision on the same sample\\) was sent already: ${first}`));
  k.now.t += 1000;
  k.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: k.now.t }));
  await k.cycle.run();
  assert.equal(k.enqueued.length, 2, 'sent again on the newer sample');
  assert.notEqual(k.enqueued[1]?.id, first);
});

test('owned hosts: a replica decides only for the hosts it holds; a cluster-wide policy (except) acts beyond them', async () => {
  const k = kit([fixed], entries(), undefined, { derivedIds: true });
  k.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: k.now.t }));
  k.state.ingest(hostReport('h2', [vmReport('b')], { takenAtMs: k.now.t }));
  const r = await k.cycle.run({ owned: { hosts: new Set(['h1']) } });
  assert.deepEqual(r.enqueued.map((s) => s.hostId), ['h1']);
  assert.deepEqual([...new Set(r.decisions.map((d) => d.hostId))], ['h1'], 'no decision about h2 here');
  const all = kit([fixed], entries(), undefined, { derivedIds: true });
  all.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: all.now.t }));
  all.state.ingest(hostReport('h2', [vmReport('b')], { takenAtMs: all.now.t }));
  const e = await all.cycle.run({ owned: { hosts: new Set(['h1']), except: new Set(['fixed-memory']) } });
  assert.deepEqual(e.enqueued.map((s) => s.hostId).sort(), ['h1', 'h2']);
});
