import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { builtinPolicies, type HostReport } from '@ballast/domain';
import { hostReport, vmReport } from '@ballast/testkit';
import { Redis } from 'ioredis';
import { createApp } from '../http/create-app.js';
import type { Authenticator } from '../security/auth.js';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { replayRoutes } from './replay-routes.js';
import { decodeProto, SAMPLE_FIELDS, SAMPLE_HOSTS_KEY, SampleRecorder, sampleProto, sampleStreamKey } from './sample-recorder.js';
import { readSamples, StreamDecoder, type RecordedSample } from './sample-reader.js';

const TOKEN = 'test-token-abcdefghijklmnop';
const HOUR = 3_600_000;
let engine: TestEngine;
let http: Server;
let base: string;
const sent: HostReport[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A report of host h1 with a VM short of memory (30 MiB unused) and an idle one. */
function report(i: number) {
  const at = Date.now();
  const vm = (name: string, unusedMiB: number) =>
    vmReport(name, {
      balloon: { actualKiB: 1 << 20, maximumKiB: 2 << 20, hasGuestStats: true, unusedKiB: unusedMiB * 1024, availableKiB: 1000 * 1024, usableKiB: unusedMiB * 1024, majorFaults: 0, swapInKiB: 0, lastUpdateSec: Math.floor(at / 1000) + i },
    });
  return hostReport('h1', [vm('short', 30), vm('idle', 900)], { takenAtMs: at + i });
}

before(async () => {
  engine = await startTestEngine(300000);
  const routes = replayRoutes({ redis: engine.redis, registry: builtinPolicies, cycleMs: 2000, windowSize: 30, staleAfterIntervals: 3, now: Date.now });
  // TOKEN is an admin token; viewer-… and operator-… tokens have those roles
  const auth: Authenticator = {
    authenticate: async (t) => (t === TOKEN ? { tokenId: 'admin', role: 'admin' } : t.startsWith('viewer-') ? { tokenId: 'v', role: 'viewer' } : t.startsWith('operator-') ? { tokenId: 'o', role: 'operator' } : { error: 'wrong token' }),
  };
  http = createServer(createApp({ state: engine.state, jobs: engine.jobs, token: TOKEN, auth, holdMs: 300000, extraRoutes: routes }));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  // 30 reports about 10 ms apart, as the engine would record them
  const recorder = new SampleRecorder(engine.redis, { retentionMs: HOUR, flushMs: 1 });
  for (let i = 0; i < 30; i++) {
    sent.push(report(i));
    recorder.record(sent[i] as HostReport);
    await sleep(10);
  }
  await recorder.close();
  assert.deepEqual([recorder.recorded, recorder.errors], [30, 0]);
});

after(async () => {
  await new Promise((r) => http.close(r));
  await engine.stop();
});

type Json = Record<string, unknown> & { error?: { code: string; field?: string; message: string; issues?: string[] } };
async function replay(body: unknown, token = TOKEN): Promise<{ status: number; json: Json }> {
  const r = await fetch(`${base}/v1/policies/replay`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as Json };
}

test('the recorder appends each report to its host stream: a keyframe, then deltas against it; with a TTL', async () => {
  const entries = await engine.redis.xrangeBuffer(sampleStreamKey('h1'), '-', '+');
  assert.equal(entries.length, 30);
  const names = entries.map(([, f]) => f.filter((_, i) => i % 2 === 0).map(String).join(','));
  // 30 reports a keyframe (the default keyframeEvery): one keyframe, 29 deltas with its tag
  const { tag, keyframe, delta } = SAMPLE_FIELDS;
  assert.deepEqual(names, [`${tag},${keyframe}`, ...Array.from({ length: 29 }, () => `${tag},${delta}`)]);
  const tags = new Set(entries.map(([, f]) => String(f[1])));
  assert.equal(tags.size, 1);
  const decoder = new StreamDecoder();
  const reports = entries.map(([, f]) => decoder.decode(f));
  assert.deepEqual([reports[29]?.hostId, reports[29]?.vms.map((v) => v.name), reports[29]?.vms[0]?.balloon?.unusedKiB], ['h1', ['short', 'idle'], 30 * 1024]);
  // each the report sent, as a plain proto round trip gives it
  assert.deepEqual(reports, sent.map((r) => decodeProto(sampleProto(r))));
  assert.throws(() => new StreamDecoder().decode((entries[1] as [Buffer, Buffer[]])[1]), /no keyframe/);
  const ttl = await engine.redis.pttl(sampleStreamKey('h1'));
  assert.ok(ttl > 0 && ttl <= HOUR, `ttl ${ttl}`);
  const read: RecordedSample[] = [];
  for await (const s of readSamples(engine.redis, { fromMs: Date.now() - HOUR, toMs: Date.now() })) read.push(s);
  assert.equal(read.length, 30);
  assert.ok(read.every((s, i) => i === 0 || (read[i - 1] as RecordedSample).atMs <= s.atMs), 'in time order');
  // a window that starts after the keyframe still decodes: the reader looks back for it
  const from = Number(String((entries[10] as [Buffer, Buffer[]])[0]).split('-')[0]);
  let bad = 0;
  const tail: RecordedSample[] = [];
  for await (const s of readSamples(engine.redis, { fromMs: from, toMs: Date.now(), hosts: ['h1'] }, () => bad++)) tail.push(s);
  assert.equal(bad, 0);
  assert.ok(tail.length >= 19 && tail.length <= 20, `${tail.length}`);
});

test('retention trims entries older than it (MINID ~); 0 records nothing', async () => {
  const key = sampleStreamKey('old');
  const now = new SampleRecorder(engine.redis, { retentionMs: HOUR, maxBatch: 50 });
  for (let i = 0; i < 250; i++) now.record(hostReport('old', [vmReport('a')]));
  await now.close();
  assert.equal(await engine.redis.xlen(key), 250);
  // two hours on: everything written above is older than the retention
  const later = new SampleRecorder(engine.redis, { retentionMs: HOUR, now: () => Date.now() + 2 * HOUR });
  later.record(hostReport('old', [vmReport('a')]));
  await later.close();
  const left = await engine.redis.xlen(key);
  assert.ok(left <= 101, `whole stream nodes of old entries dropped, ${left} left`);
  const off = new SampleRecorder(engine.redis, { retentionMs: 0 });
  off.record(hostReport('off', [vmReport('a')]));
  await off.close();
  assert.equal(await engine.redis.exists(sampleStreamKey('off')), 0);
  await engine.redis.del(key);
});

test('POST /v1/policies/replay: balloon jobs for the recorded window, with metrics; nothing is enqueued', async () => {
  const r = await replay({ document: { policies: { 'memory-balloon': { automation: 'auto' } } }, sinceMinutes: 5, cycleMs: 100, hosts: ['h1'] });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const metrics = r.json['metrics'] as { cycles: number; samples: number; jobs: { total: number; byType: Record<string, number> } };
  const jobs = r.json['jobs'] as { type: string; vm: string; hostId: string }[];
  assert.equal(metrics.samples, 30);
  assert.ok(metrics.cycles >= 2, `cycles ${metrics.cycles}`);
  assert.ok(jobs.length > 0 && jobs.every((j) => j.type === 'set-memory' && j.hostId === 'h1'));
  assert.equal(metrics.jobs.byType['set-memory'], metrics.jobs.total);
  assert.match(String(r.json['model']), /open-loop/);
  // the same document, off: no job
  const off = await replay({ document: { policies: { 'memory-balloon': { automation: 'off' } } }, sinceMinutes: 5, cycleMs: 100 });
  assert.equal((off.json['jobs'] as unknown[]).length, 0);
  // no queue was touched: the only keys are the sample streams and their index, and h1's queue is empty
  const keys = await engine.redis.keys('*');
  assert.deepEqual(keys.filter((k) => !k.startsWith('ballast:samples:') && k !== SAMPLE_HOSTS_KEY), []);
  const counts = await engine.queues.queue('h1').getJobCounts();
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 0);
});

