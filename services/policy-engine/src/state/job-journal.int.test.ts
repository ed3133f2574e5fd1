// The job journal on a real Redis: a replica taking a host over adopts the jobs its old owner sent, so a
// target still in flight is not sent again; a job the tracker forgets leaves the journal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterState, OUTCOME_RETENTION_MS, PolicyCycle, type JobJournalPort } from '@ballast/cycle';
import { PolicyRegistry, type JobOutcome, type JobSpec, type Policy } from '@ballast/domain';
import { hostReport, vmReport } from '@ballast/testkit';
import { JobJournal, journalKey } from './job-journal.js';
import { redisForTests } from '../test-redis.js';

const db = redisForTests();

/** Sets every VM's memory to 600 MiB. */
const fixed: Policy<unknown> = {
  name: 'fixed-memory',
  order: 1,
  defaults: {},
  validate: () => ({ ok: true, args: {} }),
  plan: (s) => ({ jobs: s.vms.map((v) => ({ hostId: v.hostId, vmUuid: v.uuid, vmName: v.name, action: { type: 'set-memory', memoryMiB: 600 }, reason: 'fixed' })), decisions: [] }),
};

/** One engine replica's cycle: its own state (fed the same reports), the shared queue, the journal on Redis. */
function replica(now: { t: number }, queue: JobSpec[], outcomes: Map<string, JobOutcome>, journal?: JobJournalPort) {
  const state = new ClusterState({ windowSize: 5, staleAfterIntervals: 3, now: () => now.t });
  const registry = new PolicyRegistry();
  registry.register(fixed);
  const cycle = new PolicyCycle(registry, [{ name: 'fixed-memory', args: {}, automation: 'auto' }], {
    state,
    holds: { isHeld: () => false },
    enqueue: async (specs) => void queue.push(...specs),
    outcomes: async (ids) => new Map(ids.flatMap((id) => (outcomes.has(id) ? [[id, outcomes.get(id) as JobOutcome] as const] : []))),
    ...(journal ? { journal } : {}),
  });
  return { state, cycle };
}

test('a replica taking a host over adopts the jobs in flight for it: the same target is not sent again; without the journal it would be', async () => {
  const now = { t: 1_000_000 };
  const queue: JobSpec[] = [];
  const outcomes = new Map<string, JobOutcome>();
  const journal = new JobJournal(db.redis);
  const a = replica(now, queue, outcomes, journal);
  const feed = (...rs: { state: ClusterState }[]) => rs.forEach((r) => r.state.ingest(hostReport('h1', [vmReport('vm1')], { takenAtMs: now.t })));
  feed(a);
  await a.cycle.run();
  assert.equal(queue.length, 1);
  const sent = queue[0] as JobSpec;
  assert.deepEqual(Object.keys(await db.redis.hgetall(journalKey('h1'))), [sent.id], 'journalled');

  // a dies; b takes h1 over two cycles later (a later sample: a job decided now would get another id)
  now.t += 4000;
  const b = replica(now, queue, outcomes, journal);
  const blind = replica(now, [], outcomes); // the same, without the journal
  feed(b, blind);
  assert.equal(b.cycle.adopt(await journal.load(['h1'])), 1);
  const r = await b.cycle.run();
  assert.equal(queue.length, 1, 'not sent again');
  assert.match(r.decisions.find((d) => d.kind === 'skipped')?.reason ?? '', new RegExp(`already in flight \\(job ${sent.id}, queued\\)`));
  await blind.cycle.run();
  assert.equal(blind.cycle.tracker.pendingIds().length, 1, 'a replica that knows nothing of the job sends the target again');
  assert.notEqual(blind.cycle.tracker.pendingIds()[0], sent.id);

  // the job finishes; b forgets it after the retention, and the journal with it
  outcomes.set(sent.id, { state: 'succeeded', attempts: 1, result: { message: 'done', alreadyThere: false } });
  await b.cycle.run();
  now.t += OUTCOME_RETENTION_MS + 1000;
  feed(b);
  await b.cycle.run();
  assert.ok(!(sent.id in (await db.redis.hgetall(journalKey('h1')))), 'the forgotten job left the journal');
});

test('manual jobs are journalled when tracked and leave it when cancelled; a bad entry is skipped', async () => {
  const now = { t: 2_000_000 };
  const journal = new JobJournal(db.redis);
  const a = replica(now, [], new Map(), journal);
  const spec: JobSpec = { schemaVersion: 1, id: 'manual-1', hostId: 'h9', vmUuid: 'uuid-x', vmName: 'x', source: 'manual', createdAtMs: now.t, action: { type: 'set-memory', memoryMiB: 700 } };
  a.cycle.track(spec, now.t);
  await new Promise((r) => setTimeout(r, 100));
  await db.redis.hset(journalKey('h9'), 'junk', '{not json');
  assert.deepEqual((await journal.load(['h9'])).map((j) => [j.spec.id, j.key]), [['manual-1', 'uuid-x/memory']]);
  a.cycle.untrack('manual-1');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await journal.load(['h9']), []);
});
