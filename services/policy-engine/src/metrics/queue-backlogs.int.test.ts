// JobQueues.backlogs (every host's queue in two pipelined round trips, read by the /metrics queue gauges) gives
// the same figures as the per-host read (JobQueues.backlog) and as BullMQ's own getJobCounts, on a real Redis
// with jobs waiting, prioritized, active and delayed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { JobQueues, QUEUE_PREFIX, jobQueueName, type QueueBacklog } from '@ballast/queue';
import { startRedis, type RedisHandle } from '@ballast/testkit';
import { setMemorySpec } from '../test-job-spec.js';

let redisSrv: RedisHandle;
let conn: Redis;
let queues: JobQueues;
const workers: Worker[] = [];
const workerConns: Redis[] = [];


/** Adds jobs to a host's queue: `wait` plain, `prio` with a priority, `delayed` with a delay; then takes `active` of them as a worker. */
async function fill(hostId: string, c: { wait?: number; prio?: number; delayed?: number; active?: number }): Promise<void> {
  const q = queues.queue(hostId);
  let n = 0;
  for (let i = 0; i < (c.wait ?? 0); i++, n++) await q.add('set-memory', setMemorySpec(hostId, `${hostId}-${n}`, n), { jobId: `${hostId}-${n}` });
  for (let i = 0; i < (c.prio ?? 0); i++, n++) await q.add('set-memory', setMemorySpec(hostId, `${hostId}-${n}`, n), { jobId: `${hostId}-${n}`, priority: 1 + i });
  for (let i = 0; i < (c.delayed ?? 0); i++, n++) await q.add('set-memory', setMemorySpec(hostId, `${hostId}-${n}`, n), { jobId: `${hostId}-${n}`, delay: 600_000 });
  if (c.active) {
    const wc = new Redis(redisSrv.url, { maxRetriesPerRequest: null });
    workerConns.push(wc);
    const w = new Worker(jobQueueName(hostId), null, { connection: wc, prefix: QUEUE_PREFIX, autorun: false });
    workers.push(w);
    for (let i = 0; i < c.active; i++) assert.ok(await w.getNextJob(`token-${i}`), `${hostId}: a job to take`);
  }
}

const HOSTS = {
  'h-empty': {},
  'h-wait': { wait: 3 },
  'h-prio': { prio: 2 },
  'h-delayed': { delayed: 2 },
  'h-active': { wait: 2, active: 1 },
  'h-mixed': { wait: 3, prio: 2, delayed: 1, active: 2 },
  'h-prio-only-active': { prio: 1, active: 1 },
};

before(async () => {
  redisSrv = await startRedis();
  conn = new Redis(redisSrv.url, { maxRetriesPerRequest: null });
  queues = new JobQueues(conn);
  for (const [h, c] of Object.entries(HOSTS)) {
    await fill(h, c);
    await new Promise((r) => setTimeout(r, 20)); // distinct timestamps between hosts
  }
});

after(async () => {
  for (const w of workers) await w.close(true);
  for (const c of workerConns) c.disconnect();
  await queues.close();
  await conn.quit();
  await redisSrv.stop();
});

test('one pipelined read of every host gives what the per-host read gives, and BullMQ\'s getJobCounts', async () => {
  const hosts = [...Object.keys(HOSTS), 'h-never-used'];
  const nowMs = Date.now() + 5000;
  const all = await queues.backlogs(hosts, nowMs);
  assert.deepEqual([...all.keys()], hosts);
  for (const h of hosts) {
    const got = all.get(h) as QueueBacklog;
    assert.deepEqual(got, await queues.backlog(h, nowMs), h);
    const c = await queues.queue(h).getJobCounts('wait', 'prioritized', 'active', 'delayed');
    assert.deepEqual({ waiting: got.waiting, active: got.active, delayed: got.delayed }, { waiting: (c['wait'] ?? 0) + (c['prioritized'] ?? 0), active: c['active'] ?? 0, delayed: c['delayed'] ?? 0 }, h);
  }
  // the figures themselves (a worker took the oldest waiting jobs first)
  assert.deepEqual({ ...all.get('h-mixed'), oldestWaitingAgeMs: 0 }, { waiting: 3, active: 2, delayed: 1, oldestWaitingAgeMs: 0 });
  assert.deepEqual(all.get('h-prio-only-active'), { waiting: 0, active: 1, delayed: 0, oldestWaitingAgeMs: 0 });
  const age = (all.get('h-wait') as QueueBacklog).oldestWaitingAgeMs;
  assert.ok(age >= 5000 && age < 60_000, `h-wait's oldest waiting job: ${age} ms`);
  assert.equal((all.get('h-delayed') as QueueBacklog).oldestWaitingAgeMs, 0);
});

test('a host id that is no queue name, or whose queue keys are not BullMQ\'s, maps to its error; the others are read', async () => {
  await conn.set(`${QUEUE_PREFIX}:${jobQueueName('h-broken')}:wait`, 'not a list');
  const all = await queues.backlogs(['h-wait', 'not a host!', 'h-broken'], Date.now());
  assert.match(String(all.get('h-broken')), /WRONGTYPE/);
  assert.equal((all.get('h-wait') as QueueBacklog).waiting, 3);
  assert.ok(all.get('not a host!') instanceof Error);
  assert.match((all.get('not a host!') as Error).message, /invalid host id/);
  assert.deepEqual(await queues.backlogs([], Date.now()), new Map());
});
