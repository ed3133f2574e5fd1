/**
 * make bench scale: N simulated hosts × 20 VMs on the simulator server, their real collectors (HostSampler +
 * SampleStream over gRPC, in groups of GROUP_HOSTS per process: scale-collectors.ts), 3 policy-engine replicas
 * (real processes) and one Redis. Per replica: the cycle time p50/p99 (ballast_policy_cycle_seconds between two
 * scrapes), the hosts it owns, RSS and CPU; sample-to-job latency (ballast_sample_to_job_seconds); Redis ops/s
 * and memory. On the main size, one replica is then killed with SIGKILL: the failover time (until the others own
 * every host: /healthz details.hostsOwned) and the cycles its hosts missed. Then sizes up and down to find the
 * largest host count whose slowest replica keeps p99 < 1 s (docs/scale.md).
 *
 *   nice -n 10 node bench/dist/main.js scale                    # main size + failover, then the sweep (make bench ARGS=scale)
 *   SCALE_SIZES=250,500 nice -n 10 node bench/dist/main.js scale # other sweep sizes ('' for none)
 *   SCALE_MAIN_HOSTS=30 SCALE_SIZES= node bench/dist/main.js scale # a quick try of the harness
 *   SCALE_REDIS_FIRST=0 …                                        # Redis at the same priority as the rest (othersNicer)
 *   SCALE_LEASE_TTL_MS=20000 …                                   # the engines' host-lease TTL (default 6000, the engine's)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { getPriority, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRedis } from '@ballast/testkit';
import { cpuSeconds, lastCounts, lastReasons, othersNicer, rssMiB, runQueueWaitSeconds, startActuatorGroup, startCollectorGroup, startEngine, startSim, waitFor, type Engine, type Proc } from './scale-procs.js';
import { gaugeValue, health, histDelta, parseHistogram, quantile, redisFigures, scrape, topCommands, type Hist } from './scale-metrics.js';
import type { BenchRow } from './stats.js';

export const VMS_PER_HOST = 20;
export const MAIN_HOSTS = 1000;
const ENGINES = 3;
const GROUP_HOSTS = 250;
const CYCLE_MS = 2000;
const INTERVAL_MS = 2000;
const TARGET_P99_S = 1;
/** Memory and CPU policies act (jobs to enqueue: sample-to-job); the others recommend, as infra/examples/policy.json. */
const POLICY = {
  policies: {
    'memory-balloon': { automation: process.env.SCALE_AUTOMATION ?? 'auto', args: { host: { hostFreeFloorMiB: 1024 } } },
    'cpu-entitlement': { automation: process.env.SCALE_AUTOMATION ?? 'auto' },
    ksm: { automation: 'recommend' },
    'numa-placement': { automation: 'recommend' },
    'vcpu-balance': { automation: 'recommend' },
    'cluster-balance': { automation: 'recommend', args: { level: 3 } },
  },
};

export interface ReplicaFigures {
  cycles: number;
  p50Ms: number;
  p99Ms: number;
  hostsOwned: number;
  hostsKnown: number;
  /** Host leases it lost while measured (ballast_host_leases_lost_total): held, then not refreshed in time. */
  leasesLost: number;
  /** Hosts stale in its view at the end (ballast_hosts_stale): no sample of theirs ingested within 3 intervals. */
  hostsStale: number;
  /** Hosts whose signal parts it merged in its last cycle (ballast_signal_parts_hosts{role="merged"}; the lease holder). */
  partsMerged: number;
  clusterLease: boolean;
  rssMiB: number;
  cpuPercent: number;
  /** Time its main thread waited for a CPU while runnable, % of the wall time (the shared machine's part). */
  runQueueWaitPercent: number;
  /** Its CPU time (all threads) per cycle, ms: cycles plus what comes between them (ingest, recording, leases). */
  cpuMsPerCycle: number;
  /** Each step of its cycles (ballast_policy_cycle_phase_seconds): mean and p99, ms. */
  phases: { phase: string; meanMs: number; p99Ms: number }[];
}

