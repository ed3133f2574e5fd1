import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { QUEUE_PREFIX, jobQueueName, type JobQueues } from '@ballast/queue';
import { hostReport, vmReport } from '@ballast/testkit';
import type { ClusterState } from '@ballast/cycle';
import { startTestEngine, type TestEngine } from '../test-engine.js';

import { createApp } from './create-app.js';

const TOKEN = 'test-token-abcdefghijklmnop';
const AUTH = { headers: { authorization: `Bearer ${TOKEN}` } };
let engine: TestEngine;
let queues: JobQueues;
let http: Server;
let base: string;
let state: ClusterState;

before(async () => {
  engine = await startTestEngine(300000);
  ({ state, queues } = engine);
  const jobs = engine.jobs;
  http = createServer(createApp({ state, jobs, token: TOKEN, holdMs: 300000 }));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  state.ingest(hostReport('h1', [vmReport('web'), vmReport('db')], { takenAtMs: Date.now() }));
  state.ingest(hostReport('h2', [vmReport('cache')], { takenAtMs: Date.now(), migrationUri: 'qemu+tcp://10.77.0.2/system', migrationDataUri: 'tcp://10.77.0.2' }));
});

after(async () => {
  await new Promise((r) => http.close(r));
  await engine.stop();
});

const post = (body: unknown, token: string | null = TOKEN) =>
  fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('GET /v1/vms lists VMs with host, vCPU affinity and balloon in MiB', async () => {
  const r = await fetch(`${base}/v1/vms`, AUTH);
  const { vms } = (await r.json()) as { vms: { name: string; host: string; vcpus: { pcpus: number[] }[]; balloon: { actualMiB: number; unusedMiB: number } }[] };
  assert.deepEqual(vms.map((v) => `${v.name}@${v.host}`), ['cache@h2', 'db@h1', 'web@h1']);
  assert.deepEqual(vms[2]?.vcpus[0]?.pcpus, [0, 1]);
  assert.equal(vms[2]?.balloon.actualMiB, 512);
  assert.equal(vms[2]?.balloon.unusedMiB, 300);
});

test('GET /v1/hosts lists hosts with VM counts', async () => {
  const { hosts } = (await (await fetch(`${base}/v1/hosts`, AUTH)).json()) as { hosts: { hostId: string; vmCount: number; memoryTotalMiB: number }[] };
  assert.deepEqual(hosts.map((h) => [h.hostId, h.vmCount]), [['h1', 2], ['h2', 1]]);
  assert.equal(hosts[0]?.memoryTotalMiB, 24 * 1024);
});

test('POST /v1/jobs without or with a wrong token: 401', async () => {
  assert.equal((await post({ type: 'set-memory', vm: 'web', memoryMiB: 400 }, null)).status, 401);
  const r = await post({ type: 'set-memory', vm: 'web', memoryMiB: 400 }, 'wrong');
  assert.equal(r.status, 401);
  assert.match(((await r.json()) as { error: { message: string } }).error.message, /token is wrong/);
});

test('reads need a token too: 401 with WWW-Authenticate, and nothing of the state in the answer', async () => {
  for (const path of ['/v1/vms', '/v1/hosts', '/v1/jobs/x', '/v1/openapi.json']) {
    const r = await fetch(`${base}${path}`);
    assert.equal(r.status, 401, path);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="ballast"');
    assert.doesNotMatch(await r.text(), /web|h1/, path);
  }
  assert.equal((await fetch(`${base}/v1/vms`, { headers: { authorization: 'Bearer nope' } })).status, 401);
});

test('bad bodies: 400 naming the field; malformed JSON names the body', async () => {
  const r1 = await post({ type: 'set-memory', vm: 'web', memoryMiB: 'x' });
  assert.equal(r1.status, 400);
  assert.deepEqual(((await r1.json()) as { error: { field: string } }).error.field, 'memoryMiB');
  const r2 = await post('{"type": ');
  assert.equal(r2.status, 400);
  assert.equal(((await r2.json()) as { error: { field: string } }).error.field, 'body');
});

test('unknown VM: 404; unknown target host: 404; pCPU out of range: 422', async () => {
  assert.equal((await post({ type: 'set-memory', vm: 'nope', memoryMiB: 400 })).status, 404);
  assert.equal((await post({ type: 'migrate', vm: 'web', targetHost: 'h9' })).status, 404);
  const r = await post({ type: 'pin-vcpu', vm: 'web', vcpu: 0, pcpus: [7] });
  assert.equal(r.status, 422);
  assert.match(((await r.json()) as { error: { message: string } }).error.message, /pCPU 7 does not exist on h1/);
});

test('a job goes to its host queue, holds the resource, and its outcome is readable', async () => {
  const r = await post({ type: 'set-memory', vm: 'web', memoryMiB: 400 });
  assert.equal(r.status, 202);
  const { id } = (await r.json()) as { id: string };
  const queued = (await (await fetch(`${base}/v1/jobs/${id}`, AUTH)).json()) as { state: string; host: string; params: unknown };
  assert.deepEqual([queued.state, queued.host], ['queued', 'h1']);
  assert.deepEqual(queued.params, { memoryMiB: 400 });
  const { vms } = (await (await fetch(`${base}/v1/vms?host=h1`, AUTH)).json()) as { vms: { name: string; holds: { resource: string }[] }[] };
  assert.deepEqual(vms.find((v) => v.name === 'web')?.holds.map((h) => h.resource), ['memory']);

  // A worker on h1's queue (standing in for the actuator) completes it.
  const conn = new Redis(engine.redisSrv.url, { maxRetriesPerRequest: null });
  const worker = new Worker(jobQueueName('h1'), async () => ({ message: 'balloon at 400 MiB', alreadyThere: false }), {
    connection: conn,
    prefix: QUEUE_PREFIX,
  });
  try {
    let job: { state: string; result?: { message: string } } = { state: 'queued' };
    for (let i = 0; i < 50 && job.state !== 'succeeded'; i++) {
      await new Promise((res) => setTimeout(res, 100));
      job = (await (await fetch(`${base}/v1/jobs/${id}`, AUTH)).json()) as typeof job;
    }
    assert.equal(job.state, 'succeeded');
    assert.equal(job.result?.message, 'balloon at 400 MiB');
  } finally {
    await worker.close();
    await conn.quit();
  }
});

test('migrate: the job carries the target host migration URIs', async () => {
  const r = await post({ type: 'migrate', vm: 'web', targetHost: 'h2' });
  assert.equal(r.status, 202);
  const { id } = (await r.json()) as { id: string };
  const st = await queues.status(id);
  assert.deepEqual(st?.spec.action, { type: 'migrate', targetHost: 'h2', destUri: 'qemu+tcp://10.77.0.2/system', migrateUri: 'tcp://10.77.0.2' });
});

test('GET /v1/jobs/:id for an unknown id: 404', async () => {
  assert.equal((await fetch(`${base}/v1/jobs/does-not-exist`, AUTH)).status, 404);
});
