import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterSnapshot, Plan, Policy } from '@ballast/domain';
import { hostReport, vmReport } from '@ballast/testkit';
import { kit } from './test-cycle-kit.js';
import { PolicyDocumentError, type PolicyConfigEntry } from './validate-policies.js';
import { selectorIssues, selects } from './vm-selector.js';

type MemArgs = { memoryMiB: number };

/** Sets every VM it sees to `memoryMiB`. */
const mem: Policy<MemArgs> = {
  name: 'mem',
  order: 10,
  defaults: { memoryMiB: 512 },
  validate(raw) {
    const m = (raw as Partial<MemArgs> | undefined)?.memoryMiB ?? 512;
    return typeof m === 'number' && m > 0 ? { ok: true, args: { memoryMiB: m } } : { ok: false, issues: [{ field: 'memoryMiB', message: 'must be > 0' }] };
  },
  plan(s: ClusterSnapshot, a): Plan {
    return {
      jobs: s.vms.map((v) => ({ hostId: v.hostId, vmUuid: v.uuid, vmName: v.name, action: { type: 'set-memory', memoryMiB: a.memoryMiB }, reason: 'fixed' })),
      decisions: [],
    };
  },
};

const labelled = (name: string, labels: Record<string, string>) =>
  vmReport(name, { config: { labels, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: [] } });

test('replacePolicies: the next run uses the new document; the tracker (jobs in flight) stays', async () => {
  const k = kit([mem], [{ name: 'mem', automation: 'auto', args: { memoryMiB: 600 } }]);
  k.state.ingest(hostReport('h1', [vmReport('a')]));
  await k.cycle.run();
  assert.deepEqual(k.enqueued.map((j) => j.action), [{ type: 'set-memory', memoryMiB: 600 }]);
  k.cycle.replacePolicies([{ name: 'mem', automation: 'recommend', args: { memoryMiB: 700 } }]);
  const r = await k.cycle.run();
  assert.equal(k.enqueued.length, 1, 'recommend now: nothing more enqueued');
  assert.match(r.decisions.find((d) => d.kind === 'skipped')?.reason ?? '', /700 MiB/);
  assert.deepEqual(k.cycle.tracker.pendingIds(), ['job-1'], 'the job of the old document is still tracked');
  assert.deepEqual(k.cycle.policies.map((p) => [p.name, p.automation, p.args]), [['mem', 'recommend', { memoryMiB: 700 }]]);
});

test('replacePolicies with an invalid document throws every issue and keeps the old one', async () => {
  const k = kit([mem], [{ name: 'mem', automation: 'auto', args: { memoryMiB: 600 } }]);
  const bad: PolicyConfigEntry[] = [
    { name: 'mem', automation: 'auto', args: { memoryMiB: -1 }, selector: { matchLabels: { tier: 5 as unknown as string } } },
    { name: 'nope', automation: 'auto', args: {} },
  ];
  assert.throws(
    () => k.cycle.replacePolicies(bad),
    (e: unknown) =>
      e instanceof PolicyDocumentError &&
      e.issues.join('|') === 'policies.mem.selector.matchLabels.tier: must be a string|policies.mem.memoryMiB: must be > 0|policies.nope: no such policy (known: mem)',
  );
  assert.deepEqual(k.cycle.policies.map((p) => p.args), [{ memoryMiB: 600 }]);
});

test('a selector: the policy plans from every VM but acts only on those whose labels match (and on hosts)', async () => {
  const seen: string[][] = [];
  const spy: Policy<MemArgs> = {
    ...mem,
    plan: (s, a) => {
      seen.push(s.vms.map((v) => v.name));
      const p = mem.plan(s, a);
      return { jobs: p.jobs, decisions: [...s.vms.map((v) => ({ vmUuid: v.uuid, hostId: v.hostId, kind: 'seen', reason: v.name })), { hostId: 'h1', kind: 'host', reason: 'whole host' }] };
    },
  };
  const k = kit([spy], [{ name: 'mem', automation: 'auto', args: {}, selector: { matchLabels: { tier: 'gold' } } }]);
  k.state.ingest(hostReport('h1', [labelled('gold-1', { tier: 'gold', app: 'db' }), labelled('silver-1', { tier: 'silver' }), vmReport('unread')]));
  const r = await k.cycle.run();
  assert.deepEqual(seen, [['gold-1', 'silver-1', 'unread']], 'the policy sees every VM');
  assert.deepEqual(k.enqueued.map((j) => j.vmName), ['gold-1']);
  assert.deepEqual(r.decisions.map((d) => d.reason), ['gold-1', 'whole host']);
});

test('selectors: matching and validation', () => {
  assert.equal(selects(undefined, {}), true);
  assert.equal(selects({}, {}), true);
  assert.equal(selects({ matchLabels: { a: '1' } }, {}), false);
  assert.equal(selects({ matchLabels: { a: '1', b: '2' } }, { config: { labels: { a: '1', b: '2', c: '3' } } }), true);
  assert.equal(selects({ matchLabels: { a: '1', b: '2' } }, { config: { labels: { a: '1' } } }), false);
  assert.deepEqual(selectorIssues(undefined, 's'), []);
  assert.deepEqual(selectorIssues([], 's'), ['s: must be an object such as {"matchLabels": {"tier": "gold"}}']);
  assert.deepEqual(selectorIssues({ matchLabels: { ' x': 'y', ok: 1 }, matchExpressions: [] }, 's'), [
    's.matchLabels. x: not a label name (letters, digits, . _ / -; at most 128)',
    's.matchLabels.ok: must be a string',
    's.matchExpressions: unknown field (known: matchLabels)',
  ]);
});
