/**
 * The policy engine's /metrics scrape at scale, in one process without the lab (docs/scale.md, "Where it
 * breaks first" point 3): the engine's own EngineMetrics on a ClusterState fed with synthetic reports of N
 * hosts × 20 VMs (2 vCPUs each, 32 pCPUs a host), and real BullMQ queues on a real Redis (testkit) holding
 * a few jobs per host; times `registry.metrics()`:
 *
 *   before           the gauges as they were: prom-client Gauges over ClusterState.vms() (the reference copy,
 *                    cluster-gauges-reference.ts), each host's queue read with JobQueues.backlog (getJobCounts,
 *                    then the oldest waiting job of wait and prioritized: 2-4 round trips per host)
 *   after            the engine's EngineMetrics now: TextGauges over ClusterState.placedVms(), every host's
 *                    queue in one round trip (JobQueues.backlogs: a script per 200 hosts, sent together)
 *   owned (1/3)      only a third of the hosts' queues (one replica of 3 shows the hosts it owns)
 *   no queue gauges  the cluster gauges and counters alone
 *
 *   node bench/dist/main.js metrics    (METRICS_SIZES=250,1000 sizes; METRICS_RUNS=5; METRICS_VARIANTS=1,3 some
 *                                       variants; METRICS_VMS_PER_HOST=16 for 2,500 hosts / 40,000 VMs)
 */
import { ClusterState } from '@ballast/cycle';
import { JOB_SCHEMA_VERSION, type JobSpec } from '@ballast/domain';
import { EngineMetrics, registerClusterGaugesReference, registerQueueGauges, type EngineMetricsDeps } from '@ballast/policy-engine';
import { JobQueues } from '@ballast/queue';
import { createMetricsRegistry } from '@ballast/runtime';
import { hostReport, startRedis, vmReport } from '@ballast/testkit';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { median, percentile, timeMs, type BenchRow } from './stats.js';

const VMS_PER_HOST = Number(process.env.METRICS_VMS_PER_HOST ?? 20);
const JOBS_PER_HOST = 3;

/** A ClusterState holding `hosts` synthetic hosts' reports (taken now). */
function clusterOf(hosts: number, now: () => number): ClusterState {
  const state = new ClusterState({ windowSize: 30, staleAfterIntervals: 3, now });
  const pcpus = Array.from({ length: 32 }, (_, p) => ({ pcpu: p, usagePercent: (p * 7) % 100 }));
  for (let h = 0; h < hosts; h++) {
    const vms = Array.from({ length: VMS_PER_HOST }, (_, v) =>
      vmReport(`h${h}-vm${v}`, {
        cpuPercent: (h + v) % 200,
        vcpus: [0, 1].map((id) => ({ id, usagePercent: (v * 13 + id) % 100, waitPercent: id, pcpus: [id * 2, id * 2 + 1] })),
      }),
    );
    state.ingest(hostReport(`h${h}`, vms, { takenAtMs: now(), pcpuCount: 32, pcpus }));
  }
  return state;
}

/** JOBS_PER_HOST waiting jobs in each host's queue. */
async function fillQueues(queues: JobQueues, hosts: number): Promise<void> {
  const at = Date.now();
  for (let h = 0; h < hosts; h += 100) {
    const specs: JobSpec[] = [];
    for (let i = h; i < Math.min(hosts, h + 100); i++) {
      for (let j = 0; j < JOBS_PER_HOST; j++) {
        specs.push({ schemaVersion: JOB_SCHEMA_VERSION, id: `h${i}-j${j}-${at}`, hostId: `h${i}`, vmUuid: `uuid-h${i}-vm${j}`, vmName: `h${i}-vm${j}`, source: 'policy', policy: 'memory-balloon', createdAtMs: at, action: { type: 'set-memory', memoryMiB: 600 + j } });
      }
    }
    await queues.enqueueMany(specs);
  }
}