/** The steps of an engine's cycle, in order (docs/metrics.md); `after` follows the cycle's own time. */
const PHASES = ['refresh', 'leases', 'takeover', 'outcomes', 'signals', 'plan', 'enqueue', 'journal', 'recommendations', 'after'];

export interface SizeFigures {
  hosts: number;
  vms: number;
  measuredSec: number;
  /** The machine's 1-minute load average at the end of the measurement (2 CPUs, shared). */
  loadAvg: number;
  replicas: ReplicaFigures[];
  sampleToJob: { jobs: number; p50Ms: number; p99Ms: number };
  redis: { opsPerSec: number; instantaneousOpsPerSec: number; usedMemoryMiB: number; cpuPercent: number; top: string };
  simCpuPercent: number;
  collectorsCpuPercent: number;
  actuatorsCpuPercent: number;
  collectorProcs: number;
  /** Jobs the actuators finished so far (from start). */
  jobs: { succeeded: number; failed: number; reasons: [string, number][] };
  samplesDropped: number;
  /** Samples the collectors sent a second (hosts / interval when they keep up). */
  samplesPerSec: number;
  /** From the stack up to every host owned by a replica; NaN: not within 2 minutes. */
  ownedAfterMs: number;
  failover?: { killedOwned: number; failoverMs: number; cyclesMissed: number; after: ReplicaFigures[] };
  meets: boolean;
}

interface Stack {
  redis: Awaited<ReturnType<typeof startRedis>>;
  client: Redis;
  sim: Proc;
  engines: Engine[];
  collectors: Proc[];
  actuators: Proc[];
}

async function startStack(hosts: number): Promise<Stack> {
  const [redis, sim] = await Promise.all([startRedis(), startSim(hosts, VMS_PER_HOST)]);
  const s: Stack = { redis, client: new Redis(redis.url), sim: sim.proc, engines: [], collectors: [], actuators: [] };
  try {
    await startServices(s, sim);
    return s;
  } catch (e) {
    await stopStack(s);
    throw e;
  }
}

/** The engines, then the collectors and the actuators in groups; each group's start waited for in turn (a 2-core machine). */
async function startServices(s: Stack, sim: { uriPrefix: string; hosts: string[] }): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ballast-scale-'));
  const policyFile = path.join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(POLICY));
  const env = { REDIS_URL: s.redis.url, BALLAST_CYCLE_MS: String(CYCLE_MS), BALLAST_HOST_LEASE_TTL_MS: String(leaseTtlMs()), BALLAST_POLICY_FILE: policyFile };
  for (let i = 0; i < ENGINES; i++) s.engines.push(await startEngine(env));
  for (const e of s.engines) await waitFor(`${e.proc.name} serving`, 120_000, async () => health(e.ops));
  const all = sim.hosts.map((id, index) => ({ id, index }));
  for (let i = 0; i < all.length; i += GROUP_HOSTS) {
    const c = startCollectorGroup(sim.uriPrefix, all.slice(i, i + GROUP_HOSTS), s.engines, INTERVAL_MS);
    s.collectors.push(c);
    await c.line('ready', 600_000);
    const a = startActuatorGroup(sim.uriPrefix, sim.hosts.slice(i, i + GROUP_HOSTS), s.redis.url);
    s.actuators.push(a);
    await a.line('ready', 600_000);
    process.stderr.write(`scale: ${Math.min(all.length, i + GROUP_HOSTS)}/${all.length} hosts' collectors and actuators up\n`);
  }
}

async function stopStack(s: Stack): Promise<void> {
  await Promise.all([...s.collectors, ...s.actuators, ...s.engines.map((e) => e.proc)].map((p) => p.stop()));
  await s.sim.stop();
  s.client.disconnect();
  await s.redis.stop();
}

