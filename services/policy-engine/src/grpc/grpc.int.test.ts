import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { IngestServiceClient, IngestServiceService, Job, JobSource, JobState, PolicyServiceClient, PolicyServiceService, hostSampleFromReport } from '@ballast/proto';
import { QUEUE_PREFIX, jobQueueName } from '@ballast/queue';
import { grpcClientSecurity, grpcServerSecurity } from '@ballast/runtime';
import { hostReport, vmReport } from '@ballast/testkit';
import type { ClusterState } from '@ballast/cycle';
import { startTestEngine, type TestEngine } from '../test-engine.js';

import { ingestService } from './ingest-service.js';
import { policyService } from './policy-service.js';

const TOKEN = 'grpc-shared-token-0123456789';
let engine: TestEngine;
let server: grpc.Server;
let address: string;
let state: ClusterState;

before(async () => {
  engine = await startTestEngine(1000);
  ({ state } = engine);
  const jobs = engine.jobs;
  const sec = grpcServerSecurity({ token: TOKEN });
  server = new grpc.Server({ interceptors: sec.interceptors });
  server.addService(IngestServiceService, ingestService((r) => state.ingest(r), pino({ level: 'silent' })));
  server.addService(PolicyServiceService, policyService(state, jobs));
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', sec.credentials, (e, p) => (e ? rej(e) : res(p))));
  address = `127.0.0.1:${port}`;
});

after(async () => {
  await new Promise<void>((r) => server.tryShutdown(() => r()));
  await engine.stop();
});

function clients(token?: string) {
  const sec = grpcClientSecurity({ token });
  return {
    ingest: new IngestServiceClient(address, sec.credentials, { interceptors: sec.interceptors }),
    policy: new PolicyServiceClient(address, sec.credentials, { interceptors: sec.interceptors }),
  };
}

test('a collector stream with the token is ingested; PolicyService lists the VMs', async () => {
  const c = clients(TOKEN);
  const accepted = await new Promise<number>((resolve, reject) => {
    const call = c.ingest.streamSamples((err, res) => (err ? reject(err) : resolve(res.accepted)));
    call.write({ sample: hostSampleFromReport(hostReport('h1', [vmReport('web')], { takenAtMs: Date.now() })) });
    call.write({ sample: hostSampleFromReport(hostReport('h1', [vmReport('web'), vmReport('db')], { takenAtMs: Date.now() })) });
    call.end();
  });
  assert.equal(accepted, 2);
  const vms = await new Promise<string[]>((resolve, reject) =>
    c.policy.listVms({ hostId: '' }, (err, res) => (err ? reject(err) : resolve(res.vms.map((v) => `${v.vm?.name}@${v.hostId}`)))),
  );
  assert.deepEqual(vms, ['db@h1', 'web@h1']);
  c.ingest.close();
  c.policy.close();
});

test('SubmitJob validates like the HTTP API and GetJob reads it back', async () => {
  const c = clients(TOKEN);
  const bad = await new Promise<grpc.ServiceError>((resolve) =>
    c.policy.submitJob({ job: { ...Job.fromPartial({ vmName: 'web' }), setMemory: { memoryMib: 0 } } }, (err) => resolve(err as grpc.ServiceError)),
  );
  assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
  assert.match(bad.details, /^memoryMiB: /);
  const missing = await new Promise<grpc.ServiceError>((resolve) =>
    c.policy.submitJob({ job: { ...Job.fromPartial({ vmName: 'nope' }), setMemory: { memoryMib: 400 } } }, (err) => resolve(err as grpc.ServiceError)),
  );
  assert.equal(missing.code, grpc.status.NOT_FOUND);
  const id = await new Promise<string>((resolve, reject) =>
    c.policy.submitJob({ job: { ...Job.fromPartial({ vmName: 'web' }), setMemory: { memoryMib: 400 } } }, (err, res) => (err ? reject(err) : resolve(res.id))),
  );
  const got = await new Promise<{ vm: string; mib: number }>((resolve, reject) =>
    c.policy.getJob({ id }, (err, res) => (err ? reject(err) : resolve({ vm: res.job?.vmName ?? '', mib: res.job?.setMemory?.memoryMib ?? 0 }))),
  );
  assert.deepEqual(got, { vm: 'web', mib: 400 });
  c.policy.close();
  c.ingest.close();
});

