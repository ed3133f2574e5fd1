// JobQueues.enqueueMany, as a replica's cycle calls it with jobs for its 30+ hosts: every job indexed and on its
// host's queue, the hosts' adds sent at once (not one round trip after another), and a host whose add fails
// does not keep the others' jobs out. Ids that name their host (`<base>@<host>`, every job's since) are not indexed: the
// index only grew (one entry a job, none ever taken out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Queue } from 'bullmq';
import { jobIdOnHost } from '@ballast/domain';
import { JOB_INDEX_KEY, JobQueues } from '@ballast/queue';
import { setMemorySpec } from '../test-job-spec.js';
import { redisForTests } from '../test-redis.js';

const r = redisForTests();

/** Wraps each host queue's addBulk to count how many run at once; `fail`: hosts whose add rejects. */
function watchAdds(queues: JobQueues, hosts: string[], fail: ReadonlySet<string> = new Set()) {
  const seen = { inFlight: 0, most: 0 };
  for (const h of hosts) {
    const q: Queue = queues.queue(h);
    const real = q.addBulk.bind(q);
    q.addBulk = async (jobs) => {
      seen.inFlight++;
      seen.most = Math.max(seen.most, seen.inFlight);
      try {
        if (fail.has(h)) throw new Error(`${h}: the add was refused`);
        return await real(jobs);
      } finally {
        seen.inFlight--;
      }
    };
  }
  return seen;
}

test('jobs for 40 hosts: each indexed and on its own host queue, the 40 adds in flight together', async () => {
  const queues = new JobQueues(r.redis);
  const hosts = Array.from({ length: 40 }, (_, i) => `h${i}`);
  const seen = watchAdds(queues, hosts);
  const specs = hosts.flatMap((h) => [0, 1, 2].map((n) => setMemorySpec(h, `${h}-job-${n}`, n)));
  await queues.enqueueMany(specs);
  assert.equal(seen.most, 40);
  for (const s of specs) {
    const st = await queues.status(s.id);
    assert.equal(st?.spec.hostId, s.hostId, s.id);
    assert.equal(st?.spec.action.type, 'set-memory');
  }
  for (const h of hosts) assert.equal(await queues.queue(h).count(), 3, h);
  await queues.close();
});

test("one host's add failing fails the call, and the other hosts' jobs are added all the same", async () => {
  const queues = new JobQueues(r.redis);
  const hosts = ['x1', 'x2', 'x3'];
  watchAdds(queues, hosts, new Set(['x2']));
  const specs = hosts.map((h, n) => setMemorySpec(h, `${h}-job`, n));
  await assert.rejects(queues.enqueueMany(specs), /x2: the add was refused/);
  assert.equal(await queues.queue('x1').count(), 1);
  assert.equal(await queues.queue('x3').count(), 1);
  assert.equal(await queues.queue('x2').count(), 0);
  // indexed first: the lost job is findable by id as unknown to its queue, not pointing elsewhere
  assert.equal(await r.redis.hget(JOB_INDEX_KEY, 'x2-job'), 'x2');
  await queues.close();
});

test('a bad spec among good ones: nothing indexed, nothing added', async () => {
  const queues = new JobQueues(r.redis);
  const good = setMemorySpec('y1', 'y1-job', 1);
  const bad = { ...setMemorySpec('y2', 'y2-job', 2), action: { type: 'set-memory', memoryMiB: -5 } };
  await assert.rejects(queues.enqueueMany([good, bad as typeof good]), /memoryMiB/);
  assert.equal(await r.redis.hget(JOB_INDEX_KEY, 'y1-job'), null);
  assert.equal(await queues.queue('y1').count(), 0);
  await queues.close();
});

test('ids that name their host: found, listed and cancelled without the index, which gains nothing', async () => {
  const queues = new JobQueues(r.redis);
  const before = await r.redis.hlen(JOB_INDEX_KEY);
  const specs = ['z1', 'z2'].flatMap((h) => [0, 1].map((n) => setMemorySpec(h, jobIdOnHost(`${h}-job-${n}`, h), n)));
  await queues.enqueueMany(specs);
  assert.equal(await r.redis.hlen(JOB_INDEX_KEY), before, 'nothing added to the index');
  for (const s of specs) assert.equal((await queues.status(s.id))?.spec.hostId, s.hostId, s.id);
  const outcomes = await queues.outcomes(specs.map((s) => s.id));
  assert.deepEqual([...outcomes.values()].map((o) => o.state), ['queued', 'queued', 'queued', 'queued']);
  const listed = await queues.list({ hostId: 'z2' }, 10);
  assert.deepEqual(listed.map((j) => j.spec.id).sort(), specs.filter((s) => s.hostId === 'z2').map((s) => s.id).sort());
  const c = await queues.cancel(specs[0]!.id);
  assert.ok('cancelled' in c);
  assert.equal(await queues.status(specs[0]!.id), undefined);
  assert.deepEqual(await queues.cancel(jobIdOnHost('z1-job-9', 'z1')), { notFound: true });
  await queues.close();
});

test('an id that names another host than its job: refused naming the id, nothing added', async () => {
  const queues = new JobQueues(r.redis);
  const good = setMemorySpec('w1', jobIdOnHost('w1-job', 'w1'), 1);
  const wrong = setMemorySpec('w1', jobIdOnHost('w1-job-2', 'w2'), 2);
  await assert.rejects(queues.enqueueMany([good, wrong]), /^Error: id: job w1-job-2@w2 names host w2, but it is a job for host w1$/);
  assert.equal(await queues.queue('w1').count(), 0);
  assert.equal(await queues.queue('w2').count(), 0);
  await queues.close();
});
