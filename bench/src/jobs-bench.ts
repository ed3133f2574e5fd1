import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { JOB_SCHEMA_VERSION, jobIdOnHost, type JobSpec } from '@ballast/domain';
import { SimCluster, SimHypervisor, constant, gib, mib } from '@ballast/sim';
import { JobQueues, QUEUE_PREFIX, defaultJobOptions, jobQueueName } from '@ballast/queue';
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

type RawKind = 'noop' | 'ids' | 'spec' | 'spec+attempts' | 'spec+keep' | 'spec+options';

/** A job's data as the engine enqueues it (what a Ballast job carries: ~250 bytes of JSON). */
const specData = (i: number): JobSpec => ({
  schemaVersion: JOB_SCHEMA_VERSION,
  id: randomUUID(),
  hostId: 'bench-0123abcd',
  vmUuid: randomUUID(),
  vmName: `vm${i % 200}`,
  source: 'policy',
  createdAtMs: 0,
  action: { type: 'set-cpu-tune', shares: 1000 + i },
});

/**
 * Raw BullMQ: addBulk N jobs, a worker with concurrency 50 completes them doing nothing. `noop`: data {i} (the
 * baseline); `ids`: the same with a job id of ours (a UUID: Ballast's ids are derived from what was decided, so
 * that two replicas deciding the same thing enqueue one job); `spec`: a Ballast job spec as data, with its id;
 * `spec+options`: also Ballast's job options (attempts, backoff, finished jobs kept): these say how much of the gap is
 * the job itself rather than Ballast's code; `spec+attempts` and `spec+keep` each with one half of those options.
 */
export async function rawRun(url: string, n: number, kind: RawKind = 'noop'): Promise<number> {
  const conn = new Redis(url, { maxRetriesPerRequest: null });
  const name = `raw-${randomUUID()}`;
  const { attempts, backoff, removeOnComplete, removeOnFail } = defaultJobOptions;
  const opts = { 'spec+options': defaultJobOptions, 'spec+attempts': { attempts, backoff }, 'spec+keep': { removeOnComplete, removeOnFail } }[kind as string];
  const q = new Queue(name, { connection: conn, prefix: QUEUE_PREFIX, ...(opts ? { defaultJobOptions: opts } : {}) });
  const t0 = process.hrtime.bigint();
  const w = new Worker(name, async () => ({ ok: true }), { connection: conn, prefix: QUEUE_PREFIX, concurrency: 50 });
  const job = (i: number) =>
    kind === 'noop' ? { name: 'noop', data: { i } } : kind === 'ids' ? { name: 'noop', data: { i }, opts: { jobId: randomUUID() } } : { name: 'set-cpu-tune', data: specData(i), opts: { jobId: randomUUID() } };
  await q.addBulk(Array.from({ length: n }, (_, i) => job(i)));
  await drain(q, n);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await w.close();
  await q.obliterate({ force: true });
  await q.close();
  await conn.quit();
  return (n / ms) * 1000;
}

/** A simulated host of 200 VMs and the actuator's JobRouter on it, as the bench's actuator runs it. */
function simRouter(hostId: string): { router: JobRouter; vms: { uuid: string; name: string }[] } {
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
  return { router, vms };
}

/** n set-cpu-tune jobs for the VMs of `hostId` in turn, as the engine enqueues them (ids that name their host). */
function ballastSpecs(hostId: string, vms: { uuid: string; name: string }[], n: number): JobSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const vm = vms[i % vms.length]!;
    return { schemaVersion: JOB_SCHEMA_VERSION, id: jobIdOnHost(randomUUID(), hostId), hostId, vmUuid: vm.uuid, vmName: vm.name, source: 'policy', createdAtMs: 0, action: { type: 'set-cpu-tune', shares: 1000 + i } };
  });
}

/**
 * The actuator's own part of a job alone, no Redis: JobRouter.handle (the data checked, the per-VM lock, the
 * set-cpu-tune processor's read, apply and read-back on the sim) on job data as a worker hands it over, 50 at once.
 * CPU µs a job.
 */
