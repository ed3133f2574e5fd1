import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { JOB_SCHEMA_VERSION } from '@ballast/domain';
import { QUEUE_PREFIX, jobQueueName } from '@ballast/queue';
import { hostReport, vmReport } from '@ballast/testkit';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { createApp } from './create-app.js';

const TOKEN = 'test-token-abcdefghijklmnop';
let engine: TestEngine;
let http: Server;
let base: string;

before(async () => {
  engine = await startTestEngine(300000);
  http = createServer(createApp({ state: engine.state, jobs: engine.jobs, token: TOKEN, holdMs: 300000 }));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const uris = (h: string) => ({ migrationUri: `qemu+tcp://${h}/system`, migrationDataUri: `tcp://${h}` });
  engine.state.ingest(hostReport('h1', [vmReport('web'), vmReport('db'), vmReport('mail')], { takenAtMs: Date.now(), ...uris('h1') }));
  engine.state.ingest(hostReport('h2', [vmReport('cache')], { takenAtMs: Date.now(), ...uris('h2') }));
  engine.state.ingest(hostReport('h3', [vmReport('busy')], { takenAtMs: Date.now(), ...uris('h3') }));
  engine.state.ingest(hostReport('h4', [vmReport('race')], { takenAtMs: Date.now(), ...uris('h4') }));
});

after(async () => {
  await new Promise((r) => http.close(r));
  await engine.stop();
});

type Json = Record<string, unknown> & { error?: { code: string; field?: string; message: string } };
async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<{ status: number; json: Json }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, json: (await r.json()) as Json };
}
const submit = async (body: unknown): Promise<string> => {
  const r = await call('POST', '/v1/jobs', body);
  assert.equal(r.status, 202, JSON.stringify(r.json));
  await new Promise((res) => setTimeout(res, 3)); // distinct creation times: the list is ordered by them
  return r.json['id'] as string;
};
const holdsOf = async (vm: string) => {
  const { json } = await call('GET', '/v1/vms');
  return (json['vms'] as { name: string; holds: { resource: string }[] }[]).find((v) => v.name === vm)?.holds.map((h) => h.resource);
};
type ListedJob = { id: string; state: string; host: string; vm?: string; source: string; type: string };
const list = async (query = '') => {
  const r = await call('GET', `/v1/jobs${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json['jobs'] as ListedJob[];
};

test('GET /v1/jobs lists jobs across the hosts newest first, filtered by vm, host, state, source; limit keeps the newest', async () => {
  const a = await submit({ type: 'set-memory', vm: 'db', memoryMiB: 300 });
  const b = await submit({ type: 'set-memory', vm: 'cache', memoryMiB: 300 });
  const c = await submit({ type: 'pin-vcpu', vm: 'db', vcpu: 0, pcpus: [1] });
  const policyJob = randomUUID();
  await engine.queues.enqueue({
    schemaVersion: JOB_SCHEMA_VERSION, id: policyJob, hostId: 'h2', vmUuid: 'uuid-cache', vmName: 'cache',
    source: 'policy', policy: 'memory-balloon', createdAtMs: Date.now() + 1000, action: { type: 'set-memory', memoryMiB: 256 },
  });
  const ids = (jobs: ListedJob[]) => jobs.map((j) => j.id).filter((id) => [a, b, c, policyJob].includes(id));
  assert.deepEqual(ids(await list()), [policyJob, c, b, a]);
  assert.deepEqual(ids(await list('?vm=db')), [c, a]);
  assert.deepEqual(ids(await list('?vm=uuid-db')), [c, a], 'a VM by UUID');
  assert.deepEqual(ids(await list('?host=h2')), [policyJob, b]);
  assert.deepEqual(ids(await list('?source=policy')), [policyJob]);
  assert.deepEqual(ids(await list('?source=manual&host=h2')), [b]);
  assert.deepEqual(ids(await list('?state=queued&vm=db')), [c, a]);
  assert.deepEqual(ids(await list('?state=succeeded')), []);
  assert.deepEqual(ids(await list('?host=h9')), [], 'a host with no queue: nothing');
  assert.deepEqual((await list('?limit=2')).map((j) => j.id), [policyJob, c]);
  const one = (await list('?vm=cache&source=policy'))[0];
  assert.deepEqual([one?.state, one?.host, one?.vm, one?.type], ['queued', 'h2', 'cache', 'set-memory']);
});

test('GET /v1/jobs: a bad query value is a 400 naming the parameter', async () => {
  for (const [q, field] of [['?state=nope', 'state'], ['?source=robot', 'source'], ['?limit=0', 'limit'], ['?limit=1001', 'limit'], ['?limit=abc', 'limit'], ['?vm=', 'vm']] as const) {
    const r = await call('GET', `/v1/jobs${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.json.error?.code, 'invalid_query', q);
    assert.equal(r.json.error?.field, field, q);
    assert.match(r.json.error?.message ?? '', new RegExp(`^${field}: `), q);
  }
});

