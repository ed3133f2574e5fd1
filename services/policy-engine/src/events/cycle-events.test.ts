import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CycleDecision } from '@ballast/cycle';
import type { JobSpec } from '@ballast/domain';
import type { Recommendation } from '../cluster/recommendation-store.js';
import { cycleEvents, DecisionEventFilter, RecommendationEventFilter } from './cycle-events.js';

const d = (vm: string, kind: string, extra: Partial<CycleDecision> = {}): CycleDecision => ({ policy: 'memory', vmUuid: vm, hostId: 'h1', kind, reason: kind, atMs: 1000, ...extra });

test('decisions: one that sent a job is always an event; a routine one only when its kinds change, never on first sight', () => {
  const f = new DecisionEventFilter();
  const sent = d('a', 'grow', { jobs: [{ key: 'k', type: 'set-memory', description: '', id: 'j1' }] });
  assert.deepEqual(f.pick([d('a', 'hold'), d('b', 'hold'), sent].slice(1)).map((x) => x.kind), ['grow'], 'first cycle: only the job');
  assert.deepEqual(f.pick([d('a', 'hold'), d('b', 'hold')]).map((x) => `${x.vmUuid}:${x.kind}`), ['a:hold'], 'a went grow → hold; b repeats');
  assert.deepEqual(f.pick([d('a', 'hold'), d('b', 'hold')]), [], 'the same again: nothing');
  assert.deepEqual(f.pick([d('a', 'hold'), d('b', 'stale')]).map((x) => `${x.vmUuid}:${x.kind}`), ['b:stale']);
});

test('decisions: a job that was not sent repeats each cycle without flooding; several decisions of one VM count as one set', () => {
  const f = new DecisionEventFilter();
  const skipped = () => [d('a', 'move', { jobs: [{ key: 'k', type: 'migrate', description: '', skipped: 'automation is recommend' }] }), d('a', 'skipped')];
  f.pick(skipped());
  assert.deepEqual(f.pick(skipped()), []);
  assert.deepEqual(f.pick(skipped()), []);
  assert.equal(f.pick([d('a', 'move')]).length, 1, 'the skipped decision is gone: a change');
});

test('a cycle yields its decisions, the jobs it enqueued and the finished outcomes (not the running ones)', () => {
  const spec = (id: string): JobSpec => ({ schemaVersion: 1, id, hostId: 'h1', vmUuid: 'u1', vmName: 'web', source: 'policy', policy: 'memory', createdAtMs: 1, action: { type: 'set-memory', memoryKiB: 1 } as unknown as JobSpec['action'] });
  const events = cycleEvents(
    {
      atMs: 5000,
      decisions: [d('a', 'grow', { jobs: [{ key: 'k', type: 'set-memory', description: '', id: 'j2' }] })],
      enqueued: [spec('j2')],
      outcomes: new Map([
        ['j1', { state: 'failed', error: 'no such domain', attempts: 3, finishedAtMs: 4000 }],
        ['j3', { state: 'active', attempts: 1 }],
      ]),
    },
    new DecisionEventFilter(),
    (id) => (id === 'j1' || id === 'j3' ? spec(id) : undefined),
  );
  assert.deepEqual(events.map((e) => `${e.type}:${e.action}`), ['decision:grow', 'job:submitted', 'job:failed']);
  const failed = events[2];
  assert.deepEqual(failed?.data, { id: 'j1', type: 'set-memory', vm: 'web', vmUuid: 'u1', host: 'h1', source: 'policy', policy: 'memory', state: 'failed', error: 'no such domain', attempts: 3 });
  assert.equal(failed?.atMs, 4000);
});

test('recommendations: new once, then each state change; a refresh of a pending one and known states after a restart are no events', () => {
  const rec = (state: Recommendation['state']) => ({ id: 'r1', policy: 'cluster-balance', vmUuid: 'u1', vmName: 'web', from: 'h1', to: 'h2', move: 'balance', priority: 3, reason: 'x', imbalanceBefore: 0.3, predictedAfter: 0.1, action: { type: 'migrate', targetHost: 'h2' }, state, createdAtMs: 1, updatedAtMs: 1 }) as unknown as Recommendation;
  const f = new RecommendationEventFilter();
  assert.equal(f.changed(rec('pending'), 1)?.action, 'new');
  assert.equal(f.changed(rec('pending'), 2), undefined);
  assert.equal(f.changed(rec('approved'), 3)?.action, 'approved');
  assert.equal(f.changed(rec('applied'), 4)?.data['state'], 'applied');
  const restarted = new RecommendationEventFilter();
  restarted.seed([rec('pending')]);
  assert.equal(restarted.changed(rec('pending'), 5), undefined);
  assert.equal(restarted.changed(rec('rejected'), 6)?.action, 'rejected');
});