export async function routerOnly(n: number): Promise<number> {
  const hostId = 'bench-router';
  const { router, vms } = simRouter(hostId);
  const data = Array.from({ length: n }, (_, i) => {
    const vm = vms[i % vms.length]!;
    return JSON.stringify({ schemaVersion: JOB_SCHEMA_VERSION, id: randomUUID(), hostId, vmUuid: vm.uuid, vmName: vm.name, source: 'policy', createdAtMs: 0, action: { type: 'set-cpu-tune', shares: 1000 + i } });
  });
  const c0 = process.cpuUsage();
  let next = 0;
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (next < n) await router.handle(JSON.parse(data[next++]!) as unknown);
  }));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

/**
 * Through Ballast's path: JobQueues.enqueueMany (validation + index) → the actuator's worker → JobRouter
 * (validation, per-VM lock) → set-cpu-tune processor (check, apply, verify) on a SimHypervisor with 200 VMs.
 */
export async function ballastRun(url: string, n: number): Promise<number> {
  const conn = new Redis(url, { maxRetriesPerRequest: null });
  const hostId = `bench-${randomUUID().slice(0, 8)}`;
  const { router, vms } = simRouter(hostId);
  const queues = new JobQueues(conn);
  const specs = ballastSpecs(hostId, vms, n);
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

/** CPU µs a job of each side, measured one after the other: the enqueue (all jobs added), then the worker (all done). */
interface Sides {
  enqueue: number;
  worker: number;
  redis: number;
  /** jobs/s of each side alone (wall clock): all jobs enqueued; then the queue drained by the worker. */
  enqueueRate: number;
  drainRate: number;
}

/**
 * The no-op's or Ballast's path with its two sides apart: every job enqueued first (the worker not running), then
 * the worker started and the queue drained; the CPU this process and Redis spent on each side, µs a job.
 */
export async function sidesRun(url: string, n: number, which: 'noop' | 'spec+options' | 'ours'): Promise<Sides> {
  const conn = new Redis(url, { maxRetriesPerRequest: null });
  const probe = new Redis(url);
  const hostId = `bench-${randomUUID().slice(0, 8)}`;
  const cpu = () => { const c = process.cpuUsage(); return c.user + c.system; };
  let q: Queue;
  let w: Worker;
  let enqueue: () => Promise<unknown>;
  let close: () => Promise<unknown>;
  if (which !== 'ours') {
    const name = `raw-${randomUUID()}`;
    q = new Queue(name, { connection: conn, prefix: QUEUE_PREFIX, ...(which === 'spec+options' ? { defaultJobOptions } : {}) });
    w = new Worker(name, async () => ({ ok: true }), { connection: conn, prefix: QUEUE_PREFIX, concurrency: 50, autorun: false });
    const job = (i: number) => (which === 'noop' ? { name: 'noop', data: { i } } : { name: 'set-cpu-tune', data: specData(i), opts: { jobId: randomUUID() } });
    enqueue = () => q.addBulk(Array.from({ length: n }, (_, i) => job(i)));
    close = () => q.close();
  } else {
    const { router, vms } = simRouter(hostId);
    const queues = new JobQueues(conn);
    const specs = ballastSpecs(hostId, vms, n);
    q = queues.queue(hostId);
    w = startActuatorWorker(router, { hostId, connection: conn, concurrency: 50, lockDurationMs: 30000, stalledIntervalMs: 30000, log: silent, autorun: false });
    enqueue = () => queues.enqueueMany(specs);
    close = () => queues.close();
  }
  const [c0, r0] = [cpu(), await redisCpuUs(probe)];
  const t0 = performance.now();
  await enqueue();
  const t1 = performance.now();
  const c1 = cpu();
  void w.run();
  await drain(q, n);
  const t2 = performance.now();
  const [c2, r2] = [cpu(), await redisCpuUs(probe)];
  await w.close();
  await q.obliterate({ force: true });
  await close();
  await probe.quit();
  await conn.quit();
  return { enqueue: (c1 - c0) / n, worker: (c2 - c1) / n, redis: (r2 - r0) / n, enqueueRate: (n / (t1 - t0)) * 1000, drainRate: (n / (t2 - t1)) * 1000 };
}

/**
 * What bounds the ratio. Here the bench process and Redis share 2 CPUs, so the throughput follows the whole CPU a
 * job (process + Redis): the predicted ratio is the no-op's whole CPU a job over Ballast's (a projection from this
 * run's medians, to compare with the measured one). Deployed, the engine (enqueue), the actuator (worker) and Redis
 * run on CPUs of their own: the sides measured apart (sidesRun: the queue filled, then drained, so only the worker
 * and Redis run at once, each on a CPU) say which side bounds each path, and what it costs a job.
 */
function bounds(noop: { node: number[]; redis: number[] }, ours: { node: number[]; redis: number[] }, sides: Record<'noop' | 'spec+options' | 'ours', Sides[]>, runs: number): BenchRow[] {
  const [pn, pr, on, or] = [median(noop.node), median(noop.redis), median(ours.node), median(ours.redis)];
  const med = (xs: Sides[]): Sides => {
    const m = (k: keyof Sides) => median(xs.map((x) => x[k]));
    return { enqueue: m('enqueue'), worker: m('worker'), redis: m('redis'), enqueueRate: m('enqueueRate'), drainRate: m('drainRate') };
  };
  const [a, c, b] = [med(sides.noop), med(sides['spec+options']), med(sides.ours)];
  const show = (x: Sides) => `CPU a job: enqueue ${Math.round(x.enqueue)} µs, worker ${Math.round(x.worker)} µs, Redis ${Math.round(x.redis)} µs (both sides)`;
  const row = (variant: string, value: number, note: string): BenchRow => ({ bench: 'job throughput', variant, median: value, unit: 'ratio', runs, note });
  const drained = (variant: string, x: Sides, xs: Sides[], vs: string): BenchRow => ({ bench: 'job throughput', variant, median: x.drainRate, unit: 'jobs/s', runs, note: `${vs}enqueued alone first: ${Math.round(x.enqueueRate)} jobs/s; ${show(x)}; runs ${xs.map((y) => Math.round(y.drainRate)).join(', ')}` });
  return [
    row('Ballast / raw no-op predicted here (whole CPU a job, 2 shared CPUs)', (pn + pr) / (on + or), `(${Math.round(pn)} + ${Math.round(pr)}) / (${Math.round(on)} + ${Math.round(or)}) µs a job; compare the measured ratio above`),
    drained('raw BullMQ no-op, a full queue drained (the worker and Redis each on a CPU)', a, sides.noop, ''),
    drained("raw BullMQ, the spec and Ballast's job options, a full queue drained", c, sides['spec+options'], `ratio ${(c.drainRate / a.drainRate).toFixed(2)} of the no-op's; `),
    drained("Ballast, a full queue drained by the actuator's worker", b, sides.ours, `ratio ${(b.drainRate / a.drainRate).toFixed(2)} of the no-op's, ${(b.drainRate / c.drainRate).toFixed(2)} of raw with the same jobs; `),
  ];
}

/** Redis's own CPU time so far (INFO cpu: user + sys), µs. */
async function redisCpuUs(conn: Redis): Promise<number> {
  const info = await conn.info('cpu');
  const f = (k: string): number => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (f('used_cpu_user') + f('used_cpu_sys')) * 1e6;
}

type Kind = RawKind | 'ours';

/**
 * Each variant's jobs/s, and the CPU a job cost this process (enqueue and worker: process.cpuUsage) and Redis (INFO
 * cpu), µs: on 2 cores both are near saturation, so where a variant's extra CPU goes says where the gap goes.
 */
export async function jobsBench(n = 5000, runs = 7): Promise<BenchRow[]> {
  const redis = await startRedis();
  const probe = new Redis(redis.url);
  try {
    const all: Kind[] = ['noop', 'ids', 'spec', 'spec+attempts', 'spec+keep', 'spec+options', 'ours'];
    // JOBS_VARIANTS=spec,ours: only these beside the raw no-op (and spec+options, the ratio's other base)
    const picked = process.env['JOBS_VARIANTS']?.split(',').map((v) => v.trim());
    for (const v of picked ?? []) if (!all.includes(v as Kind)) throw new Error(`JOBS_VARIANTS: unknown variant "${v}" (one of ${all.join(', ')})`);
    const kinds = picked ? all.filter((k) => k === 'noop' || k === 'spec+options' || picked.includes(k)) : all;
    const xs = Object.fromEntries(kinds.map((k) => [k, { rate: [] as number[], node: [] as number[], redis: [] as number[] }])) as Record<Kind, { rate: number[]; node: number[]; redis: number[] }>;
    await rawRun(redis.url, n); // warm-up: the first run of a fresh Redis and process is slow
    for (let r = 0; r < runs; r++) {
      // Alternate so drift on a noisy machine hits all alike.
      for (const k of kinds) {
        const c0 = process.cpuUsage();
        const r0 = await redisCpuUs(probe);
        xs[k].rate.push(k === 'ours' ? await ballastRun(redis.url, n) : await rawRun(redis.url, n, k));
        const c = process.cpuUsage(c0);
        xs[k].redis.push(((await redisCpuUs(probe)) - r0) / n);
        xs[k].node.push((c.user + c.system) / n);
      }
    }
    const m = (k: Kind) => median(xs[k].rate);
    const cpu = (k: Kind) => `CPU a job: this process ${Math.round(median(xs[k].node))} µs, Redis ${Math.round(median(xs[k].redis))} µs`;
    const of = (k: Kind) => `ratio ${(m(k) / m('noop')).toFixed(2)} of raw no-op; ${cpu(k)}; runs ${xs[k].rate.map(Math.round).join(', ')}`;
    const row = (k: Kind, variant: string, note: string): BenchRow => ({ bench: 'job throughput', variant, median: m(k), unit: 'jobs/s', runs, note });
    const rows: [Kind, () => BenchRow][] = [
      ['noop', () => row('noop', 'raw BullMQ add/complete (no-op)', `${n} jobs, concurrency 50; ${cpu('noop')}; runs ${xs.noop.rate.map(Math.round).join(', ')}`)],
      ['ids', () => row('ids', 'raw BullMQ, job ids of ours (UUIDs)', of('ids'))],
      ['spec', () => row('spec', 'raw BullMQ, a Ballast job spec as data', of('spec'))],
      ['spec+attempts', () => row('spec+attempts', 'raw BullMQ, the spec, attempts and backoff', of('spec+attempts'))],
      ['spec+keep', () => row('spec+keep', 'raw BullMQ, the spec, finished jobs kept (age, count)', of('spec+keep'))],
      ['spec+options', () => row('spec+options', "raw BullMQ, the spec and Ballast's job options", of('spec+options'))],
      ['ours', () => row('ours', 'Ballast queue → actuator (sim)', `${of('ours')}; ${(m('ours') / m('spec+options')).toFixed(2)} of raw with the same jobs`)],
    ];
    const alone: number[] = [];
    for (let r = 0; r < runs; r++) alone.push(await routerOnly(n));
    const path: BenchRow = {
      bench: 'job throughput',
      variant: "the actuator's part alone (JobRouter.handle on the sim, no Redis)",
      median: median(alone),
      unit: 'CPU µs/job',
      runs,
      note: `data checked, per-VM lock, set-cpu-tune read/apply/read-back; ${kinds.includes('ours') ? `Ballast's run cost this process ${Math.round(median(xs.ours.node) - median(xs['spec+options'].node))} µs a job more than raw with the same jobs; ` : ''}runs ${alone.map((x) => x.toFixed(1)).join(', ')}`,
    };
    const sides = { noop: [] as Sides[], 'spec+options': [] as Sides[], ours: [] as Sides[] };
    if (kinds.includes('ours')) for (let r = 0; r < runs; r++) for (const k of ['noop', 'spec+options', 'ours'] as const) sides[k].push(await sidesRun(redis.url, n, k));
    return [...rows.filter(([k]) => kinds.includes(k)).map(([, r]) => r()), path, ...(kinds.includes('ours') ? bounds(xs.noop, xs.ours, sides, runs) : [])];
  } finally {
    await probe.quit();
    await redis.stop();
  }
}
