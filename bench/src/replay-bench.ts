/**
 * What-if replay (docs/replay.md): what the engine's sample recording costs in Redis, in bytes per VM-hour,
 * and how fast a candidate document replays over what was recorded.
 *
 * One simulated host of 20 VMs (a seeded random cluster: CPU and memory workloads of every shape) is read by
 * the collector's own HostSampler every 2 s (the collector's default interval, its default reads), for one
 * simulated hour; the engine's SampleRecorder appends each report to a real redis-server, whose
 * `MEMORY USAGE` of the stream (every node counted) over VM-hours is the figure. The same reports stored
 * as plain proto and as JSON are measured beside it. Then the recorded hour is replayed with the memory and
 * CPU policies at the engine's default cycle (2 s).
 */
import { Redis } from 'ioredis';
import { HostSampler } from '@ballast/collector';
import { builtinPolicies, type HostReport } from '@ballast/domain';
import { candidatePolicies, readSamples, replayPolicies, SampleRecorder, sampleProto, sampleStreamKey, type RecordedSample } from '@ballast/policy-engine';
import { HostSample, hostSampleFromReport } from '@ballast/proto';
import { buildRandomCluster, SimHypervisor } from '@ballast/sim';
import { startRedis } from '@ballast/testkit';
import type { BenchRow } from './stats.js';

const VMS = 20;
const INTERVAL_MS = 2000;
const HOURS = 1;

/** One simulated hour of one host's reports, as the collector makes them. */
async function simulatedReports(): Promise<HostReport[]> {
  const sim = buildRandomCluster({ seed: 7, hosts: 1, vmsPerHost: VMS, cycleMs: 1000 });
  const sampler = new HostSampler(new SimHypervisor(sim, 'h0'), {
    hostId: 'h0', intervalMs: INTERVAL_MS, balloonEvery: 1, hostInfoEvery: 5, configEvery: 30, placementEvery: 1, dirtyRateEvery: 0,
    migrationUri: 'qemu+tcp://h0/system', now: () => sim.wallClockMs, monotonicNs: () => BigInt(sim.wallClockMs) * 1_000_000n,
  });
  const reports: HostReport[] = [];
  for (let i = 0; i < (HOURS * 3_600_000) / INTERVAL_MS; i++) {
    sim.advance(INTERVAL_MS);
    reports.push(await sampler.sample());
  }
  return reports;
}

const usage = async (redis: Redis, key: string) => Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));

async function storageRows(redis: Redis, reports: HostReport[]): Promise<BenchRow[]> {
  const recorder = new SampleRecorder(redis, { retentionMs: 24 * 3_600_000 });
  const alone = new SampleRecorder(redis, { retentionMs: 24 * 3_600_000, keyframeEvery: 1 });
  const t0 = performance.now();
  for (const r of reports) recorder.record(r);
  const recordUs = ((performance.now() - t0) * 1000) / reports.length;
  const t1 = performance.now();
  for (const r of reports) sampleProto(r);
  const encodeUs = ((performance.now() - t1) * 1000) / reports.length;
  for (const r of reports) alone.record({ ...r, hostId: 'alone' });
  await Promise.all([recorder.close(), alone.close()]);
  const vmHours = VMS * HOURS;
  const p = redis.pipeline();
  for (const r of reports) {
    p.xadd('bench:proto', '*', 'p', Buffer.from(HostSample.encode(hostSampleFromReport(r)).finish()));
    p.xadd('bench:json', '*', 'j', JSON.stringify(r));
  }
  await p.exec();
  const note = `1 host × ${VMS} VMs, a report every ${INTERVAL_MS / 1000} s for ${HOURS} h (${reports.length} entries)`;
  const row = (variant: string, bytes: number, extra = ''): BenchRow => ({ bench: 'replay samples', variant, median: Math.round(bytes / vmHours), unit: 'bytes/VM-hour', runs: 1, note: `${note}${extra}` });
  return [
    row('stored: proto, deflated against a keyframe (MEMORY USAGE)', await usage(redis, sampleStreamKey('h0')), `; ${Math.round(recorder.bytes / reports.length)} B/report before Redis; record() ${recordUs.toFixed(1)} µs/report on the ingest path, proto encoding ${Math.round(encodeUs)} µs/report at flush`),
    row('each report deflated alone (MEMORY USAGE)', await usage(redis, sampleStreamKey('alone')), `; ${Math.round(alone.bytes / reports.length)} B/report before Redis`),
    row('plain proto (MEMORY USAGE)', await usage(redis, 'bench:proto')),
    row('JSON (MEMORY USAGE)', await usage(redis, 'bench:json')),
  ];
}

async function replayRow(redis: Redis, reports: HostReport[]): Promise<BenchRow> {
  const registry = builtinPolicies();
  const doc = candidatePolicies(registry, { policies: { 'memory-balloon': {}, 'cpu-entitlement': {}, 'vcpu-balance': {} } });
  if (!doc.ok) throw new Error(doc.issues.join('\n'));
  const fromMs = reports[0]?.takenAtMs ?? 0;
  const toMs = reports.at(-1)?.takenAtMs ?? 0;
  const t0 = performance.now();
  // the stream ids are when the bench appended them (all within a second): replay on the reports' own clock
  const samples = async function* (): AsyncGenerator<RecordedSample> {
    for await (const s of readSamples(redis, { fromMs: Date.now() - 600_000, toMs: Date.now() + 60_000, hosts: ['h0'] })) yield { atMs: s.report.takenAtMs, report: s.report };
  };
  const r = await replayPolicies(samples(), { registry, policies: doc.policies, fromMs, toMs, cycleMs: INTERVAL_MS, windowSize: 30, staleAfterIntervals: 3, maxCycles: 10_000, limit: 10 });
  const s = (performance.now() - t0) / 1000;
  return {
    bench: 'replay run',
    variant: 'memory-balloon + cpu-entitlement + vcpu-balance',
    median: Math.round(r.metrics.cycles / s),
    unit: 'cycles/s',
    runs: 1,
    note: `${r.metrics.cycles} cycles (${HOURS} h at ${INTERVAL_MS / 1000} s) over ${VMS} VMs in ${s.toFixed(1)} s, read from Redis; ${r.metrics.jobs.total} jobs`,
  };
}

export async function replayBench(): Promise<BenchRow[]> {
  const srv = await startRedis();
  const redis = new Redis(srv.url);
  try {
    const reports = await simulatedReports();
    return [...(await storageRows(redis, reports)), await replayRow(redis, reports)];
  } finally {
    await redis.quit();
    await srv.stop();
  }
}
