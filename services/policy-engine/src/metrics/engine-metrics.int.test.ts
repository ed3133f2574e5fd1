// The engine's metrics on a real Redis: cluster gauges from ingested reports, queue depth and age from real
// BullMQ queues, outcomes of jobs a worker finished; and `promtool check metrics` finds nothing to say.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker } from 'bullmq';
import { JobTracker } from '@ballast/cycle';
import { JOB_SCHEMA_VERSION, type JobSpec } from '@ballast/domain';
import { QUEUE_PREFIX, jobQueueName } from '@ballast/queue';
import { createMetricsRegistry } from '@ballast/runtime';
import { hostReport, promtoolCheckMetrics, vmReport } from '@ballast/testkit';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { EngineMetrics } from './engine-metrics.js';

let engine: TestEngine;
const registry = createMetricsRegistry({ service: 'policy-engine', hostId: 'engine-1' });
const tracker = new JobTracker();
let metrics: EngineMetrics;

const spec = (id: string, vm: string, action: JobSpec['action'], enqueuedAgoMs = 0): JobSpec => ({
  schemaVersion: JOB_SCHEMA_VERSION,
  id,
  hostId: 'h1',
  vmUuid: `uuid-${vm}`,
  vmName: vm,
  source: 'policy',
  policy: 'memory-balloon',
  createdAtMs: Date.now() - enqueuedAgoMs,
  action,
});

before(async () => {
  engine = await startTestEngine(300000);
  metrics = new EngineMetrics(registry, {
    state: engine.state,
    backlogs: (hosts, nowMs) => engine.queues.backlogs(hosts, nowMs),
    specOf: (id) => tracker.spec(id),
    leaseHeld: () => true,
    now: () => Date.now(),
  });
  const ksm = { run: 'run' as const, pagesToScan: 100, sleepMillisecs: 20, pagesShared: 10, pagesSharing: 40, pagesUnshared: 5, pagesVolatile: 1, fullScans: 3, ksmdCpuPercent: 2 };
  const now = Date.now();
  engine.state.ingest(hostReport('h1', [vmReport('web', { vcpus: [{ id: 0, usagePercent: 50, waitPercent: 5, pcpus: [0, 1] }, { id: 1, usagePercent: 30, pcpus: [0, 1] }] }), vmReport('db')], { takenAtMs: now, ksm }));
  engine.state.ingest(hostReport('h2', [vmReport('cache', { cpuPercent: 150 })], { takenAtMs: now }));
  metrics.sampleReceived('h1');
  metrics.sampleReceived('h2');
});

after(async () => {
  await engine.stop();
});

async function text(): Promise<string> {
  return registry.metrics();
}

