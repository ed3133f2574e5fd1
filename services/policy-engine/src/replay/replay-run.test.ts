import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinPolicies } from '@ballast/domain';
import { hostReport, vmReport } from '@ballast/testkit';
import { candidatePolicies } from './candidate-document.js';
import { replayPolicies, type ReplayOptions } from './replay-run.js';
import type { RecordedSample } from './sample-reader.js';

const T0 = 1_700_000_000_000;
const STEP = 2000;

/** Two VMs on one host, every 2 s for a minute: `short` has 30 MiB unused (wants more), `idle` 900 MiB (can give back). */
function recorded(count = 30): RecordedSample[] {
  return Array.from({ length: count }, (_, i) => {
    const at = T0 + i * STEP;
    const vm = (name: string, unusedMiB: number) =>
      vmReport(name, {
        balloon: {
          actualKiB: 1024 * 1024,
          maximumKiB: 2048 * 1024,
          hasGuestStats: true,
          unusedKiB: unusedMiB * 1024,
          availableKiB: 1000 * 1024,
          usableKiB: unusedMiB * 1024,
          majorFaults: 0,
          swapInKiB: 0,
          lastUpdateSec: at / 1000,
        },
      });
    return { atMs: at, report: hostReport('h1', [vm('short', 30), vm('idle', 900)], { takenAtMs: at }) };
  });
}

function options(doc: unknown, over: Partial<ReplayOptions> = {}): ReplayOptions {
  const registry = builtinPolicies();
  const c = candidatePolicies(registry, doc);
  if (!c.ok) throw new Error(c.issues.join('\n'));
  return { registry, policies: c.policies, fromMs: T0 - 10_000, toMs: T0 + 120_000, cycleMs: STEP, windowSize: 30, staleAfterIntervals: 3, maxCycles: 1000, limit: 100, ...over };
}

test('memory-balloon on: the replay makes balloon jobs for the recorded VMs, linked to decisions, and counts them', async () => {
  const r = await replayPolicies(recorded(), options({ policies: { 'memory-balloon': { automation: 'auto' } } }));
  assert.equal(r.truncated, false);
  // 30 reports from T0 to T0+58 s: a cycle on each 2 s boundary after the first report, to one after the last
  assert.equal(r.metrics.cycles, 30);
  assert.equal(r.metrics.samples, 30);
  assert.deepEqual([r.metrics.hosts, r.metrics.vms], [1, 2]);
  assert.ok(r.jobs.length > 0, 'some jobs');
  assert.ok(r.jobs.every((j) => j.type === 'set-memory' && j.policy === 'memory-balloon' && j.hostId === 'h1'));
  assert.equal(r.metrics.jobs.total, r.jobs.length);
  assert.ok(r.metrics.jobs.targets >= 1 && r.metrics.jobs.targets <= 2, `targets ${r.metrics.jobs.targets}`);
  assert.equal(r.metrics.jobs.byType['set-memory'], r.jobs.length);
  assert.ok(r.jobs.some((j) => j.vm === 'short' && j.action.type === 'set-memory' && j.action.memoryMiB > 1024), 'grows the short VM');
  assert.ok(r.metrics.memory.growMiB > 0);
  assert.equal(r.metrics.memory.setMemoryJobs, r.jobs.length);
  const linked = r.decisions.flatMap((d) => d.jobs ?? []).filter((j) => j.id !== undefined);
  assert.deepEqual(linked.map((j) => j.id).sort(), r.jobs.map((j) => j.id).sort());
  assert.equal(Object.values(r.metrics.decisions.byKind).reduce((a, b) => a + b, 0), r.metrics.decisions.total);
});

test('memory-balloon off: the same records make no job', async () => {
  const r = await replayPolicies(recorded(), options({ policies: { 'memory-balloon': { automation: 'off' } } }));
  assert.equal(r.metrics.cycles, 30);
  assert.equal(r.jobs.length, 0);
  assert.equal(r.metrics.jobs.total, 0);
  assert.equal(r.metrics.decisions.total, 0);
});

test('recommend mode decides but sends nothing: its jobs are skipped decisions', async () => {
  const r = await replayPolicies(recorded(), options({ policies: { 'memory-balloon': { automation: 'recommend' } } }));
  assert.equal(r.jobs.length, 0);
  assert.ok((r.metrics.decisions.byKind.skipped ?? 0) > 0);
});

test('a window outside the records runs zero cycles', async () => {
  const doc = { policies: { 'memory-balloon': { automation: 'auto' } } };
  const before = await replayPolicies(recorded(), options(doc, { fromMs: T0 - 600_000, toMs: T0 - 300_000 }));
  const after = await replayPolicies(recorded(), options(doc, { fromMs: T0 + 3_600_000, toMs: T0 + 7_200_000 }));
  for (const r of [before, after]) {
    assert.deepEqual([r.metrics.cycles, r.metrics.samples, r.jobs.length, r.metrics.firstCycleAt], [0, 0, 0, null]);
  }
});

test('maxCycles stops the replay and says so; limit bounds the lists, not the counts', async () => {
  const r = await replayPolicies(recorded(), options({ policies: { 'memory-balloon': {} } }, { maxCycles: 5, limit: 1, allDecisions: true }));
  assert.equal(r.truncated, true);
  assert.equal(r.metrics.cycles, 5);
  assert.equal(r.decisions.length, 1);
  assert.ok(r.metrics.decisions.total > 1);
  const timed = await replayPolicies(recorded(), options({ policies: { 'memory-balloon': {} } }, { maxRunMs: -1 }));
  assert.deepEqual([timed.truncated, timed.metrics.cycles], [true, 0]);
});

test('a job is reported succeeded one cycle after it is made (the in-flight rule then decides repeats)', async () => {
  const r = await replayPolicies(recorded(), options({ policies: { 'memory-balloon': {} } }, { allDecisions: true, limit: 1000 }));
  const first = r.jobs[0];
  assert.ok(first);
  // the same target is not sent again in the very next cycle: it is in flight
  const next = r.jobs.filter((j) => j.vmUuid === first.vmUuid && j.at === new Date(Date.parse(first.at) + STEP).toISOString());
  assert.equal(next.length, 0);
});

test('candidate documents: every issue is listed with its field', () => {
  const registry = builtinPolicies();
  const c = candidatePolicies(
    registry,
    { policies: { 'memory-balloon': { automation: 'sometimes', args: {} }, 'no-such': {}, ksm: { args: { nope: 1 } }, 'vcpu-balance': { automation: 'auto', argz: {} } }, extra: 1 },
    'document.',
  );
  assert.equal(c.ok, false);
  if (c.ok) return;
  const fields = c.issues.map((i) => i.split(':')[0]);
  assert.ok(fields.includes('document.extra'), c.issues.join('\n'));
  assert.ok(fields.includes('document.policies.memory-balloon.automation'));
  assert.ok(fields.includes('document.policies.no-such'));
  assert.ok(fields.includes('document.policies.vcpu-balance.argz'));
  assert.ok(fields.some((f) => f?.startsWith('document.policies.ksm.')), c.issues.join('\n'));
  assert.equal(candidatePolicies(registry, [1]).ok, false);
  assert.equal(candidatePolicies(registry, { policies: [] }).ok, false);
});
