// JobQueues.outcomes (every tracked job in two round trips, read by the policy cycle every cycle) says of each job
// what the per-job read (JobQueues.status, through BullMQ's getState and getJob) says, on a real Redis with jobs
// waiting, prioritized, delayed, active, succeeded (with progress), failed after retries, and ids that name no job;
// ids that name their host (h-done's: `<base>@<host>`, as every job's since) and ids found through the index (h-open's).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker } from 'bullmq';
import { JOB_INDEX_KEY, JobQueues, QUEUE_PREFIX, jobQueueName } from '@ballast/queue';
import { jobIdOnHost } from '@ballast/domain';
import { startRedis, type RedisHandle } from '@ballast/testkit';
import { setMemorySpec } from '../test-job-spec.js';

let redisSrv: RedisHandle;
let conn: Redis;
let queues: JobQueues;
const closers: (() => Promise<unknown>)[] = [];


async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const ids: string[] = [];

before(async () => {
  redisSrv = await startRedis();
  conn = new Redis(redisSrv.url, { maxRetriesPerRequest: null });
  queues = new JobQueues(conn);
  // h-done: a worker that succeeds (reporting progress) on even jobs and fails odd ones: job 1 for good, the others
  // once, so that they wait out a retry's backoff when read
  const done = 'h-done';
  const specs = Array.from({ length: 8 }, (_, n) => setMemorySpec(done, jobIdOnHost(`${done}-${n}`, done), n));
  await queues.enqueueMany(specs);
  ids.push(...specs.map((s) => s.id));
  const wc = new Redis(redisSrv.url, { maxRetriesPerRequest: null });
  const w = new Worker(
    jobQueueName(done),
    async (job) => {
      const n = Number(String(job.id).split('@')[0]?.split('-').pop());
      await job.updateProgress({ step: 'applied', n });
      if (n === 1) throw new UnrecoverableError('refused for good');
      if (n % 2 === 1) throw new Error(`refused ${n} (attempt ${job.attemptsMade + 1})`);
      return { message: `set ${n}`, alreadyThere: false, observed: { n } };
    },
    { connection: wc, prefix: QUEUE_PREFIX, concurrency: 4 },
  );
  closers.push(() => w.close(), () => wc.quit());
  await until('the first attempts', async () => {
    const c = await queues.queue(done).getJobCounts('completed', 'delayed', 'failed');
    return (c['completed'] ?? 0) + (c['delayed'] ?? 0) + (c['failed'] ?? 0) === 8;
  });
  await w.pause(true);
  // h-open: waiting, prioritized, delayed and active jobs (taken by a worker that does not finish them)
  const open = 'h-open';
  const q = queues.queue(open);
  for (let n = 0; n < 9; n++) {
    const s = setMemorySpec(open, `${open}-${n}`, n);
    await conn.hset(JOB_INDEX_KEY, s.id, open);
    await q.add('set-memory', s, { jobId: s.id, ...(n % 3 === 1 ? { priority: n } : n % 3 === 2 ? { delay: 600_000 } : {}) });
    ids.push(s.id);
  }
  const oc = new Redis(redisSrv.url, { maxRetriesPerRequest: null });
  const taker = new Worker(jobQueueName(open), null, { connection: oc, prefix: QUEUE_PREFIX, autorun: false });
  closers.push(() => taker.close(true), () => oc.quit());
  assert.ok(await taker.getNextJob('token-1'));
  // ids that name no job: never indexed; indexed but the job removed; indexed to a host id that names no queue
  await conn.hset(JOB_INDEX_KEY, 'gone-1', open, 'bad-host-1', 'not a host!');
  ids.push('never-1', 'gone-1', 'bad-host-1');
  // h-done's ids name their host: enqueueMany indexed none of them
  assert.deepEqual(await conn.hmget(JOB_INDEX_KEY, ...specs.map((s) => s.id)), specs.map(() => null));
});

after(async () => {
  for (const c of closers) await c();
  await queues.close();
  await conn.quit();
  await redisSrv.stop();
});

test('the batched read says of every job what the per-job read says', async () => {
  const batched = await queues.outcomes(ids);
  const expected = new Map<string, unknown>();
  for (const id of ids) {
    const s = await queues.status(id).catch(() => undefined);
    if (s) {
      const { spec: _spec, ...outcome } = s;
      expected.set(id, outcome);
    }
  }
  assert.deepEqual(new Map([...batched].sort()), new Map([...expected].sort()));
  // the read covers every kind of job it should: not a comparison of two empty maps
  const states = [...batched.values()].map((o) => o.state);
  for (const st of ['queued', 'active', 'succeeded', 'failed'] as const) assert.ok(states.includes(st), `a ${st} job among ${states.join(', ')}`);
  assert.ok([...batched.values()].some((o) => o.state === 'queued' && o.error !== undefined), 'a job waiting out a retry, with the reason its attempt failed');
  const ok = batched.get(jobIdOnHost('h-done-0', 'h-done'));
  assert.deepEqual([ok?.result, ok?.progress], [{ message: 'set 0', alreadyThere: false, observed: { n: 0 } }, { step: 'applied', n: 0 }]);
  assert.ok((ok?.finishedAtMs ?? 0) > 0);
  for (const id of ['never-1', 'gone-1', 'bad-host-1']) assert.equal(batched.has(id), false, id);
  assert.equal(batched.size, ids.length - 3);
  assert.equal([...batched.keys()].filter((id) => id.endsWith('@h-done')).length, 8, 'the jobs whose ids name their host');
});

test('more jobs than one script reads (chunks), in the order asked; an empty list reads nothing', async () => {
  const many = Array.from({ length: 450 }, (_, i) => ids[i % ids.length] as string);
  const got = await queues.outcomes(many);
  assert.deepEqual([...got.keys()].sort(), [...new Set(many)].filter((id) => !['never-1', 'gone-1', 'bad-host-1'].includes(id)).sort());
  assert.equal((await queues.outcomes([])).size, 0);
});