test('without the token or with a wrong one: UNAUTHENTICATED, nothing ingested', async () => {
  for (const token of [undefined, 'wrong-token']) {
    const c = clients(token);
    const err = await new Promise<grpc.ServiceError>((resolve) => c.policy.listHosts({}, (e) => resolve(e as grpc.ServiceError)));
    assert.equal(err?.code, grpc.status.UNAUTHENTICATED);
    const streamErr = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = c.ingest.streamSamples((e) => resolve(e));
      call.write({ sample: hostSampleFromReport(hostReport('intruder', [vmReport('x')])) });
      call.end();
    });
    assert.equal(streamErr?.code, grpc.status.UNAUTHENTICATED);
    c.policy.close();
    c.ingest.close();
  }
  assert.equal(state.hostReport('intruder'), undefined);
});

test('ListJobs filters like GET /v1/jobs; CancelJob cancels a queued job, NOT_FOUND for an unknown one, FAILED_PRECONDITION naming the state of a finished one', async () => {
  const c = clients(TOKEN);
  const p = <T>(f: (cb: (err: grpc.ServiceError | null, res: T) => void) => void) =>
    new Promise<T>((resolve, reject) => f((err, res) => (err ? reject(err) : resolve(res))));
  const fails = (f: (cb: (err: grpc.ServiceError | null) => void) => void) => new Promise<grpc.ServiceError>((resolve) => f((err) => resolve(err as grpc.ServiceError)));
  const submit = (mib: number) => p<{ id: string }>((cb) => c.policy.submitJob({ job: { ...Job.fromPartial({ vmName: 'db' }), setMemory: { memoryMib: mib } } }, cb));
  try {
    const { id } = await submit(300);
    const listed = await p<{ jobs: { job?: Job; outcome?: { state: JobState } }[] }>((cb) =>
      c.policy.listJobs({ vm: 'db', hostId: 'h1', state: JobState.JOB_STATE_QUEUED, source: JobSource.JOB_SOURCE_MANUAL, limit: 0 }, cb),
    );
    assert.deepEqual(listed.jobs.map((j) => [j.job?.id, j.job?.setMemory?.memoryMib, j.outcome?.state]), [[id, 300, JobState.JOB_STATE_QUEUED]]);
    const none = await p<{ jobs: unknown[] }>((cb) => c.policy.listJobs({ vm: 'db', hostId: '', state: JobState.JOB_STATE_SUCCEEDED, source: JobSource.JOB_SOURCE_UNSPECIFIED, limit: 10 }, cb));
    assert.deepEqual(none.jobs, []);
    const bad = await fails((cb) => c.policy.listJobs({ vm: '', hostId: '', state: JobState.JOB_STATE_UNSPECIFIED, source: JobSource.JOB_SOURCE_UNSPECIFIED, limit: 5000 }, cb));
    assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad.details, /^limit: /);

    const cancelled = await p<{ job?: Job }>((cb) => c.policy.cancelJob({ id }, cb));
    assert.deepEqual([cancelled.job?.id, cancelled.job?.vmName], [id, 'db']);
    assert.equal((await fails((cb) => c.policy.cancelJob({ id }, cb))).code, grpc.status.NOT_FOUND);
    assert.equal((await fails((cb) => c.policy.getJob({ id }, cb))).code, grpc.status.NOT_FOUND);

    const { id: done } = await submit(320);
    const conn = new Redis(engine.redisSrv.url, { maxRetriesPerRequest: null });
    const worker = new Worker(jobQueueName('h1'), async () => ({ message: 'ok', alreadyThere: false }), { connection: conn, prefix: QUEUE_PREFIX });
    try {
      for (let i = 0; i < 100 && (await engine.queues.status(done))?.state !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await worker.close();
      await conn.quit();
    }
    const finished = await fails((cb) => c.policy.cancelJob({ id: done }, cb));
    assert.equal(finished.code, grpc.status.FAILED_PRECONDITION);
    assert.match(finished.details, /is succeeded/);
  } finally {
    c.policy.close();
    c.ingest.close();
  }
});