test('DELETE /v1/jobs/:id cancels a queued job: off its queue, its hold released; needs the token; unknown: 404', async () => {
  const id = await submit({ type: 'set-memory', vm: 'web', memoryMiB: 400 });
  assert.deepEqual(await holdsOf('web'), ['memory']);
  assert.equal((await call('DELETE', `/v1/jobs/${id}`, undefined, null)).status, 401);
  assert.equal((await call('DELETE', `/v1/jobs/${id}`, undefined, 'wrong')).status, 401);
  const r = await call('DELETE', `/v1/jobs/${id}`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual([r.json['id'], r.json['state'], r.json['vm'], r.json['params']], [id, 'cancelled', 'web', { memoryMiB: 400 }]);
  assert.deepEqual(await holdsOf('web'), []);
  assert.equal(await engine.redis.hget('ballast:holds', 'uuid-web/memory'), null, 'the hold is gone from Redis too');
  assert.equal(await engine.queues.queue('h1').getJob(id), undefined, 'the job is gone from its BullMQ queue');
  assert.equal((await call('GET', `/v1/jobs/${id}`)).status, 404);
  assert.ok(!(await list('?vm=web')).some((j) => j.id === id));
  const again = await call('DELETE', `/v1/jobs/${id}`);
  assert.deepEqual([again.status, again.json.error?.code], [404, 'job_not_found']);
  assert.equal((await call('DELETE', '/v1/jobs/does-not-exist')).status, 404);
});

test('cancelling an earlier job leaves the hold of a later job on the same resource', async () => {
  const first = await submit({ type: 'set-memory', vm: 'mail', memoryMiB: 400 });
  const second = await submit({ type: 'set-memory', vm: 'mail', memoryMiB: 450 });
  assert.equal((await call('DELETE', `/v1/jobs/${first}`)).status, 200);
  assert.deepEqual(await holdsOf('mail'), ['memory'], "the second job's hold stands");
  assert.equal((await call('DELETE', `/v1/jobs/${second}`)).status, 200);
  assert.deepEqual(await holdsOf('mail'), []);
});

test('a job already active or finished is not cancelled: 409 naming its state', async () => {
  let release = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const conn = new Redis(engine.redisSrv.url, { maxRetriesPerRequest: null });
  const worker = new Worker(jobQueueName('h3'), async () => (await gate, { message: 'done', alreadyThere: false }), { connection: conn, prefix: QUEUE_PREFIX });
  try {
    const id = await submit({ type: 'set-memory', vm: 'busy', memoryMiB: 400 });
    const waitFor = async (state: string) => {
      for (let i = 0; i < 100 && (await call('GET', `/v1/jobs/${id}`)).json['state'] !== state; i++) await new Promise((res) => setTimeout(res, 50));
    };
    await waitFor('active');
    const active = await call('DELETE', `/v1/jobs/${id}`);
    assert.deepEqual([active.status, active.json.error?.code], [409, 'job_not_queued']);
    assert.match(active.json.error?.message ?? '', /is active/);
    assert.deepEqual(await holdsOf('busy'), ['memory'], 'a job not cancelled keeps its hold');
    assert.deepEqual((await list('?state=active&host=h3')).map((j) => j.id), [id]);
    release();
    await waitFor('succeeded');
    const done = await call('DELETE', `/v1/jobs/${id}`);
    assert.equal(done.status, 409);
    assert.match(done.json.error?.message ?? '', /is succeeded/);
    assert.deepEqual((await list('?state=succeeded&vm=busy')).map((j) => j.id), [id]);
  } finally {
    release();
    await worker.close();
    await conn.quit();
  }
});

test('cancelling while an actuator takes jobs: every job is either cancelled and never run, or run and refused (409)', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) ids.push((await call('POST', '/v1/jobs', { type: 'set-memory', vm: 'race', memoryMiB: 300 + i })).json['id'] as string);
  const ran = new Set<string>();
  const conn = new Redis(engine.redisSrv.url, { maxRetriesPerRequest: null });
  const worker = new Worker(
    jobQueueName('h4'),
    async (job) => {
      ran.add(job.id ?? '');
      await new Promise((r) => setTimeout(r, 2));
      return { message: 'ok', alreadyThere: false };
    },
    { connection: conn, prefix: QUEUE_PREFIX, concurrency: 4 },
  );
  try {
    const answers = await Promise.all(ids.map(async (id) => [id, (await call('DELETE', `/v1/jobs/${id}`)).status] as const));
    await new Promise((r) => setTimeout(r, 300)); // anything wrongly left on the queue would run now
    const cancelled = answers.filter(([, st]) => st === 200).map(([id]) => id);
    const refused = answers.filter(([, st]) => st === 409).map(([id]) => id);
    assert.equal(cancelled.length + refused.length, ids.length, JSON.stringify(answers));
    assert.deepEqual(cancelled.filter((id) => ran.has(id)), [], 'a cancelled job never runs');
    assert.deepEqual(refused.filter((id) => !ran.has(id)), [], 'a refused job is one the actuator took');
    assert.ok(cancelled.length > 0, 'some were still queued');
  } finally {
    await worker.close();
    await conn.quit();
  }
});