/** Until the live replicas own every host between them (and each has had `cycles` cycles since). */
async function ownedByAll(live: Engine[], hosts: number, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  await waitFor(`${hosts} hosts owned`, timeoutMs, async () => {
    const hs = await Promise.all(live.map((e) => health(e.ops)));
    return hs.every((h) => h) && hs.reduce((n, h) => n + (h?.hostsOwned ?? 0), 0) >= hosts ? true : undefined;
  });
  return Date.now() - t0;
}

interface Mark {
  atMs: number;
  texts: string[];
  cpu: Map<number, number>;
  wait: Map<number, number>;
  redis: Awaited<ReturnType<typeof redisFigures>>;
}

async function mark(s: Stack, live: Engine[]): Promise<Mark> {
  const texts = await Promise.all(live.map((e) => scrape(e.ops)));
  const redis = await redisFigures(s.client);
  const pids = [redis.pid, s.sim.child.pid, ...[...s.collectors, ...s.actuators].map((c) => c.child.pid), ...live.map((e) => e.proc.child.pid)];
  const cpu = new Map(pids.flatMap((p) => (p === undefined ? [] : [[p, cpuSeconds(p)] as [number, number]])));
  const wait = new Map(pids.flatMap((p) => (p === undefined ? [] : [[p, runQueueWaitSeconds(p)] as [number, number]])));
  return { atMs: Date.now(), texts, cpu, wait, redis };
}

const CYCLE = 'ballast_policy_cycle_seconds';
const PHASE = 'ballast_policy_cycle_phase_seconds';
const S2J = 'ballast_sample_to_job_seconds';
const LEASES_LOST = 'ballast_host_leases_lost_total';

function cpuPercent(a: Mark, b: Mark, pid: number | undefined, of: 'cpu' | 'wait' = 'cpu'): number {
  if (pid === undefined) return NaN;
  return (100 * ((b[of].get(pid) ?? NaN) - (a[of].get(pid) ?? NaN))) / ((b.atMs - a.atMs) / 1000);
}

async function replicaFigures(live: Engine[], a: Mark, b: Mark): Promise<ReplicaFigures[]> {
  return Promise.all(
    live.map(async (e, i) => {
      const d = histDelta(parseHistogram(a.texts[i] ?? '', CYCLE), parseHistogram(b.texts[i] ?? '', CYCLE));
      const h = await health(e.ops, 10_000);
      return {
        cycles: d.count,
        p50Ms: quantile(d, 0.5) * 1000,
        p99Ms: quantile(d, 0.99) * 1000,
        hostsOwned: h?.hostsOwned ?? gaugeValue(b.texts[i] ?? '', 'ballast_hosts_owned'),
        hostsKnown: h?.hosts ?? NaN,
        leasesLost: gaugeValue(b.texts[i] ?? '', LEASES_LOST) - gaugeValue(a.texts[i] ?? '', LEASES_LOST),
        hostsStale: gaugeValue(b.texts[i] ?? '', 'ballast_hosts_stale'),
        partsMerged: Number(/^ballast_signal_parts_hosts\{[^}]*role="merged"[^}]*\} (\S+)$/m.exec(b.texts[i] ?? '')?.[1] ?? NaN),
        clusterLease: h?.clusterLease ?? false,
        rssMiB: rssMiB(e.proc.child.pid),
        cpuPercent: cpuPercent(a, b, e.proc.child.pid),
        runQueueWaitPercent: cpuPercent(a, b, e.proc.child.pid, 'wait'),
        cpuMsPerCycle: (10 * cpuPercent(a, b, e.proc.child.pid) * ((b.atMs - a.atMs) / 1000)) / Math.max(1, d.count),
        phases: PHASES.map((phase) => {
          const p = histDelta(parseHistogram(a.texts[i] ?? '', PHASE, `phase="${phase}"`), parseHistogram(b.texts[i] ?? '', PHASE, `phase="${phase}"`));
          return { phase, meanMs: p.count > 0 ? (p.sum / p.count) * 1000 : NaN, p99Ms: quantile(p, 0.99) * 1000 };
        }),
      };
    }),
  );
}