/** The value of one series, by its metric name and labels in the order prom-client writes them. */
function value(t: string, series: string): number | undefined {
  const line = t.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('per-VM and per-host gauges come from the reports, named as prometheus-libvirt-exporter names them where they overlap', async () => {
  const t = await text();
  const web = 'host="h1",domain="web",service="policy-engine"';
  assert.equal(value(t, `libvirt_domain_info_memory_usage_bytes{${web}}`), 512 * 1024 * 1024);
  assert.equal(value(t, `libvirt_domain_info_maximum_memory_bytes{${web}}`), 2048 * 1024 * 1024);
  assert.equal(value(t, `libvirt_domain_memory_stats_unused_bytes{${web}}`), 300 * 1024 * 1024);
  assert.equal(value(t, `libvirt_domain_info_virtual_cpus{${web}}`), 2);
  assert.equal(value(t, `ballast_domain_vcpu_usage_ratio{host="h1",domain="web",vcpu="0",service="policy-engine"}`), 0.5);
  assert.equal(value(t, `ballast_domain_vcpu_wait_ratio{host="h1",domain="web",vcpu="0",service="policy-engine"}`), 0.05);
  // a vCPU without wait figures has no wait series
  assert.equal(value(t, `ballast_domain_vcpu_wait_ratio{host="h1",domain="web",vcpu="1",service="policy-engine"}`), undefined);
  assert.equal(value(t, 'ballast_domain_cpu_usage_ratio{host="h2",domain="cache",service="policy-engine"}'), 1.5);
  assert.equal(value(t, 'ballast_host_cpu_usage_ratio{host="h1",cpu="0",service="policy-engine"}'), 0.2);
  assert.equal(value(t, 'ballast_host_memory_free_bytes{host="h1",service="policy-engine"}'), 20 * 1024 ** 3);
  assert.equal(value(t, 'ballast_host_vms{host="h1",service="policy-engine"}'), 2);
  assert.equal(value(t, 'ballast_host_stale{host="h2",service="policy-engine"}'), 0);
  assert.equal(value(t, 'ballast_host_ksm_pages_sharing{host="h1",service="policy-engine"}'), 40);
  assert.equal(value(t, 'ballast_host_ksm_run{host="h1",service="policy-engine"}'), 1);
  // h2 reports no KSM: no KSM series for it
  assert.equal(value(t, 'ballast_host_ksm_pages_sharing{host="h2",service="policy-engine"}'), undefined);
  assert.equal(value(t, 'ballast_hosts{service="policy-engine",host="engine-1"}'), 2);
  assert.equal(value(t, 'ballast_vms{service="policy-engine",host="engine-1"}'), 3);
  assert.equal(value(t, 'ballast_samples_received_total{host="h1",service="policy-engine"}'), 1);
});

test('queue depth and the age of the oldest waiting job per host; the last balloon target sent', async () => {
  const jobs = [
    spec('job-mem', 'web', { type: 'set-memory', memoryMiB: 600 }, 5000),
    spec('job-pin', 'db', { type: 'pin-vcpu', vcpu: 0, pcpus: [1] }),
  ];
  // BullMQ stamps a job when it is added: the first waits a second before the second is added
  await engine.queues.enqueueMany([jobs[0] as JobSpec]);
  await new Promise((r) => setTimeout(r, 1000));
  await engine.queues.enqueueMany([jobs[1] as JobSpec]);
  for (const j of jobs) tracker.add(j, Date.now());
  metrics.cycleDone({ decisions: [{ policy: 'memory-balloon', atMs: Date.now(), kind: 'grow', reason: 'r', vmUuid: 'uuid-web' }], enqueued: jobs, outcomes: new Map() }, 0.02);
  const t = await text();
  assert.equal(value(t, 'ballast_queue_jobs{host="h1",state="waiting",service="policy-engine"}'), 2);
  assert.equal(value(t, 'ballast_queue_jobs{host="h2",state="waiting",service="policy-engine"}'), 0);
  const age = value(t, 'ballast_queue_oldest_waiting_age_seconds{host="h1",service="policy-engine"}') ?? -1;
  assert.ok(age >= 1 && age < 30, `oldest waiting age ${age} s: the first job's`);
  assert.equal(value(t, 'ballast_queue_oldest_waiting_age_seconds{host="h2",service="policy-engine"}'), 0);
  assert.equal(value(t, 'ballast_domain_balloon_target_bytes{host="h1",domain="web",service="policy-engine"}'), 600 * 1024 * 1024);
  assert.equal(value(t, 'ballast_decisions_total{policy="memory-balloon",kind="grow",service="policy-engine",host="engine-1"}'), 1);
  assert.equal(value(t, 'ballast_policy_jobs_enqueued_total{policy="memory-balloon",type="pin-vcpu",service="policy-engine",host="engine-1"}'), 1);
});

test('outcomes of finished jobs count by type and state; then promtool check metrics is clean', async () => {
  const conn = new Redis(engine.redisSrv.url, { maxRetriesPerRequest: null });
  const worker = new Worker(
    jobQueueName('h1'),
    async (job) => {
      if (job.name === 'pin-vcpu') throw new UnrecoverableError('db is not running on this host');
      return { message: 'balloon at 600 MiB', alreadyThere: false };
    },
    { connection: conn, prefix: QUEUE_PREFIX },
  );
  try {
    const changed = new Map<string, unknown>();
    for (let i = 0; i < 100 && changed.size < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const seen = tracker.update(await engine.queues.outcomes(tracker.pendingIds()), Date.now());
      for (const [id, o] of seen) if (o.state === 'succeeded' || o.state === 'failed') changed.set(id, o);
      if (seen.size > 0) metrics.cycleDone({ decisions: [], enqueued: [], outcomes: seen }, 0.01);
    }
    assert.equal(changed.size, 2);
  } finally {
    await worker.close();
    await conn.quit();
  }
  const t = await text();
  assert.equal(value(t, 'ballast_job_outcomes_total{type="set-memory",state="succeeded",service="policy-engine",host="engine-1"}'), 1);
  assert.equal(value(t, 'ballast_job_outcomes_total{type="pin-vcpu",state="failed",service="policy-engine",host="engine-1"}'), 1);
  assert.equal(value(t, 'ballast_queue_jobs{host="h1",state="waiting",service="policy-engine"}'), 0);
  const check = promtoolCheckMetrics(t);
  assert.deepEqual(check.problems, [], `promtool check metrics:\n${check.lines.join('\n')}`);
});
