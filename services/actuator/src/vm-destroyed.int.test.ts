// A guest destroyed while a job for it runs: the job fails once, with the reason, and is not retried
// (BullMQ's attempts are 3 with a 1 s back-off: the router makes the failure an UnrecoverableError). Real
// BullMQ on a real Redis, the actuator's worker and router, libvirt's test driver through the binding (this
// file owns its process's test:///default, shared by every connection in the process).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { Hypervisor } from '@ballast/hypervisor';
import { LibvirtHypervisor } from '@ballast/hypervisor';
import type { JobOutcome, JobSpec } from '@ballast/domain';
import { JobQueues } from '@ballast/queue';
import { startRedis, type RedisHandle } from '@ballast/testkit';
import { startActuatorWorker } from './actuator-worker.js';
import { JobRouter } from './job-router.js';
import { TEST_PROCESSOR_CONFIG } from './processors/test-config.js';

const TEST_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';
const OTHER_UUID = '6695eb01-f6a4-8304-79aa-97f2502e1940';
const HOST = 'h1';

let redisServer: RedisHandle;
let redis: Redis;
let queues: JobQueues;
let hv: LibvirtHypervisor;
const workers: Worker[] = [];

before(async () => {
  redisServer = await startRedis();
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  queues = new JobQueues(redis);
  // 'live', as the actuator on a real host: a live change of a domain that is not running is refused
  hv = await LibvirtHypervisor.open('test:///default', { affect: 'live' });
});

after(async () => {
  for (const w of workers) await w.close();
  await queues?.close();
  await redis?.quit();
  await hv?.close();
  await redisServer?.stop();
});

/** A worker on HOST's queue whose router sees `hv` (the actuator's, possibly wrapped); closed after the test. */
function worker(t: { after(fn: () => Promise<void>): void }, h: Hypervisor, config = TEST_PROCESSOR_CONFIG): void {
  const router = new JobRouter({ hv: h, config, now: () => Date.now(), sleep: (ms) => sleep(ms), budgetGrows: new Map() }, HOST);
  const log = pino({ level: 'silent' });
  const w = startActuatorWorker(router, { hostId: HOST, connection: redis, concurrency: 2, lockDurationMs: 30000, stalledIntervalMs: 30000, log });
  workers.push(w);
  t.after(() => w.close());
}

/** `hv` with `setMemory` replaced (every other call goes to hv itself). */
function withSetMemory(setMemory: Hypervisor['setMemory']): Hypervisor {
  return new Proxy(hv, {
    get(target, p) {
      if (p === 'setMemory') return setMemory;
      const v = Reflect.get(target, p, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as unknown as Hypervisor;
}

const spec = (action: JobSpec['action']): JobSpec => ({ schemaVersion: 1, id: randomUUID(), hostId: HOST, vmUuid: TEST_UUID, vmName: 'test', source: 'policy', policy: 'memory-balloon', createdAtMs: Date.now(), action });

async function finished(id: string, timeoutMs: number): Promise<JobOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const o = (await queues.outcomes([id])).get(id);
    if (o && (o.state === 'failed' || o.state === 'succeeded')) return o;
    if (Date.now() > deadline) throw new Error(`job ${id} not finished within ${timeoutMs} ms: ${JSON.stringify(o)}`);
    await sleep(50);
  }
}

/** The job stays as it ended: no retry comes after the back-off (1 s, then 2 s) — waited out here. */
async function assertNoRetry(id: string): Promise<JobOutcome> {
  await sleep(3500);
  const o = (await queues.outcomes([id])).get(id);
  assert.deepEqual([o?.state, o?.attempts], ['failed', 1], JSON.stringify(o));
  return o as JobOutcome;
}

async function restart(uuid: string): Promise<void> {
  if ((await hv.vmStats(uuid, { balloon: false, vcpu: false })).state !== 'running') await hv.connection.create(uuid);
}

test('destroyed between the read and the balloon change: libvirt refuses, the job fails once saying the VM stopped, no retry', async (t) => {
  t.after(() => restart(TEST_UUID));
  let destroyedAt = 0;
  worker(
    t,
    withSetMemory(async (uuid, kib) => {
      await hv.connection.destroy(uuid); // the guest goes away while its job runs
      destroyedAt = Date.now();
      return hv.setMemory(uuid, kib);
    }),
  );
  const job = spec({ type: 'set-memory', memoryMiB: 3000 });
  await queues.enqueue(job);
  const o = await finished(job.id, 15000);
  assert.ok(destroyedAt > 0, 'the guest was destroyed during the job');
  assert.equal(o.state, 'failed');
  assert.match(o.error ?? '', /^VM test is shutoff: it stopped while the job ran \(.*domain is not running/);
  await assertNoRetry(job.id);
});

test('destroyed while the job waits (a grow waiting for a release under a host budget): it fails at once, once, naming the stop', async (t) => {
  // another running domain holds most of the budget, so the grow waits for a release that never comes
  const xml = (await hv.connection.getXMLDesc(TEST_UUID)).replace(/<name>test<\/name>/, '<name>other</name>').replace(/<uuid>[^<]+<\/uuid>/, `<uuid>${OTHER_UUID}</uuid>`);
  await hv.connection.defineXML(xml);
  await hv.connection.create(OTHER_UUID);
  t.after(async () => {
    await restart(TEST_UUID);
    await hv.connection.destroy(OTHER_UUID).catch(() => undefined);
    await hv.connection.undefine(OTHER_UUID).catch(() => undefined);
  });
  const before = (await hv.vmStats(TEST_UUID, { balloon: true, vcpu: false })).balloon?.currentKiB ?? 0;
  const otherMiB = Math.round(((await hv.vmStats(OTHER_UUID, { balloon: true, vcpu: false })).balloon?.currentKiB ?? 0) / 1024);
  worker(t, hv, { ...TEST_PROCESSOR_CONFIG, budgetWaitMs: 20000 });
  const job = spec({ type: 'set-memory', memoryMiB: Math.round(before / 1024) + 512, hostBudgetMiB: otherMiB + Math.round(before / 1024) + 8 });
  await queues.enqueue(job);
  await waitActive(job.id);
  await sleep(300); // waiting for the budget now
  const destroyedAt = Date.now();
  await hv.connection.destroy(TEST_UUID);
  const o = await finished(job.id, 15000);
  assert.equal(o.state, 'failed');
  assert.equal(o.error, 'VM test is shutoff: it stopped while its grow waited for the host budget');
  // one budget poll (250 ms) later, not at the end of the 20 s wait
  assert.ok((o.finishedAtMs ?? Infinity) - destroyedAt < 3000, `failed ${(o.finishedAtMs ?? NaN) - destroyedAt} ms after the destroy`);
  await assertNoRetry(job.id);
});

async function waitActive(id: string): Promise<void> {
  const deadline = Date.now() + 10000;
  while ((await queues.outcomes([id])).get(id)?.state !== 'active') {
    if (Date.now() > deadline) throw new Error(`job ${id} never became active`);
    await sleep(20);
  }
}