function sampleToJob(a: Mark, b: Mark): SizeFigures['sampleToJob'] {
  const sum: Hist = { buckets: [], count: 0, sum: 0 };
  const merged = new Map<number, number>();
  b.texts.forEach((t, i) => {
    const d = histDelta(parseHistogram(a.texts[i] ?? '', S2J), parseHistogram(t, S2J));
    for (const [le, c] of d.buckets) merged.set(le, (merged.get(le) ?? 0) + c);
    sum.count += d.count;
    sum.sum += d.sum;
  });
  sum.buckets = [...merged].sort((x, y) => x[0] - y[0]);
  return { jobs: sum.count, p50Ms: quantile(sum, 0.5) * 1000, p99Ms: quantile(sum, 0.99) * 1000 };
}

async function measure(s: Stack, live: Engine[], seconds: number) {
  const a = await mark(s, live);
  const sent0 = lastCounts(s.collectors, 'sent');
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = await mark(s, live);
  const samplesPerSec = (lastCounts(s.collectors, 'sent') - sent0) / ((b.atMs - a.atMs) / 1000);
  const sec = (b.atMs - a.atMs) / 1000;
  const cpuOf = (ps: Proc[]) => ps.reduce((n, p) => n + cpuPercent(a, b, p.child.pid), 0);
  return {
    sec,
    samplesPerSec,
    replicas: await replicaFigures(live, a, b),
    sampleToJob: sampleToJob(a, b),
    redis: { opsPerSec: (b.redis.commands - a.redis.commands) / sec, instantaneousOpsPerSec: b.redis.opsPerSec, usedMemoryMiB: b.redis.usedMemoryMiB, cpuPercent: cpuPercent(a, b, b.redis.pid), top: topCommands(a.redis, b.redis, sec) },
    simCpuPercent: cpuOf([s.sim]),
    collectorsCpuPercent: cpuOf(s.collectors),
    actuatorsCpuPercent: cpuOf(s.actuators),
    jobs: { succeeded: lastCounts(s.actuators, 'succeeded'), failed: lastCounts(s.actuators, 'failed'), reasons: lastReasons(s.actuators) },
  };
}

