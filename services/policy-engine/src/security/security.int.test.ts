// Tokens with roles over HTTP and gRPC, on a real redis-server: create / use / revoke, 401 and 403 (nothing
// changed), the audit log of both, and the gRPC policy API taking the same tokens while ingest keeps its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { IngestServiceClient, Job, IngestServiceService, PolicyServiceClient, PolicyServiceService, hostSampleFromReport } from '@ballast/proto';
import { grpcClientSecurity } from '@ballast/runtime';
import { hostReport, vmReport } from '@ballast/testkit';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { createApp } from '../http/create-app.js';
import { ingestService } from '../grpc/ingest-service.js';
import { policyService } from '../grpc/policy-service.js';
import { AuditLog } from './audit-log.js';
import { engineGrpcAuth } from './grpc-auth.js';
import { POLICY_RPC_ROLES } from './grpc-roles.js';
import { securityRoutes } from './security-routes.js';
import { TokenStore } from './token-store.js';

const ADMIN = 'first-admin-token-0123456789abcdef';
const INGEST = 'collectors-own-token-0123456789';
let engine: TestEngine;
let http: Server;
let base: string;
let grpcServer: grpc.Server;
let grpcAddress: string;
let tokens: TokenStore;
let audit: AuditLog;

type Json = Record<string, unknown>;
async function call(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; json: Json }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, json: (await r.json()) as Json };
}

async function newToken(role: string, name = `${role}-tool`): Promise<{ token: string; id: string }> {
  const r = await call('POST', '/v1/tokens', ADMIN, { role, name });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return { token: String(r.json['token']), id: String(r.json['id']) };
}