type Deps = Pick<EngineMetricsDeps, 'backlogs' | 'queueHosts'>;
/** A variant: the engine's EngineMetrics with these deps, or (before) the cluster and queue gauges as they were. */
type Variant = { name: string; before?: true; deps?: (q: JobQueues, hosts: string[]) => Deps };
const oneRead = (q: JobQueues): Deps['backlogs'] => (hs, n) => q.backlogs(hs, n);

const VARIANTS: Variant[] = [
  { name: 'before: prom-client Gauges, vms(), per-host queue reads', before: true },
  { name: 'after: TextGauges, queues in one round trip', deps: (q) => ({ backlogs: oneRead(q) }) },
  { name: 'after, queues of owned hosts (1/3)', deps: (q, hosts) => ({ backlogs: oneRead(q), queueHosts: () => hosts.filter((_, i) => i % 3 === 0) }) },
  { name: 'after, no queue gauges', deps: (q) => ({ backlogs: oneRead(q), queueHosts: () => [] }) },
];

/** The gauges as they were (commit 125f39d): the reference cluster gauges and per-host queue reads. */
function registerBefore(registry: Registry, state: ClusterState, q: JobQueues): void {
  registerClusterGaugesReference(registry, { hosts: () => state.hosts(), vms: () => state.vms(), balloonTargetKiB: () => undefined, now: Date.now });
  registerQueueGauges(registry, { hostIds: () => state.hosts().map((h) => h.hostId), backlogs: async (hs, n) => new Map(await Promise.all(hs.map(async (h) => [h, await q.backlog(h, n)] as const))), now: Date.now });
}

/** Times `runs` scrapes of one variant (after one untimed scrape: the engine's Queue objects exist by then). */
async function timeVariant(v: Variant, state: ClusterState, queues: JobQueues, runs: number): Promise<{ ms: number[]; bytes: number }> {
  const registry = createMetricsRegistry({ service: 'policy-engine', hostId: 'bench', processMetrics: false });
  const hosts = state.hosts().map((h) => h.hostId);
  if (v.before) registerBefore(registry, state, queues);
  else new EngineMetrics(registry, { state, specOf: () => undefined, leaseHeld: () => true, now: Date.now, backlogs: oneRead(queues), ...v.deps?.(queues, hosts) });
  const bytes = (await registry.metrics()).length;
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(await timeMs(() => registry.metrics()));
  return { ms, bytes };
}

export async function metricsBench(): Promise<BenchRow[]> {
  const sizes = (process.env.METRICS_SIZES ?? '250,1000,2500').split(',').map(Number);
  const runs = Number(process.env.METRICS_RUNS ?? 5);
  const rows: BenchRow[] = [];
  const redisSrv = await startRedis({ appendfsync: 'no' });
  const conn = new Redis(redisSrv.url, { maxRetriesPerRequest: null });
  try {
    for (const hosts of sizes) {
      await conn.flushall();
      const state = clusterOf(hosts, Date.now);
      const filler = new JobQueues(conn);
      await fillQueues(filler, hosts);
      await filler.close();
      const queues = new JobQueues(conn);
      const only = process.env.METRICS_VARIANTS?.split(',').map(Number); // e.g. 1,3: the second and fourth
      for (const v of VARIANTS.filter((_, i) => !only || only.includes(i))) {
        const { ms, bytes } = await timeVariant(v, state, queues, v.before && hosts > 1000 ? Math.min(runs, 3) : runs);
        rows.push({ bench: `metrics scrape ${hosts} hosts / ${hosts * VMS_PER_HOST} VMs`, variant: v.name, median: median(ms), p90: percentile(ms, 90), unit: 'ms', runs: ms.length, note: `${(bytes / 1e6).toFixed(1)} MB of text` });
      }
      await queues.close();
    }
  } finally {
    await conn.quit();
    await redisSrv.stop();
  }
  return rows;
}
