// A crashed VM (libvirt's state after a guest panic, kept for inspection by <on_crash>preserve</on_crash>)
// gets no policy job until it runs again: the cycle skips such jobs whatever the policy (decide-job.ts,
// NOT_RUNNING), and the policies that read VM state leave it alone themselves, each saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryBalloonPolicy, type ClusterSnapshot, type Plan, type Policy } from '@ballast/domain';
import { hostReport, vmReport } from '@ballast/testkit';
import { kit } from './test-cycle-kit.js';

/** A policy that reads no VM state: it sets every VM's memory (the cycle alone must keep it off a crashed VM). */
const blind: Policy<unknown> = {
  name: 'blind-memory',
  order: 10,
  defaults: {},
  validate: () => ({ ok: true, args: {} }),
  plan: (s: ClusterSnapshot): Plan => ({
    jobs: s.vms.map((v) => ({ hostId: v.hostId, vmUuid: v.uuid, vmName: v.name, action: { type: 'set-memory', memoryMiB: 700 }, reason: 'fixed' })),
    decisions: s.vms.map((v) => ({ vmUuid: v.uuid, hostId: v.hostId, kind: 'set', reason: 'to 700' })),
  }),
};

test('a crashed VM gets no job and a skipped decision saying why; once it runs again it is acted on', async () => {
  const k = kit([blind], [{ name: 'blind-memory', args: {}, automation: 'auto' }]);
  k.state.ingest(hostReport('h1', [vmReport('a', { state: 'crashed' }), vmReport('b')], { takenAtMs: k.now.t }));
  const r1 = await k.cycle.run();
  assert.deepEqual(k.enqueued.map((j) => j.vmName), ['b'], 'only the running VM gets a job');
  const skipped = r1.decisions.find((d) => d.kind === 'skipped' && d.vmUuid === 'uuid-a');
  assert.match(skipped?.reason ?? '', /set memory to 700 MiB: not sent — VM a is crashed: no policy acts on it until it runs again/);
  assert.match(r1.decisions.find((d) => d.kind === 'set' && d.vmUuid === 'uuid-a')?.jobs?.[0]?.skipped ?? '', /VM a is crashed/);

  // shut off after the crash (destroyed to recover it): still nothing
  k.now.t += 2000;
  k.state.ingest(hostReport('h1', [vmReport('a', { state: 'shutoff' }), vmReport('b')], { takenAtMs: k.now.t }));
  assert.match((await k.cycle.run()).decisions.find((d) => d.kind === 'skipped' && d.vmUuid === 'uuid-a')?.reason ?? '', /VM a is shutoff/);
  assert.equal(k.enqueued.filter((j) => j.vmName === 'a').length, 0);

  // running again: the next cycle acts on it
  k.now.t += 2000;
  k.state.ingest(hostReport('h1', [vmReport('a'), vmReport('b')], { takenAtMs: k.now.t }));
  const r3 = await k.cycle.run();
  assert.deepEqual(k.enqueued.filter((j) => j.vmName === 'a').map((j) => j.action), [{ type: 'set-memory', memoryMiB: 700 }]);
  assert.equal(r3.decisions.some((d) => d.kind === 'skipped' && d.vmUuid === 'uuid-a'), false);
});

test('memory-balloon leaves a crashed VM alone (an unmanaged decision: "VM is crashed") and grows it once it runs again', async () => {
  const k = kit([memoryBalloonPolicy as Policy<unknown>], [{ name: memoryBalloonPolicy.name, args: memoryBalloonPolicy.defaults, automation: 'auto' }]);
  // 10 MiB unused of 512: a running VM this short of memory is grown at once
  const starved = (state: 'crashed' | 'running') => {
    const v = vmReport('a', { state });
    if (v.balloon) Object.assign(v.balloon, { unusedKiB: 10 * 1024, lastUpdateSec: k.now.t / 1000 });
    return v;
  };
  k.state.ingest(hostReport('h1', [starved('crashed')], { takenAtMs: k.now.t, memoryTotalKiB: 16 * 1024 * 1024, memoryFreeKiB: 12 * 1024 * 1024 }));
  const r1 = await k.cycle.run();
  assert.equal(k.enqueued.length, 0);
  const d1 = r1.decisions.find((d) => d.vmUuid === 'uuid-a');
  assert.deepEqual([d1?.kind, d1?.reason], ['unmanaged', 'VM is crashed']);

  k.now.t += 2000;
  k.state.ingest(hostReport('h1', [starved('running')], { takenAtMs: k.now.t, memoryTotalKiB: 16 * 1024 * 1024, memoryFreeKiB: 12 * 1024 * 1024 }));
  const r2 = await k.cycle.run();
  assert.equal(r2.decisions.find((d) => d.vmUuid === 'uuid-a')?.kind, 'grow', JSON.stringify(r2.decisions));
  assert.equal(k.enqueued.length, 1);
  assert.equal(k.enqueued[0]?.action.type, 'set-memory');
});
