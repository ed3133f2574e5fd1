import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { QUEUE_PREFIX, jobQueueName } from '@ballast/queue';
import { Queue } from 'bullmq';
import { hostReport, vmReport } from '@ballast/testkit';
import { builtinPolicies, clusterBalancePolicy, placeVm } from '@ballast/domain';
import { ClusterState, PolicyCycle } from '@ballast/cycle';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { createApp } from '../http/create-app.js';
import { clusterRoutes } from './cluster-routes.js';
import { ClusterLease } from './cluster-lease.js';
import * as grpc from '@grpc/grpc-js';
import { PolicyServiceClient, PolicyServiceService } from '@ballast/proto';
import { policyService } from '../grpc/policy-service.js';
import { MaintenanceStore } from './maintenance-store.js';
import { RecommendationStore } from './recommendation-store.js';

const TOKEN = 'test-token-abcdefghijklmnop';
let engine: TestEngine;
let http: Server;
let base: string;
let state: ClusterState;
let maintenance: MaintenanceStore;
let recommendations: RecommendationStore;
let cycle: PolicyCycle;

const busy = (name: string) => vmReport(name, { cpuPercent: 95, vcpus: [{ id: 0, usagePercent: 95, pcpus: [0, 1] }] });
const uris = (h: string) => ({ migrationUri: `qemu+tcp://${h}/system`, migrationDataUri: `tcp://${h}` });

before(async () => {
  engine = await startTestEngine(300000);
  maintenance = new MaintenanceStore(engine.redis);
  state = new ClusterState({ windowSize: 10, staleAfterIntervals: 3, now: () => Date.now() }, undefined, maintenance);
  recommendations = new RecommendationStore(engine.redis, { now: () => Date.now() });
  const policies = [{ name: 'cluster-balance', automation: 'recommend' as const, args: { level: 3 } }];
  cycle = new PolicyCycle(builtinPolicies(), policies, {
    state: { snapshot: () => ({ ...state.snapshot(), vetoedMoves: recommendations.vetoes() }) },
    holds: { isHeld: () => false },
    enqueue: (specs) => engine.queues.enqueueMany(specs),
    outcomes: (ids) => engine.queues.outcomes(ids),
    newId: () => randomUUID(),
  });
  const args = clusterBalancePolicy.defaults;
  // the job service looks VMs up in the engine's state: the same reports go to both
  const ingest = (r: ReturnType<typeof hostReport>) => (state.ingest(r), engine.state.ingest(r));
  ingest(hostReport('h1', [busy('a'), busy('b'), busy('c'), busy('d')], { takenAtMs: Date.now(), ...uris('h1') }));
  ingest(hostReport('h2', [], { takenAtMs: Date.now(), ...uris('h2') }));
  const routes = clusterRoutes({ state, jobs: engine.jobs, maintenance, recommendations, now: () => Date.now(), place: (req) => placeVm({ ...state.snapshot(), jobs: [], signals: {} }, args, req) });
  http = createServer(createApp({ state, jobs: engine.jobs, token: TOKEN, holdMs: 300000, extraRoutes: routes }));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => http.close(r));
  await engine.stop();
});

const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
};

async function runCycle(): Promise<void> {
  await maintenance.refresh();
  const r = await cycle.run();
  const imbalance = (r.decisions.find((d) => d.kind === 'cluster')?.inputs as { imbalance: number }).imbalance;
  const hostOf = new Map(state.vms().map((v) => [v.uuid, v.hostId]));
  await recommendations.afterCycle(r.decisions, imbalance, (ids) => engine.queues.outcomes(ids), (u) => hostOf.get(u));
}

test('recommend mode: a move becomes a pending recommendation in Redis; approving it enqueues the migrate job; it survives a restart', async () => {
  await runCycle();
  const { json } = await call('GET', '/v1/recommendations?state=pending');
  const recs = json['recommendations'] as { id: string; vm: string; from: string; to: string; priority: number; imbalanceBefore: number; predictedAfter: number }[];
  assert.equal(recs.length, 1, JSON.stringify(recs));
  const rec = recs[0] as (typeof recs)[number];
  assert.deepEqual([rec.from, rec.to], ['h1', 'h2']);
  assert.ok(rec.predictedAfter < rec.imbalanceBefore);
  // the next cycle repeats it: still one, the same id
  await runCycle();
  const again = (await call('GET', '/v1/recommendations?state=pending')).json['recommendations'] as { id: string }[];
  assert.deepEqual(again.map((r) => r.id), [rec.id]);
  assert.equal((await call('POST', `/v1/recommendations/${rec.id}/approve`, {}, null)).status, 401);
  const ok = await call('POST', `/v1/recommendations/${rec.id}/approve`, { note: 'go' });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.json['state'], 'approved');
  const q = new Queue(jobQueueName('h1'), { connection: engine.redis, prefix: QUEUE_PREFIX });
  const job = await q.getJob(String(ok.json['jobId']));
  await q.close();
  assert.equal((job?.data as { action: { type: string; targetHost: string } }).action.targetHost, 'h2');
  const twice = await call('POST', `/v1/recommendations/${rec.id}/approve`, {});
  assert.equal(twice.status, 409);
  const conn = new Redis(engine.redisSrv.url);
  const reloaded = new RecommendationStore(conn, { now: () => Date.now() });
  await reloaded.load();
  await conn.quit();
  assert.equal(reloaded.get(rec.id)?.state, 'approved');
});