test('an invalid document is refused with every bad field; bad windows name theirs', async () => {
  const bad = await replay({ document: { policies: { 'memory-balloon': { automation: 'always', args: {} }, ksm: { args: { nope: 1 } }, 'no-such': {} } } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error?.code, 'invalid_policy_document');
  const fields = (bad.json.error?.issues ?? []).map((i) => i.split(':')[0]);
  assert.ok(fields.includes('document.policies.memory-balloon.automation'), JSON.stringify(bad.json));
  assert.ok(fields.includes('document.policies.no-such'));
  assert.ok(fields.some((f) => f?.startsWith('document.policies.ksm.')));
  assert.equal(bad.json.error?.field, fields[0]);
  const cases: [unknown, string][] = [
    [{ document: { policies: {} }, sinceMinutes: 5, fromMs: 1 }, 'sinceMinutes'],
    [{ document: { policies: {} }, sinceMinutes: 24 * 60, cycleMs: 100 }, 'cycleMs'],
    [{ document: { policies: {} }, sinceMinutes: 48 * 60 }, 'sinceMinutes'],
    [{ document: { policies: {} }, fromMs: 2000, toMs: 1000 }, 'toMs'],
    [{ document: { policies: {} }, limit: 0 }, 'limit'],
    [{ document: { policies: {} }, extra: true }, 'extra'],
    [{ document: 'x' }, 'document'],
  ];
  for (const [body, field] of cases) {
    const r = await replay(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error?.field, field, `${JSON.stringify(body)} → ${JSON.stringify(r.json)}`);
  }
});

test('the route needs an operator token: a viewer gets 403', async () => {
  const body = { document: { policies: { 'memory-balloon': {} } }, sinceMinutes: 5, cycleMs: 100 };
  assert.equal((await replay(body, 'viewer-token-abcdefghijkl')).status, 403);
  assert.equal((await replay(body, 'operator-token-abcdefghij')).status, 200);
});

test('Redis unreachable: record() returns at once, the loss is counted and logged once, nothing throws', async () => {
  const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  down.on('error', () => {});
  const warned: string[] = [];
  const r = new SampleRecorder(down, { retentionMs: HOUR, log: { warn: (_o, msg) => warned.push(msg) } });
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) r.record(report(i));
  assert.ok(performance.now() - t0 < 50, 'record() does not wait');
  await r.close();
  r.record(report(4));
  await r.close();
  assert.deepEqual([r.recorded, r.errors, warned.length], [0, 4, 1]);
  down.disconnect();
});