/** SIGKILL the replica owning the most hosts; the time until the others own them all, and the cycles that took. */
async function failover(s: Stack, hosts: number): Promise<{ killedOwned: number; failoverMs: number; cyclesMissed: number; live: Engine[] }> {
  const hs = await Promise.all(s.engines.map((e) => health(e.ops, 10_000)));
  const owned = hs.map((h) => h?.hostsOwned ?? 0);
  const victim = owned.indexOf(Math.max(...owned));
  const live = s.engines.filter((_, i) => i !== victim);
  (s.engines[victim] as Engine).proc.child.kill('SIGKILL');
  // NaN: the others did not own every host within a minute
  const failoverMs = await ownedByAll(live, hosts, 60_000).catch(() => NaN);
  // its hosts got no decision from the kill until the cycle after the takeover
  return { killedOwned: owned[victim] ?? 0, failoverMs, cyclesMissed: Math.ceil(failoverMs / CYCLE_MS), live };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WARM_CYCLES = 4;

/** One size: the stack up, every host owned, a few cycles of warm-up, then `measureSec` measured; the failover when asked. */
export async function runSize(hosts: number, o: { measureSec: number; withFailover: boolean }): Promise<SizeFigures> {
  const t0 = Date.now();
  const s = await startStack(hosts);
  try {
    // a stack that never gets every host owned (collectors starved: hosts stale) is measured all the same
    const ownedMs = await ownedByAll(s.engines, hosts, 120_000).catch(() => NaN);
    await sleep(WARM_CYCLES * CYCLE_MS);
    const m = await measure(s, s.engines, o.measureSec);
    const fig: SizeFigures = {
      hosts,
      vms: hosts * VMS_PER_HOST,
      measuredSec: m.sec,
      loadAvg: loadavg()[0] ?? NaN,
      replicas: m.replicas,
      sampleToJob: m.sampleToJob,
      redis: m.redis,
      simCpuPercent: m.simCpuPercent,
      collectorsCpuPercent: m.collectorsCpuPercent,
      actuatorsCpuPercent: m.actuatorsCpuPercent,
      jobs: m.jobs,
      collectorProcs: s.collectors.length,
      samplesDropped: lastCounts(s.collectors, 'dropped'),
      samplesPerSec: m.samplesPerSec,
      ownedAfterMs: ownedMs,
      meets: m.replicas.every((r) => r.cycles > 0 && r.p99Ms < TARGET_P99_S * 1000),
    };
    if (o.withFailover) {
      const f = await failover(s, hosts);
      await sleep(2 * CYCLE_MS);
      const after = await measure(s, f.live, o.measureSec / 2);
      fig.failover = { killedOwned: f.killedOwned, failoverMs: f.failoverMs, cyclesMissed: f.cyclesMissed, after: after.replicas };
    }
    process.stderr.write(`scale ${hosts} hosts: every host owned ${ownedMs} ms after start; run ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    return fig;
  } finally {
    await stopStack(s);
  }
}

function sizeRows(f: SizeFigures): BenchRow[] {
  const bench = `scale ${f.hosts}×${f.vms}`;
  const r0 = (x: number) => Math.round(x);
  const replica = (r: ReplicaFigures, i: number, when = ''): BenchRow => ({
    bench,
    variant: `replica ${i + 1}${when} cycle (owns ${r.hostsOwned}/${r.hostsKnown} hosts${r.clusterLease ? ', cluster lease' : ''})`,
    median: r0(r.p50Ms),
    unit: 'ms',
    runs: r.cycles,
    note: `p99 ${r0(r.p99Ms)} ms; RSS ${r0(r.rssMiB)} MiB; CPU ${r0(r.cpuPercent)} % (${r0(r.cpuMsPerCycle)} ms a cycle), main thread waiting for a CPU ${r0(r.runQueueWaitPercent)} %; leases lost ${r.leasesLost}, hosts stale in its view ${r.hostsStale}${r.clusterLease ? `, hosts merged from shared signal parts ${r.partsMerged}` : ''}; steps mean/p99 ms: ${r.phases.map((p) => `${p.phase} ${r0(p.meanMs)}/${r0(p.p99Ms)}`).join(', ')}`,
  });
  const rows = f.replicas.map((r, i) => replica(r, i));
  rows.push({ bench, variant: 'sample-to-job latency', median: r0(f.sampleToJob.p50Ms), unit: 'ms', runs: f.sampleToJob.jobs, note: `p99 ${r0(f.sampleToJob.p99Ms)} ms` });
  rows.push({
    bench,
    variant: 'redis ops/s',
    median: r0(f.redis.opsPerSec),
    unit: 'ops/s',
    runs: 1,
    note: `load avg ${f.loadAvg.toFixed(1)}; ${othersNicer() > 0 ? `Redis first (nice ${getPriority()}; the rest ${Math.min(19, getPriority() + othersNicer())})` : 'Redis and the rest alike'}; samples ${r0(f.samplesPerSec)}/s of ${r0(f.hosts / (INTERVAL_MS / 1000))}/s; all hosts owned ${Number.isNaN(f.ownedAfterMs) ? 'never' : `after ${r0(f.ownedAfterMs / 1000)} s`}; used_memory ${r0(f.redis.usedMemoryMiB)} MiB; redis CPU ${r0(f.redis.cpuPercent)} %; sim CPU ${r0(f.simCpuPercent)} %; ${f.collectorProcs}+${f.collectorProcs} collector+actuator procs CPU ${r0(f.collectorsCpuPercent)}+${r0(f.actuatorsCpuPercent)} %; samples dropped ${f.samplesDropped}; jobs done ${f.jobs.succeeded} ok, ${f.jobs.failed} failed${f.jobs.reasons.length > 0 ? ` (${f.jobs.reasons.slice(0, 3).map(([why, n]) => `${n}× ${why}`).join('; ')})` : ''}; top commands: ${f.redis.top}`,
  });
  if (f.failover) {
    const fo = f.failover;
    rows.push({ bench, variant: `failover (SIGKILL the replica owning ${fo.killedOwned} hosts)`, median: fo.failoverMs, unit: 'ms', runs: 1, note: `cycles missed ${fo.cyclesMissed} (cycle ${CYCLE_MS} ms, lease TTL ${leaseTtlMs()} ms)` });
    rows.push(...fo.after.map((r, i) => replica(r, i, ' after failover')));
  }
  return rows;
}

/**
 * Seconds measured a size (SCALE_MEASURE_SEC; default: 30 for the main size, 20 for the sweep's). A p99 of the
 * 10-15 cycles of 30 s is their slowest; 200 s gives ~100 cycles a replica, where one slow cycle is the 99th.
 */
function measureSec(fallback: number): number {
  const raw = process.env.SCALE_MEASURE_SEC;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 5) throw new Error(`SCALE_MEASURE_SEC: "${raw}" is not a number of seconds ≥ 5`);
  return n;
}

/**
 * The engines' host-lease TTL (SCALE_LEASE_TTL_MS; default 6000, the engine's own default). A replica whose event
 * loop is held longer than two thirds of it loses leases (ballast_host_leases_lost_total): at 1,000 hosts on 2
 * CPUs, 6 s is not enough (docs/scale.md "2026-12-01"); the failover takes about the TTL plus a cycle.
 */
function leaseTtlMs(): number {
  const raw = process.env.SCALE_LEASE_TTL_MS;
  if (raw === undefined || raw === '') return 6000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1000) throw new Error(`SCALE_LEASE_TTL_MS: "${raw}" is not a whole number of ms ≥ 1000`);
  return n;
}

/** The sizes of the sweep (SCALE_SIZES, comma-separated; '' for none); the main size runs first, with the failover. */
function sweepSizes(): number[] {
  const raw = process.env.SCALE_SIZES ?? '250,500,1500';
  return raw
    .split(',')
    .map((x) => Number(x.trim()))
    .filter((n) => Number.isInteger(n) && n > 0 && n !== MAIN_HOSTS);
}

/** `sweep` false: the main size and its failover only. A size that fails (a stack that never starts) is a row saying why. */
export async function scaleBench(o: { sweep: boolean } = { sweep: true }): Promise<BenchRow[]> {
  const figures: SizeFigures[] = [];
  const failed: BenchRow[] = [];
  othersNicer(); // a bad SCALE_REDIS_FIRST or SCALE_LEASE_TTL_MS fails before anything starts
  leaseTtlMs();
  const sizes = [Number(process.env.SCALE_MAIN_HOSTS ?? MAIN_HOSTS), ...(o.sweep ? sweepSizes() : [])];
  for (const [i, hosts] of sizes.entries()) {
    try {
      figures.push(await runSize(hosts, i === 0 ? { measureSec: measureSec(30), withFailover: true } : { measureSec: measureSec(20), withFailover: false }));
    } catch (e) {
      failed.push({ bench: `scale ${hosts}×${hosts * VMS_PER_HOST}`, variant: 'not measured', median: NaN, unit: 'ms', runs: 0, note: (e as Error).message.slice(0, 300) });
    }
  }
  const rows = [...figures.sort((a, b) => a.hosts - b.hosts).flatMap(sizeRows), ...failed];
  const meeting = figures.filter((f) => f.meets).map((f) => f.hosts);
  const best = meeting.length ? Math.max(...meeting) : 0;
  const tried = figures.map((f) => `${f.hosts}${f.meets ? '✓' : '✗'}`).join(' ');
  rows.push({ bench: 'scale', variant: `largest host count with every replica's cycle p99 < ${TARGET_P99_S} s`, median: best, unit: 'hosts', runs: figures.length, note: `tried ${tried} (${VMS_PER_HOST} VMs a host)` });
  process.stderr.write(`${JSON.stringify({ scale: figures })}\n`);
  return rows;
}
