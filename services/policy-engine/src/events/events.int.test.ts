import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import type { JobSpec } from '@ballast/domain';
import { PolicyServiceClient, PolicyServiceService, type WatchEventsResponse } from '@ballast/proto';
import { grpcClientSecurity, grpcServerSecurity } from '@ballast/runtime';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { createApp } from '../http/create-app.js';
import { policyService } from '../grpc/policy-service.js';
import { EngineEvents } from './engine-events.js';

const TOKEN = 'events-admin-token-0123456789';
const VIEWER = 'events-viewer-token-0123456789';
let engine: TestEngine;
let events: EngineEvents;
let http: Server;
let base: string;
let grpcServer: grpc.Server;
let grpcAddress: string;

const auth = {
  authenticate: async (t: string) =>
    t === TOKEN ? { tokenId: 'admin1', role: 'admin' as const } : t === VIEWER ? { tokenId: 'viewer1', role: 'viewer' as const } : { error: 'Authorization: bearer token is wrong' },
};

before(async () => {
  engine = await startTestEngine(1000);
  events = new EngineEvents({ redis: engine.redis, registry: new Registry(), log: pino({ level: 'silent' }), routes: { heartbeatMs: 150, maxStreamsPerToken: 2 }, stream: { blockMs: 200 } });
  await events.start();
  const app = createApp({ state: engine.state, jobs: engine.jobs, token: TOKEN, auth, holdMs: 1000, extraRoutes: events.routes });
  http = createServer(app);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const sec = grpcServerSecurity({});
  grpcServer = new grpc.Server({ interceptors: sec.interceptors });
  grpcServer.addService(PolicyServiceService, policyService(engine.state, engine.jobs, undefined, { events: events.stream }));
  const port = await new Promise<number>((res, rej) => grpcServer.bindAsync('127.0.0.1:0', sec.credentials, (e, p) => (e ? rej(e) : res(p))));
  grpcAddress = `127.0.0.1:${port}`;
});

after(async () => {
  await events.close();
  grpcServer.forceShutdown();
  await new Promise((r) => http.close(r));
  await engine.stop();
});

const spec = (id: string): JobSpec => ({
  schemaVersion: 1, id, hostId: 'h1', vmUuid: 'u-web', vmName: 'web', source: 'manual', createdAtMs: Date.now(),
  action: { type: 'set-memory', memoryKiB: 524288 } as unknown as JobSpec['action'],
});

type Frame = { id?: string; event?: string; data?: string; comment?: string };

/** An SSE client over fetch: frames as they come, and a way to hang up. */
async function sse(query: string, headers: Record<string, string> = {}, token = VIEWER) {
  const ac = new AbortController();
  const res = await fetch(`${base}/v1/events${query}`, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: ac.signal });
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  const pump = (async () => {
    if (!res.body || res.status !== 200) return;
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk as Uint8Array, { stream: true });
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          frames.push(parseFrame(buf.slice(0, at)));
          buf = buf.slice(at + 2);
          for (const w of waiters.splice(0)) w();
        }
      }
    } catch {
      /* aborted */
    }
  })();
  const until = async (pred: (fs: Frame[]) => boolean, what: string) => {
    const deadline = Date.now() + 5000;
    while (!pred(frames)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(frames)}`);
      await new Promise<void>((r) => (waiters.push(r), setTimeout(r, 50)));
    }
  };
  return { res, frames, until, events: () => frames.filter((f) => f.id !== undefined), close: async () => (ac.abort(), await pump) };
}

function parseFrame(text: string): Frame {
  const f: Frame = {};
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) f.comment = line.slice(1).trim();
    const m = /^(id|event|data): ?(.*)$/.exec(line);
    if (m) f[m[1] as 'id' | 'event' | 'data'] = m[2];
  }
  return f;
}

test('SSE: a viewer gets the events published after it connected, filtered by type, with ids and heartbeats', async () => {
  const c = await sse('?types=job,decision');
  assert.equal(c.res.status, 200);
  assert.match(c.res.headers.get('content-type') ?? '', /^text\/event-stream/);
  await c.until((fs) => fs.some((f) => f.comment === 'connected'), 'the opening comment');
  events.jobSubmitted(spec('job-1'));
  events.recommendationSaved({ id: 'r1', state: 'pending', vmUuid: 'u-web', from: 'h1' } as never);
  events.afterCycle({ atMs: Date.now(), decisions: [{ policy: 'memory', vmUuid: 'u-web', hostId: 'h1', kind: 'grow', reason: 'tight', atMs: Date.now(), jobs: [{ key: 'k', type: 'set-memory', description: 'to 512 MiB', id: 'job-2' }] }], enqueued: [], outcomes: new Map() }, () => undefined);
  events.jobCancelled(spec('job-1'));
  await c.until((fs) => fs.filter((f) => f.id).length >= 3, 'three events');
  const got = c.events().map((f) => ({ event: f.event, ...(JSON.parse(f.data ?? '{}') as { id: string; action: string; data: { id?: string; kind?: string } }) }));
  assert.deepEqual(got.map((g) => `${g.event}:${g.action}`), ['job:submitted', 'decision:grow', 'job:cancelled'], 'the recommendation is filtered out');
  assert.deepEqual(got.map((g) => g.id), c.events().map((f) => f.id), 'the data carries the SSE id');
  assert.equal(got[0]?.data.id, 'job-1');
  await c.until((fs) => fs.some((f) => f.comment === 'heartbeat'), 'a heartbeat');
  await c.close();
});

test('SSE: a client that reconnects with Last-Event-ID gets what it missed, in order, with no gap and no repeat', async () => {
  const first = await sse('');
  await first.until((fs) => fs.some((f) => f.comment === 'connected'), 'connected');
  events.jobSubmitted(spec('r-1'));
  await first.until((fs) => fs.some((f) => f.id), 'one event');
  const lastSeen = first.events().at(-1)?.id as string;
  await first.close();
  for (const id of ['r-2', 'r-3', 'r-4']) events.jobSubmitted(spec(id));
  await events.flushed();
  const again = await sse('', { 'last-event-id': lastSeen });
  await again.until((fs) => fs.filter((f) => f.id).length >= 3, 'the three missed');
  events.jobSubmitted(spec('r-5'));
  await again.until((fs) => fs.filter((f) => f.id).length >= 4, 'the live one after them');
  const jobIds = again.events().map((f) => (JSON.parse(f.data ?? '{}') as { data: { id: string } }).data.id);
  assert.deepEqual(jobIds, ['r-2', 'r-3', 'r-4', 'r-5']);
  await again.close();
  const bad = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${VIEWER}`, 'last-event-id': 'yesterday' } });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { error: { field: string } }).error.field, 'Last-Event-ID');
  const badType = await fetch(`${base}/v1/events?types=job,vm`, { headers: { authorization: `Bearer ${VIEWER}` } });
  assert.equal(badType.status, 400);
  assert.equal(((await badType.json()) as { error: { field: string } }).error.field, 'types');
});

