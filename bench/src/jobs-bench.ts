import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { JOB_SCHEMA_VERSION, type JobSpec } from '@ballast/domain';
import { SimCluster, SimHypervisor, constant, gib, mib } from '@ballast/sim';
import { JobQueues, QUEUE_PREFIX, jobQueueName } from '@ballast/queue';
import { JobRouter, startActuatorWorker } from '@ballast/actuator';
import { startRedis } from '@ballast/testkit';
import { median, type BenchRow } from './stats.js';

const silent = pino({ level: 'silent' });

async function drain(queue: Queue, n: number): Promise<void> {
  for (;;) {
    const c = await queue.getJobCounts('completed', 'failed');
    if ((c['completed'] ?? 0) + (c['failed'] ?? 0) >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Raw BullMQ: addBulk N no-op jobs, a worker with concurrency 50 completes them. */
async function rawRun(url: string, n: number): Promise<number> {
  const conn = new Redis(url, { maxRetriesPerRequest: null });
  const name = `raw-${randomUUID()}`;
  const q = new Queue(name, { connection: conn, prefix: QUEUE_PREFIX });
  const t0 = process.hrtime.bigint();
  const w = new Worker(name, async () => ({ ok: true }), { connection: conn, prefix: QUEUE_PREFIX, concurrency: 50 });
  await q.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'noop', data: { i } })));
  await drain(q, n);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await w.close();
  await q.obliterate({ force: true });
  await q.close();
  await conn.quit();
  return (n / ms) * 1000;
}

/**
 * Through Ballast's path: JobQueues.enqueueMany (validation + index) → the actuator's worker → JobRouter
 * (validation, per-VM lock) → set-cpu-tune processor (check, apply, verify) on a SimHypervisor with 200 VMs.
 */
export async function ballastRun(url: string, n: number): Promise<number> {
  const conn = new Redis(url, { maxRetriesPerRequest: null });
  const hostId = `bench-${randomUUID().slice(0, 8)}`;
  const sim = new SimCluster({ seed: 1 });
  sim.addHost({ id: hostId, pcpus: 16, memoryKiB: gib(256) });
  const vms = Array.from({ length: 200 }, (_, i) =>
    sim.createVm(hostId, { name: `vm${i}`, vcpus: 1, maxMemoryKiB: gib(2), memoryKiB: mib(512), cpu: constant(0.1), memory: constant(mib(100)) }),
  );
  const hv = new SimHypervisor(sim, `sim://${hostId}`);
  const router = new JobRouter(
    { hv, config: { minMemoryMiB: 200, guestHeadroomMiB: 64, staleStatsSec: 30, verifyTimeoutMs: 5000, migrateTimeoutMs: 5000, migrateBandwidthMiBPerSec: 0, memoryToleranceMiB: 4, budgetWaitMs: 0, hostFreeFloorMiB: 512 }, now: () => sim.wallClockMs, sleep: async (ms) => sim.advance(ms) },
    hostId,
  );
  const queues = new JobQueues(conn);
  const specs: JobSpec[] = Array.from({ length: n }, (_, i) => {
    const vm = vms[i % vms.length]!;
    return { schemaVersion: JOB_SCHEMA_VERSION, id: randomUUID(), hostId, vmUuid: vm.uuid, vmName: vm.name, source: 'policy', createdAtMs: 0, action: { type: 'set-cpu-tune', shares: 1000 + i } };
  });
  const t0 = process.hrtime.bigint();
  const w = startActuatorWorker(router, { hostId, connection: conn, concurrency: 50, lockDurationMs: 30000, stalledIntervalMs: 30000, log: silent });
  await queues.enqueueMany(specs);
  const q = queues.queue(hostId);
  await drain(q, n);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const failed = (await q.getJobCounts('failed'))['failed'] ?? 0;
  if (failed > 0) throw new Error(`${failed} bench jobs failed`);
  await w.close();
  await q.obliterate({ force: true });
  await queues.close();
  await conn.quit();
  void jobQueueName;
  return (n / ms) * 1000;
}

export async function jobsBench(n = 5000, runs = 3): Promise<BenchRow[]> {
  const redis = await startRedis();
  try {
    const raw: number[] = [];
    const ours: number[] = [];
    for (let r = 0; r < runs; r++) {
      // Alternate so drift on a noisy machine hits both alike.
      raw.push(await rawRun(redis.url, n));
      ours.push(await ballastRun(redis.url, n));
    }
    const mr = median(raw);
    const mo = median(ours);
    return [
      { bench: 'job throughput', variant: 'raw BullMQ add/complete (no-op)', median: mr, unit: 'jobs/s', runs, note: `${n} jobs, concurrency 50` },
      { bench: 'job throughput', variant: 'Ballast queue → actuator (sim)', median: mo, unit: 'jobs/s', runs, note: `ratio ${(mo / mr).toFixed(2)} of raw` },
    ];
  } finally {
    await redis.stop();
  }
}