before(async () => {
  engine = await startTestEngine(300000);
  tokens = new TokenStore(engine.redis, ADMIN);
  audit = new AuditLog(engine.redis);
  engine.state.ingest(hostReport('h1', [vmReport('web')], { takenAtMs: Date.now() }));
  http = createServer(createApp({ state: engine.state, jobs: engine.jobs, token: ADMIN, auth: tokens, audit, holdMs: 300000, extraRoutes: securityRoutes(tokens, audit) }));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  grpcServer = new grpc.Server({ interceptors: [engineGrpcAuth({ auth: tokens, roles: POLICY_RPC_ROLES, ingestToken: INGEST, audit })] });
  grpcServer.addService(IngestServiceService, ingestService((r) => engine.state.ingest(r), pino({ level: 'silent' })));
  grpcServer.addService(PolicyServiceService, policyService(engine.state, engine.jobs));
  const port = await new Promise<number>((res, rej) => grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  grpcAddress = `127.0.0.1:${port}`;
});

after(async () => {
  grpcServer.forceShutdown();
  await new Promise((r) => http.close(r));
  await engine.stop();
});

describe('HTTP: tokens and roles', () => {
  test('a token is shown once, kept hashed: Redis holds neither the token nor its secret', async () => {
    const { token, id } = await newToken('viewer');
    assert.match(token, /^blt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const stored = (await engine.redis.hget('ballast:tokens', id)) ?? '';
    assert.ok(stored.includes('"role":"viewer"'), stored);
    // the secret is what follows `blt_<16 hex>_` (it may hold `_` itself: base64url)
    const secret = token.slice('blt_'.length + 16 + 1);
    assert.equal(secret.length, 43);
    assert.ok(!stored.includes(secret), 'the secret is not stored');
    const list = await call('GET', '/v1/tokens', ADMIN);
    assert.ok(JSON.stringify(list.json).includes(id));
    assert.ok(!JSON.stringify(list.json).includes(token), 'lists never show a token');
  });

  test('viewer reads; viewer and operator get 403 above their role and nothing changes', async () => {
    const viewer = await newToken('viewer');
    const operator = await newToken('operator');
    assert.equal((await call('GET', '/v1/vms', viewer.token)).status, 200);
    const job = { type: 'set-memory', vm: 'web', memoryMiB: 900 };
    const denied = await call('POST', '/v1/jobs', viewer.token, job);
    assert.equal(denied.status, 403);
    assert.match(String((denied.json['error'] as Json)['message']), /needs the operator role; the token \([0-9a-f]{16}\) has viewer/);
    assert.deepEqual((await call('GET', '/v1/jobs?vm=web', ADMIN)).json['jobs'], [], 'no job was queued');
    assert.equal((await call('POST', '/v1/tokens', operator.token, { role: 'admin', name: 'escalate' })).status, 403);
    assert.equal((await tokens.list()).some((t) => t.name === 'escalate'), false, 'no token was made');
    const ok = await call('POST', '/v1/jobs', operator.token, job);
    assert.equal(ok.status, 202, JSON.stringify(ok.json));
  });

  test('a forged token with a real id, a malformed one and a revoked one get 401', async () => {
    const v = await newToken('viewer');
    const forged = `blt_${v.id}_${'A'.repeat(43)}`;
    assert.equal((await call('GET', '/v1/vms', forged)).status, 401);
    assert.equal((await call('GET', '/v1/vms', 'blt_nothing')).status, 401);
    assert.equal((await call('DELETE', `/v1/tokens/${v.id}`, ADMIN)).status, 200);
    const r = await call('GET', '/v1/vms', v.token);
    assert.equal(r.status, 401);
    assert.match(String((r.json['error'] as Json)['message']), /revoked/);
    assert.equal((await call('DELETE', `/v1/tokens/${v.id}`, ADMIN)).status, 404);
  });

  test('bad token requests name the field', async () => {
    const r = await call('POST', '/v1/tokens', ADMIN, { role: 'root', name: 'x' });
    assert.deepEqual([r.status, (r.json['error'] as Json)['field']], [400, 'role']);
    const n = await call('POST', '/v1/tokens', ADMIN, { role: 'viewer', name: '  ' });
    assert.deepEqual([n.status, (n.json['error'] as Json)['field']], [400, 'name']);
  });

  test('the audit log names who changed what (token id, never the token), refusals for the role included', async () => {
    const op = await newToken('operator', 'auditor-check');
    await call('POST', '/v1/jobs', op.token, { type: 'set-memory', vm: 'web', memoryMiB: 950 });
    await call('POST', '/v1/tokens', op.token, { role: 'admin', name: 'nope' });
    const { json } = await call('GET', `/v1/audit?actor=${op.id}`, op.token);
    const entries = json['entries'] as { actor: string; action: string; status: string; detail?: Json; target?: string }[];
    assert.deepEqual(entries.map((e) => `${e.action}:${e.status}`), ['createToken:403', 'submitJob:202']);
    assert.equal(entries[1]?.detail?.['memoryMiB'], 950);
    const made = await call('GET', '/v1/audit?action=createToken&limit=1000', ADMIN);
    const all = JSON.stringify(made.json);
    assert.ok(all.includes('"actor":"bootstrap"'), 'the first admin token audits as bootstrap');
    assert.ok(!all.includes(op.token) && !all.includes(ADMIN), 'no token in the audit log');
  });
});

describe('gRPC: the same tokens and roles; ingest keeps its own credential', () => {
  const clients = (token?: string) => {
    const sec = grpcClientSecurity({ token });
    return {
      policy: new PolicyServiceClient(grpcAddress, sec.credentials, { interceptors: sec.interceptors }),
      ingest: new IngestServiceClient(grpcAddress, sec.credentials, { interceptors: sec.interceptors }),
    };
  };
  const listVms = (c: PolicyServiceClient) => new Promise<grpc.ServiceError | number>((res) => c.listVms({ hostId: '' }, (e, r) => res(e ?? r.vms.length)));
  const submit = (c: PolicyServiceClient) =>
    new Promise<grpc.ServiceError | string>((res) => c.submitJob({ job: { ...Job.fromPartial({ vmName: 'web' }), setMemory: { memoryMib: 800 } } }, (e, r) => res(e ?? r.id)));

  test('no token, the ingest token, or a wrong one: UNAUTHENTICATED on PolicyService', async () => {
    for (const t of [undefined, INGEST, 'wrong-token-0000000000']) {
      const r = await listVms(clients(t).policy);
      assert.equal((r as grpc.ServiceError).code, grpc.status.UNAUTHENTICATED, String(t));
    }
  });

  test('a viewer lists but cannot submit (PERMISSION_DENIED, nothing queued, audited); an operator submits', async () => {
    const viewer = await newToken('viewer');
    const v = clients(viewer.token).policy;
    assert.equal(await listVms(v), 1);
    const before = (await call('GET', '/v1/jobs?vm=web&limit=1000', ADMIN)).json['jobs'] as unknown[];
    const denied = await submit(v);
    assert.equal((denied as grpc.ServiceError).code, grpc.status.PERMISSION_DENIED);
    assert.equal(((await call('GET', '/v1/jobs?vm=web&limit=1000', ADMIN)).json['jobs'] as unknown[]).length, before.length);
    const operator = await newToken('operator');
    const id = await submit(clients(operator.token).policy);
    assert.equal(typeof id, 'string', String(id));
    const entries = (await call('GET', '/v1/audit?limit=1000', ADMIN)).json['entries'] as { actor: string; action: string; status: string }[];
    assert.ok(entries.some((e) => e.actor === viewer.id && e.action === 'grpc:SubmitJob' && e.status === 'PERMISSION_DENIED'));
    assert.ok(entries.some((e) => e.actor === operator.id && e.action === 'grpc:SubmitJob' && e.status === 'OK'));
  });

  test('IngestService takes the ingest token only (an API token is not an ingest credential)', async () => {
    const stream = (t: string | undefined) =>
      new Promise<number | grpc.ServiceError>((resolve) => {
        const s = clients(t).ingest.streamSamples((e, r) => resolve(e ?? r.accepted));
        s.write({ sample: hostSampleFromReport(hostReport('h9', [vmReport('x')], { takenAtMs: Date.now() })) });
        s.end();
      });
    assert.equal(await stream(INGEST), 1);
    assert.equal(((await stream(ADMIN)) as grpc.ServiceError).code, grpc.status.UNAUTHENTICATED);
    assert.equal(((await stream(undefined)) as grpc.ServiceError).code, grpc.status.UNAUTHENTICATED);
  });
});

test('without an ingest token (the make run default) ingest is open but SubmitJob still needs an API token', async () => {
  const open = new grpc.Server({ interceptors: [engineGrpcAuth({ auth: tokens, roles: POLICY_RPC_ROLES })] });
  open.addService(IngestServiceService, ingestService((r) => engine.state.ingest(r), pino({ level: 'silent' })));
  open.addService(PolicyServiceService, policyService(engine.state, engine.jobs));
  const port = await new Promise<number>((res, rej) => open.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  try {
    const c = new PolicyServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const err = await new Promise<grpc.ServiceError | null>((res) => c.submitJob({ job: { ...Job.fromPartial({ vmName: 'web' }), setMemory: { memoryMib: 700 } } }, (e) => res(e)));
    assert.equal(err?.code, grpc.status.UNAUTHENTICATED);
    const ingest = new IngestServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const accepted = await new Promise<number>((resolve, reject) => {
      const s = ingest.streamSamples((e, r) => (e ? reject(e) : resolve(r.accepted)));
      s.write({ sample: hostSampleFromReport(hostReport('h8', [vmReport('y')], { takenAtMs: Date.now() })) });
      s.end();
    });
    assert.equal(accepted, 1);
  } finally {
    open.forceShutdown();
  }
});
