// Outcomes flow back through the real queue: a policy's jobs go through BullMQ on a real Redis, a worker
// (standing in for the actuator) finishes them, and the engine's next cycle records each outcome against
// the decision that made the job, and shows it to the policy in its snapshot.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker } from 'bullmq';
import { PolicyRegistry, type JobRecord, type JobSpec, type Policy } from '@ballast/domain';
import { ClusterState, PolicyCycle } from '@ballast/cycle';
import { JobQueues, QUEUE_PREFIX, jobQueueName } from '@ballast/queue';
import { hostReport, startRedis, vmReport, type RedisHandle } from '@ballast/testkit';
import { DecisionLog } from './decision-log.js';
import { HoldStore } from './hold-store.js';

let srv: RedisHandle;
let redis: Redis;

before(async () => {
  srv = await startRedis();
  redis = new Redis(srv.url, { maxRetriesPerRequest: null });
});
after(async () => {
  await redis.quit();
  await srv.stop();
});

test('job outcomes reach the decisions and the next snapshot', async () => {
  const seen: JobRecord[][] = [];
  const grow: Policy<unknown> = {
    name: 'grow',
    order: 1,
    defaults: {},
    validate: () => ({ ok: true, args: {} }),
    plan: (s) => {
      seen.push(s.jobs);
      return {
        jobs: s.vms.map((v) => ({ hostId: v.hostId, vmUuid: v.uuid, vmName: v.name, action: { type: 'set-memory' as const, memoryMiB: 600 }, reason: 'grow' })),
        decisions: s.vms.map((v) => ({ vmUuid: v.uuid, hostId: v.hostId, kind: 'grow', reason: 'to 600' })),
      };
    },
  };
  const holds = new HoldStore(redis);
  const state = new ClusterState({ windowSize: 5, staleAfterIntervals: 100, now: Date.now }, holds);
  const queues = new JobQueues(redis);
  const log = new DecisionLog();
  const cycle = new PolicyCycle(new PolicyRegistry().register(grow), [{ name: 'grow', args: {}, automation: 'auto' }], {
    state,
    holds,
    enqueue: (specs) => queues.enqueueMany(specs),
    outcomes: (ids) => queues.outcomes(ids),
    newId: () => randomUUID(),
  });
  const conn = new Redis(srv.url, { maxRetriesPerRequest: null });
  const worker = new Worker(
    jobQueueName('h1'),
    async (job) => {
      if ((job.data as JobSpec).vmName === 'b') throw new UnrecoverableError('VM b no longer exists on this host');
      return { message: 'balloon at 600 MiB', alreadyThere: false };
    },
    { connection: conn, prefix: QUEUE_PREFIX },
  );
  try {
    state.ingest(hostReport('h1', [vmReport('a'), vmReport('b')], { takenAtMs: Date.now() }));
    const first = await cycle.run();
    log.add(first.decisions);
    assert.equal(first.enqueued.length, 2);
    let outcomes = 0;
    for (let i = 0; i < 50 && outcomes < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await cycle.run();
      log.applyOutcomes(r.outcomes);
      outcomes += r.outcomes.size;
    }
    const byVm = Object.fromEntries(log.list({ kind: 'grow' }).map((d) => [d.vmUuid, d.jobs?.find((j) => j.id !== undefined)]));
    assert.deepEqual([byVm['uuid-a']?.state, byVm['uuid-a']?.result?.message], ['succeeded', 'balloon at 600 MiB']);
    assert.deepEqual([byVm['uuid-b']?.state, byVm['uuid-b']?.error], ['failed', 'VM b no longer exists on this host']);
    const last = seen[seen.length - 1] ?? [];
    assert.ok(last.some((j) => j.vmUuid === 'uuid-b' && j.state === 'failed' && j.error === 'VM b no longer exists on this host'), JSON.stringify(last));
  } finally {
    await worker.close();
    await conn.quit();
    await queues.close();
  }
});

test('two replicas deciding on the same sample: one job per decision in the queue, run once (derived job ids)', async () => {
  const grow: Policy<unknown> = {
    name: 'grow',
    order: 1,
    defaults: {},
    validate: () => ({ ok: true, args: {} }),
    plan: (s) => ({
      jobs: s.vms.map((v) => ({ hostId: v.hostId, vmUuid: v.uuid, vmName: v.name, action: { type: 'set-memory' as const, memoryMiB: 640 }, reason: 'grow' })),
      decisions: [],
    }),
  };
  const report = hostReport('h2', [vmReport('a'), vmReport('b')], { takenAtMs: Date.now() });
  // the replicas receive the sample at different times (one from its collector, the other from the stream)
  const replicas = [0, 1].map((i) => {
    const holds = new HoldStore(redis);
    const state = new ClusterState({ windowSize: 5, staleAfterIntervals: 100, now: () => Date.now() + 7 * i }, holds);
    state.ingest(report);
    const queues = new JobQueues(redis);
    const cycle = new PolicyCycle(new PolicyRegistry().register(grow), [{ name: 'grow', args: {}, automation: 'auto' }], {
      state,
      holds,
      enqueue: (specs) => queues.enqueueMany(specs),
      outcomes: (ids) => queues.outcomes(ids),
    });
    return { cycle, queues };
  });
  const ran: string[] = [];
  const conn = new Redis(srv.url, { maxRetriesPerRequest: null });
  const worker = new Worker(jobQueueName('h2'), async (job) => (ran.push(job.id as string), { message: 'ok', alreadyThere: false }), { connection: conn, prefix: QUEUE_PREFIX });
  try {
    const [a, b] = await Promise.all(replicas.map((r) => r.cycle.run()));
    assert.deepEqual(b?.enqueued.map((s) => s.id), a?.enqueued.map((s) => s.id));
    const ids = (a?.enqueued ?? []).map((s) => s.id);
    assert.equal(ids.length, 2);
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        if (ran.length < 2 && Date.now() - t0 <= 10000) return;
        clearInterval(poll);
        if (ran.length >= 2) resolve();
        else reject(new Error(`ran ${ran.length} of 2`));
      }, 50);
    });
    await new Promise((r) => setTimeout(r, 500)); // a doubled job would run by now
    assert.deepEqual([...ran].sort(), [...ids].sort(), 'each job ran once');
    const counts = await replicas[0]?.queues.queue('h2').getJobCounts('completed', 'waiting', 'active');
    assert.deepEqual(counts, { completed: 2, waiting: 0, active: 0 });
  } finally {
    await worker.close();
    await conn.quit();
    await Promise.all(replicas.map((r) => r.queues.close()));
  }
});
