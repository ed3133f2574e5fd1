// The sample tail on a real Redis: a replica reads the reports other replicas recorded (keyframes and deltas,
// several writers on one stream), skips its own, starts with each host's window, and finds new hosts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HostReport } from '@ballast/domain';
import { hostReport, startRedis, vmReport, type RedisHandle } from '@ballast/testkit';
import { ClusterState } from '@ballast/cycle';
import { Redis } from 'ioredis';
import { SampleRecorder } from './sample-recorder.js';
import { SampleTail } from './sample-tail.js';

let srv: RedisHandle;
let redis: Redis;
const HOUR = 3_600_000;

before(async () => {
  srv = await startRedis();
  redis = new Redis(srv.url);
});
after(async () => {
  redis.disconnect();
  await srv.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let t = Date.now();
const report = (host: string, cpu: number): HostReport => hostReport(host, [vmReport(`${host}-vm`, { cpuPercent: cpu })], { takenAtMs: ++t });

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test("a replica's tail: each host's window at start, then what other replicas record (deltas too), never its own; new hosts found", async () => {
  const other = new SampleRecorder(redis, { retentionMs: HOUR, flushMs: 1, keyframeEvery: 4, writer: 'replica-b' });
  // 12 reports of h1 recorded by b before the tail starts (keyframes every 4): the window is the last 5
  for (let i = 0; i < 12; i++) other.record(report('h1', i));
  await other.flush();
  const state = new ClusterState({ windowSize: 5, staleAfterIntervals: 3, now: Date.now });
  const seen: { host: string; cpu: number; atMs: number }[] = [];
  const tail = new SampleTail(redis, {
    self: 'replica-a',
    backfill: 5,
    discoverMs: 200,
    onReport: (r, at) => {
      seen.push({ host: r.hostId, cpu: r.vms[0]?.cpuPercent ?? -1, atMs: at });
      if (state.isNewer(r)) state.ingest(r, at);
    },
  });
  await tail.start();
  try {
    assert.deepEqual(seen.map((s) => s.cpu), [7, 8, 9, 10, 11], 'the newest 5 of h1, oldest first');
    assert.ok(seen.every((s) => s.atMs <= Date.now() && s.atMs > Date.now() - 60_000), 'with the times they were recorded');
    assert.deepEqual(state.vms('h1')[0]?.window.length, 5, 'a full window at once');
    // a's own recorder (its entries are skipped: a ingested them on receipt) and b's, on the same stream
    const own = new SampleRecorder(redis, { retentionMs: HOUR, flushMs: 1, keyframeEvery: 4, writer: 'replica-a' });
    for (let i = 12; i < 20; i++) (i % 2 === 0 ? other : own).record(report('h1', i));
    await Promise.all([other.flush(), own.flush()]);
    await until("b's reports of h1", () => seen.length === 9);
    assert.deepEqual(seen.slice(5).map((s) => s.cpu), [12, 14, 16, 18]);
    // a new host, recorded by b after the tail started: found within a discovery, its reports read
    for (let i = 0; i < 3; i++) other.record(report('h2', 100 + i));
    await other.flush();
    await until('h2', () => seen.some((s) => s.host === 'h2' && s.cpu === 102));
    assert.deepEqual(seen.filter((s) => s.host === 'h2').map((s) => s.cpu), [100, 101, 102]);
    assert.deepEqual([tail.undecodable, tail.errors], [0, 0]);
    assert.deepEqual(tail.hosts().sort(), ['h1', 'h2']);
  } finally {
    await tail.close();
  }
});

test('a read that fails (Redis gone for a moment) is retried: the tail carries on by itself', async () => {
  const other = new SampleRecorder(redis, { retentionMs: HOUR, flushMs: 1, writer: 'replica-c' });
  const got: number[] = [];
  const tail = new SampleTail(redis, { self: 'replica-d', backfill: 0, discoverMs: 200, onReport: (r) => r.hostId === 'h3' && got.push(r.vms[0]?.cpuPercent ?? -1) });
  await tail.start();
  try {
    other.record(report('h3', 1));
    await other.flush();
    await until('the first report', () => got.length === 1);
    // kill the tail's own connections (CLIENT KILL of every other client): it reconnects and reads on
    await redis.call('CLIENT', 'KILL', 'SKIPME', 'yes');
    other.record(report('h3', 2));
    await other.flush();
    await until('the report after the kill', () => got.includes(2), 10000);
  } finally {
    await tail.close();
  }
});
