// PolicyService.GetPause / SetPause on a real gRPC server and redis-server: the same store as the HTTP API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { PolicyServiceClient, PolicyServiceService, type Pause, type SetPauseRequest } from '@ballast/proto';
import { grpcClientSecurity, grpcServerSecurity } from '@ballast/runtime';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { policyService } from '../grpc/policy-service.js';
import { POLICY_RPC_ROLES } from '../security/grpc-roles.js';
import { staticAuthenticator } from '../security/auth.js';
import { grpcActor } from './stop-grpc.js';
import { StopSwitches } from './stop-switches.js';

const TOKEN = 'grpc-admin-token-0123456789';
let engine: TestEngine;
let server: grpc.Server;
let client: PolicyServiceClient;
let stops: StopSwitches;

before(async () => {
  engine = await startTestEngine(1000);
  stops = new StopSwitches(engine.redis);
  const sec = grpcServerSecurity({ token: TOKEN });
  server = new grpc.Server({ interceptors: sec.interceptors });
  server.addService(PolicyServiceService, policyService(engine.state, engine.jobs, undefined, { stops: { stops, now: () => Date.now(), actorOf: grpcActor(staticAuthenticator(TOKEN)) } }));
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', sec.credentials, (e, p) => (e ? rej(e) : res(p))));
  const c = grpcClientSecurity({ token: TOKEN });
  client = new PolicyServiceClient(`127.0.0.1:${port}`, c.credentials, { interceptors: c.interceptors });
});

after(async () => {
  client.close();
  await new Promise<void>((r) => server.tryShutdown(() => r()));
  await engine.stop();
});

const setPause = (req: SetPauseRequest) => new Promise<Pause | undefined>((res, rej) => client.setPause(req, (e, r) => (e ? rej(e) : res(r.pause))));
const getPause = () => new Promise<Pause | undefined>((res, rej) => client.getPause({}, (e, r) => (e ? rej(e) : res(r.pause))));

test('GetPause / SetPause need viewer / admin in the gRPC role map', () => {
  assert.deepEqual([POLICY_RPC_ROLES['GetPause'], POLICY_RPC_ROLES['SetPause']], ['viewer', 'admin']);
});

test('SetPause without a reason: INVALID_ARGUMENT naming reason, nothing stored', async () => {
  await assert.rejects(setPause({ paused: true, reason: ' ' }), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT && /^reason:/.test(e.details));
  assert.equal(await engine.redis.exists('ballast:stop:pause'), 0);
});

test('SetPause pauses with the caller as actor, the store (and so the HTTP API) sees it; SetPause false resumes', async () => {
  const p = await setPause({ paused: true, reason: 'from another system' });
  assert.deepEqual([p?.paused, p?.reason, p?.actor], [true, 'from another system', 'bootstrap']);
  assert.ok((p?.sinceMs ?? 0) > 0);
  const replica = new StopSwitches(engine.redis);
  await replica.refresh();
  assert.equal(replica.current()?.reason, 'from another system');
  assert.deepEqual(await getPause(), p);
  const r = await setPause({ paused: false, reason: '' });
  assert.deepEqual(r, { paused: false, reason: '', sinceMs: 0, actor: '' });
  assert.equal((await getPause())?.paused, false);
});