test('SSE: at most two streams per token (429 past that); a closed stream frees its place', async () => {
  const a = await sse('');
  const b = await sse('');
  const c = await fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${VIEWER}` } });
  assert.equal(c.status, 429);
  assert.equal(c.headers.get('retry-after'), '10');
  assert.equal(((await c.json()) as { error: { code: string } }).error.code, 'too_many_streams');
  const other = await sse('', {}, TOKEN);
  assert.equal(other.res.status, 200, 'another token has places of its own');
  await a.close();
  await new Promise((r) => setTimeout(r, 100));
  const d = await sse('');
  assert.equal(d.res.status, 200);
  await Promise.all([b.close(), d.close(), other.close()]);
});

test('gRPC WatchEvents: streams the events of the asked types, resumes after an id, refuses an unknown type', async () => {
  const sec = grpcClientSecurity({});
  const client = new PolicyServiceClient(grpcAddress, sec.credentials, { interceptors: sec.interceptors });
  const got: WatchEventsResponse[] = [];
  const call = client.watchEvents({ types: ['job'], afterId: '' });
  call.on('data', (e: WatchEventsResponse) => got.push(e));
  call.on('error', () => undefined);
  await new Promise((r) => setTimeout(r, 200));
  events.recommendationSaved({ id: 'r2', state: 'pending', vmUuid: 'u-web', from: 'h1' } as never);
  events.jobSubmitted(spec('g-1'));
  events.jobSubmitted(spec('g-2'));
  const deadline = Date.now() + 5000;
  while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  call.cancel();
  assert.deepEqual(got.map((e) => [e.type, e.action, e.vmUuid, e.hostId, (JSON.parse(e.json) as { data: { id: string } }).data.id]), [
    ['job', 'submitted', 'u-web', 'h1', 'g-1'],
    ['job', 'submitted', 'u-web', 'h1', 'g-2'],
  ]);
  const resumed: string[] = [];
  const again = client.watchEvents({ types: [], afterId: got[0]?.id ?? '' });
  again.on('data', (e: WatchEventsResponse) => resumed.push(e.id));
  again.on('error', () => undefined);
  while (resumed.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  again.cancel();
  assert.deepEqual(resumed, [got[1]?.id], 'only what came after the id');
  const err = await new Promise<grpc.ServiceError>((resolve) => {
    const bad = client.watchEvents({ types: ['nope'], afterId: '' });
    bad.on('error', resolve);
    bad.on('data', () => undefined);
  });
  assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
  assert.match(err.details, /types: unknown event type "nope"/);
  client.close();
});
