import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterSnapshot, Plan, Policy } from '@ballast/domain';
import { hostReport, vmReport } from '@ballast/testkit';
import { kit } from './test-cycle-kit.js';
import type { StopPort } from './stop-port.js';

/** Sets every VM's memory to 600 MiB, and one host-scoped job per host. */
const mem: Policy<Record<string, never>> = {
  name: 'mem',
  order: 10,
  defaults: {},
  validate: () => ({ ok: true, args: {} }),
  plan(s: ClusterSnapshot): Plan {
    return {
      jobs: [
        ...s.vms.map((v) => ({ hostId: v.hostId, vmUuid: v.uuid, vmName: v.name, action: { type: 'set-memory' as const, memoryMiB: 600 }, reason: 'fixed' })),
        ...s.hosts.map((h) => ({ hostId: h.hostId, action: { type: 'set-ksm' as const, run: 'run' as const }, reason: 'merge' })),
      ],
      decisions: s.vms.map((v) => ({ vmUuid: v.uuid, hostId: v.hostId, kind: 'set', reason: 'to 600' })),
    };
  },
};

/** A switchboard a test flips between cycles. */
function switches(): StopPort & { pause?: string; out: Map<string, string> } {
  const s = {
    pause: undefined as string | undefined,
    out: new Map<string, string>(),
    paused: () => s.pause,
    optedOut: (vm: { uuid: string; config?: { labels: Record<string, string> } }) =>
      s.out.get(vm.uuid) ?? (vm.config?.labels['ballast.dev/opt-out'] === 'true' ? 'opted out (label ballast.dev/opt-out=true)' : undefined),
  };
  return s;
}

const suppressed = (r: { decisions: { kind: string; reason: string; vmUuid?: string; inputs?: Record<string, unknown> }[] }) => r.decisions.filter((d) => d.kind === 'suppressed');

test('paused: the policies still decide and every job is recorded as suppressed with the reason; nothing is enqueued or tracked', async () => {
  const sw = switches();
  const k = kit([mem as Policy<unknown>], [{ name: 'mem', args: {}, automation: 'auto' }], sw);
  k.state.ingest(hostReport('h1', [vmReport('a'), vmReport('b')], { takenAtMs: k.now.t }));
  sw.pause = 'cluster paused by tok-1 since 2026-01-01T00:00:00.000Z: upgrade';
  const r = await k.cycle.run();
  assert.equal(k.enqueued.length, 0);
  assert.deepEqual(r.enqueued, []);
  assert.deepEqual(r.decisions.filter((d) => d.kind === 'set').map((d) => d.vmUuid), ['uuid-a', 'uuid-b'], "the policy's own decisions are kept");
  const s = suppressed(r);
  assert.equal(s.length, 3, 'two VM jobs and the host job');
  for (const d of s) {
    assert.match(d.reason, /: not sent — cluster paused by tok-1 since 2026-01-01T00:00:00\.000Z: upgrade$/);
    assert.equal(d.inputs?.stop, 'paused');
  }
  assert.equal(r.decisions.find((d) => d.vmUuid === 'uuid-a' && d.kind === 'set')?.jobs?.[0]?.skipped, sw.pause);
  assert.deepEqual(k.cycle.tracker.pendingIds(), [], 'a suppressed job was never sent: nothing in flight');

  sw.pause = undefined;
  const r2 = await k.cycle.run();
  assert.equal(k.enqueued.length, 3, 'resumed: the next cycle sends them');
  assert.equal(suppressed(r2).length, 0);
  assert.equal(r2.decisions.some((d) => /in flight/.test(d.reason)), false, 'no in-flight record was left by the suppressed jobs');
});

test("opted out: only that VM's jobs are suppressed (by API or by label); the rest are sent", async () => {
  const sw = switches();
  const k = kit([mem as Policy<unknown>], [{ name: 'mem', args: {}, automation: 'auto' }], sw);
  const labelled = vmReport('c');
  labelled.config = { ...(labelled.config ?? { memoryLocked: false, hugepages: false, hostdevCount: 0, pins: [], labels: {} }), labels: { 'ballast.dev/opt-out': 'true' } } as NonNullable<typeof labelled.config>;
  k.state.ingest(hostReport('h1', [vmReport('a'), vmReport('b'), labelled], { takenAtMs: k.now.t }));
  sw.out.set('uuid-a', 'opted out (api by tok-2 since 2026-01-01T00:00:00.000Z): database migration');
  const r = await k.cycle.run();
  assert.deepEqual(k.enqueued.map((j) => j.vmUuid ?? `host:${j.hostId}`).sort(), ['host:h1', 'uuid-b']);
  const s = suppressed(r);
  assert.deepEqual(s.map((d) => d.vmUuid).sort(), ['uuid-a', 'uuid-c']);
  assert.match(s.find((d) => d.vmUuid === 'uuid-a')?.reason ?? '', /set memory to 600 MiB: not sent — opted out \(api by tok-2 since .*\): database migration/);
  assert.match(s.find((d) => d.vmUuid === 'uuid-c')?.reason ?? '', /opted out \(label ballast\.dev\/opt-out=true\)/);
  assert.ok(s.every((d) => d.inputs?.stop === 'opted_out'));

  sw.out.clear();
  await k.cycle.run();
  assert.deepEqual(k.enqueued.filter((j) => j.vmUuid === 'uuid-a').length, 1, 'opted in: its job goes on the next cycle');
});

test('opt-out wins over recommend mode (no recommendation for it); a pause leaves recommend mode alone', async () => {
  const sw = switches();
  const k = kit([mem as Policy<unknown>], [{ name: 'mem', args: {}, automation: 'recommend' }], sw);
  k.state.ingest(hostReport('h1', [vmReport('a'), vmReport('b')], { takenAtMs: k.now.t }));
  sw.out.set('uuid-a', 'opted out (api by t): x');
  sw.pause = 'cluster paused by t since 0: y';
  const r = await k.cycle.run();
  const byVm = (u: string) => r.decisions.find((d) => d.vmUuid === u && d.kind !== 'set');
  assert.equal(byVm('uuid-a')?.kind, 'suppressed');
  assert.equal(byVm('uuid-b')?.kind, 'skipped');
  assert.match(byVm('uuid-b')?.reason ?? '', /automation is recommend/);
  assert.equal(k.enqueued.length, 0);
});

test('without a stop port nothing is suppressed', async () => {
  const k = kit([mem as Policy<unknown>], [{ name: 'mem', args: {}, automation: 'auto' }]);
  k.state.ingest(hostReport('h1', [vmReport('a')], { takenAtMs: k.now.t }));
  const r = await k.cycle.run();
  assert.equal(suppressed(r).length, 0);
  assert.equal(k.enqueued.length, 2);
});