test('reject: the recommendation is rejected and the same move is not recommended again', async () => {
  // the approved move happened (a runs on h2 now); a third host joins
  state.ingest(hostReport('h1', [busy('b'), busy('c'), busy('d')], { takenAtMs: Date.now(), ...uris('h1') }));
  state.ingest(hostReport('h2', [busy('a')], { takenAtMs: Date.now(), ...uris('h2') }));
  state.ingest(hostReport('h3', [], { takenAtMs: Date.now(), ...uris('h3') }));
  await runCycle();
  const pending = (await call('GET', '/v1/recommendations?state=pending')).json['recommendations'] as { id: string; vm: string; to: string }[];
  assert.ok(pending.length >= 1, 'another move is recommended');
  const p = pending[0] as (typeof pending)[number];
  const r = await call('POST', `/v1/recommendations/${p.id}/reject`, { note: 'not now' });
  assert.equal(r.json['state'], 'rejected');
  await runCycle();
  const after = (await call('GET', '/v1/recommendations?state=pending')).json['recommendations'] as { vm: string; to: string }[];
  assert.ok(!after.some((x) => x.vm === p.vm && x.to === p.to));
  assert.equal((await call('GET', '/v1/recommendations?state=nope')).status, 400);
  assert.equal((await call('POST', '/v1/recommendations/nope/reject', {})).status, 404);
});

test('maintenance mode: set over the API, shown on the host, kept in Redis; unknown hosts and bad bodies are refused naming the field', async () => {
  const on = await call('POST', '/v1/hosts/h2/maintenance', { enabled: true, reason: 'kernel update' });
  assert.equal(on.status, 200);
  assert.equal(on.json['maintenance'], true);
  const hosts = (await call('GET', '/v1/hosts')).json['hosts'] as { hostId: string; maintenance: boolean }[];
  assert.equal(hosts.find((h) => h.hostId === 'h2')?.maintenance, true);
  const fresh = new MaintenanceStore(engine.redis);
  await fresh.refresh();
  assert.equal(fresh.get('h2')?.reason, 'kernel update');
  const bad = await call('POST', '/v1/hosts/h2/maintenance', { enabled: 'yes' });
  assert.equal(bad.status, 400);
  assert.equal((bad.json['error'] as { field: string }).field, 'enabled');
  assert.equal((await call('POST', '/v1/hosts/nope/maintenance', { enabled: true })).status, 404);
  assert.equal((await call('POST', '/v1/hosts/h2/maintenance', { enabled: false })).json['maintenance'], false);
});

test('placement advice: ranked hosts with reasons; bad input names the field', async () => {
  const r = await call('POST', '/v1/placements', { vcpus: 2, memoryMiB: 1024 });
  assert.equal(r.status, 200);
  const hosts = r.json['hosts'] as { hostId: string; rank: number; fits: boolean; reason: string }[];
  assert.equal(hosts[0]?.fits, true);
  assert.notEqual(hosts[0]?.hostId, 'h1', 'the busy host is not first');
  const bad = await call('POST', '/v1/placements', { vcpus: 0, memoryMiB: 1024 });
  assert.equal(bad.status, 400);
  assert.match(String((bad.json['error'] as { message: string }).message), /^vcpus: /);
});

test('the cluster lease: one engine holds it; another takes it over once released', async () => {
  const log = pino({ level: 'silent' });
  const a = new ClusterLease(engine.redis, { ttlMs: 2000, identifier: 'a', log });
  const b = new ClusterLease(engine.redis, { ttlMs: 2000, identifier: 'b', log });
  assert.equal(await a.ensure(), true);
  assert.equal(await b.ensure(), false);
  assert.equal(await a.ensure(), true);
  await a.release();
  assert.equal(await b.ensure(), true);
  assert.equal(await a.ensure(), false);
  await b.release();
});

test('gRPC: ListRecommendations, RejectRecommendation and ApproveRecommendation, with the HTTP API errors as gRPC codes', async () => {
  state.ingest(hostReport('h4', [], { takenAtMs: Date.now(), ...uris('h4') }));
  await runCycle();
  const server = new grpc.Server();
  server.addService(PolicyServiceService, policyService(engine.state, engine.jobs, { recommendations }));
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  const c = new PolicyServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const list = await new Promise<{ id: string; state: string; toHost: string }[]>((resolve, reject) =>
      c.listRecommendations({ state: 'pending' }, (e, r) => (e ? reject(e) : resolve(r.recommendations))),
    );
    assert.ok(list.length >= 1, 'a pending recommendation');
    const first = list[0] as (typeof list)[number];
    const rejected = await new Promise<string | undefined>((resolve, reject) =>
      c.rejectRecommendation({ id: first.id, note: 'via gRPC' }, (e, r) => (e ? reject(e) : resolve(r.recommendation?.state))),
    );
    assert.equal(rejected, 'rejected');
    const again = await new Promise<grpc.ServiceError>((resolve) => c.approveRecommendation({ id: first.id, note: '' }, (e) => resolve(e as grpc.ServiceError)));
    assert.equal(again.code, grpc.status.FAILED_PRECONDITION);
    const missing = await new Promise<grpc.ServiceError>((resolve) => c.rejectRecommendation({ id: 'nope', note: '' }, (e) => resolve(e as grpc.ServiceError)));
    assert.equal(missing.code, grpc.status.NOT_FOUND);
    const bad = await new Promise<grpc.ServiceError>((resolve) => c.listRecommendations({ state: 'maybe' }, (e) => resolve(e as grpc.ServiceError)));
    assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
  } finally {
    c.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
  }
});
