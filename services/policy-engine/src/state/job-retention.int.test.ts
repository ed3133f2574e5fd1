// The finished jobs each host's queue keeps (BALLAST_JOBS_KEPT, BALLAST_JOBS_KEPT_HOURS): set on each job as the
// engine enqueues it, applied by BullMQ as jobs finish, on a real Redis; the settings read and checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker } from 'bullmq';
import { jobIdOnHost } from '@ballast/domain';
import { DEFAULT_JOB_RETENTION, JobQueues, QUEUE_PREFIX, jobQueueName } from '@ballast/queue';
import { loadConfig } from '@ballast/runtime';
import { engineConfigSchema } from '../engine-config.js';
import { setMemorySpec } from '../test-job-spec.js';
import { redisForTests } from '../test-redis.js';

const r = redisForTests();

test('a queue keeps the newest `count` succeeded and failed jobs; the rest are removed as jobs finish', async () => {
  const queues = new JobQueues(r.redis, () => {}, { count: 3, ageSec: 3600 });
  const host = 'keep3';
  const specs = Array.from({ length: 10 }, (_, n) => setMemorySpec(host, jobIdOnHost(`j${n}`, host), n));
  await queues.enqueueMany(specs);
  const wc = new Redis(r.srv.url, { maxRetriesPerRequest: null });
  // jobs 0-5 succeed, 6-9 fail for good
  const w = new Worker(jobQueueName(host), async (job) => {
    if (Number(String(job.id).slice(1).split('@')[0]) >= 6) throw new UnrecoverableError('refused');
    return { message: 'ok', alreadyThere: false, observed: {} };
  }, { connection: wc, prefix: QUEUE_PREFIX, concurrency: 1 });
  const q = queues.queue(host);
  for (let i = 0; i < 400; i++) {
    const c = await q.getJobCounts('wait', 'active');
    if ((c['wait'] ?? 0) + (c['active'] ?? 0) === 0) break;
    await new Promise((res) => setTimeout(res, 25));
  }
  await w.close();
  await wc.quit();
  const counts = await q.getJobCounts('completed', 'failed');
  assert.deepEqual([counts['completed'], counts['failed']], [3, 3]);
  assert.deepEqual((await q.getJobs(['completed'])).map((j) => j.id).sort(), ['j3@keep3', 'j4@keep3', 'j5@keep3']);
  assert.equal(await queues.status('j0@keep3'), undefined, 'an older job is gone');
  assert.deepEqual((await q.getJob('j5@keep3'))?.opts.removeOnComplete, { age: 3600, count: 3 });
  await queues.close();
});

test('the default: 5,000 jobs, a week; BALLAST_JOBS_KEPT and BALLAST_JOBS_KEPT_HOURS read, bad values refused naming them', async () => {
  const queues = new JobQueues(r.redis);
  const spec = setMemorySpec('keepdef', jobIdOnHost('d1', 'keepdef'), 1);
  await queues.enqueueMany([spec]);
  const job = await queues.queue('keepdef').getJob(spec.id);
  assert.deepEqual([job?.opts.removeOnComplete, job?.opts.removeOnFail], [{ age: 604800, count: 5000 }, { age: 604800, count: 5000 }]);
  assert.deepEqual(DEFAULT_JOB_RETENTION, { count: 5000, ageSec: 604800 });
  await queues.close();
  const load = (env: Record<string, string>) => loadConfig(engineConfigSchema, { env, file: null });
  assert.deepEqual([load({}).jobsKept, load({}).jobsKeptHours], [5000, 168]);
  assert.deepEqual([load({ BALLAST_JOBS_KEPT: '200', BALLAST_JOBS_KEPT_HOURS: '24' }).jobsKept, load({ BALLAST_JOBS_KEPT_HOURS: '24' }).jobsKeptHours], [200, 24]);
  assert.throws(() => load({ BALLAST_JOBS_KEPT: '0' }), /BALLAST_JOBS_KEPT/);
  assert.throws(() => load({ BALLAST_JOBS_KEPT_HOURS: '0.5' }), /BALLAST_JOBS_KEPT_HOURS/);
});
