// What a takeover continues, on a real Redis: the old owner saves its hosts' newest decisions a slice a cycle;
// the replica gaining a host reads them (and the jobs journalled for it) and shows them as its own log would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecisionLog, type LoggedDecision } from './decision-log.js';
import { DecisionStore, decisionsKey } from './decision-store.js';
import { JobJournal } from './job-journal.js';
import { Takeover } from './takeover.js';
import { redisForTests } from '../test-redis.js';

const db = redisForTests();

const quiet = { info: () => undefined, warn: () => undefined };
const d = (vm: string | undefined, host: string, atMs: number, kind = 'steady'): LoggedDecision => ({ ...(vm ? { vmUuid: vm } : {}), hostId: host, policy: 'memory-balloon', kind, reason: `${kind} at ${atMs}`, atMs, engine: 'a' });
const VMS: Record<string, string[]> = { h1: ['vm1', 'vm2'], h2: ['vm3'] };

function replica(decisions: DecisionLog, adopted: unknown[] = []) {
  return new Takeover({
    journal: new JobJournal(db.redis),
    cycle: { adopt: (jobs) => (adopted.push(...jobs), jobs.length) },
    decisions,
    store: new DecisionStore(db.redis),
    vmsOf: (h) => VMS[h] ?? [],
    log: quiet,
    everyCycles: 3,
    perPolicy: 2,
  });
}

test("each owned host's decisions are saved within everyCycles cycles; the replica gaining it shows the newest of them", async () => {
  const aLog = new DecisionLog();
  aLog.add([d('vm1', 'h1', 1), d('vm1', 'h1', 2), d('vm1', 'h1', 3, 'grow'), d('vm2', 'h1', 3), d(undefined, 'h1', 3, 'host'), d('vm3', 'h2', 3)]);
  const a = replica(aLog);
  await a.gained(new Set(['h1', 'h2']));
  for (let i = 0; i < 3; i++) await a.afterCycle(new Set(['h1', 'h2']));
  assert.ok((await db.redis.exists(decisionsKey('h1'), decisionsKey('h2'))) === 2, 'both hosts saved within 3 cycles');
  // a dies; b gains h1 (not h2)
  const bLog = new DecisionLog();
  bLog.add([d('vm2', 'h1', 10, 'shrink')]); // b decided for vm2 once already (it held h1 before): its own stays
  const b = replica(bLog);
  await b.gained(new Set(['h1']));
  assert.deepEqual(bLog.list({ vmUuid: 'vm1' }).map((x) => [x.atMs, x.kind]), [[3, 'grow'], [2, 'steady']], "vm1's newest 2 (perPolicy)");
  assert.deepEqual(bLog.list({ vmUuid: 'vm2' }).map((x) => x.atMs), [10], 'what b had of vm2 is kept, not mixed');
  assert.deepEqual(bLog.list({}).filter((x) => x.vmUuid === undefined).map((x) => x.kind), ['host'], "the host's own decisions too");
  assert.deepEqual(bLog.list({ vmUuid: 'vm3' }), [], 'h2 not gained: nothing of it');
  // a second round with the same hosts gains nothing and reads nothing
  await db.redis.del(decisionsKey('h1'));
  await b.gained(new Set(['h1']));
  assert.equal(bLog.list({ vmUuid: 'vm1' }).length, 2);
});

test('a saved blob that does not decode is skipped, the others read; many hosts saved and read at once', async () => {
  const store = new DecisionStore(db.redis);
  await db.redis.set(decisionsKey('h9'), 'not deflate');
  assert.deepEqual(await store.load(['h9', 'h-none']), []);
  const many = new Map(Array.from({ length: 200 }, (_, i) => [`m${i}`, [d(`vm-m${i}`, `m${i}`, i), d(undefined, `m${i}`, i, 'host')]]));
  await store.save(many);
  const read = await store.load(['h9', ...many.keys(), 'h-none']);
  assert.equal(read.length, 400);
  assert.deepEqual(read.slice(0, 2), many.get('m0'), 'in the order of the hosts asked, each host as saved');
  assert.deepEqual(read.slice(-2), many.get('m199'));
});
