// PolicyService's policy-document RPCs over a real gRPC server and redis-server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { builtinPolicies } from '@ballast/domain';
import { PolicyServiceClient, PolicyServiceService, type PolicyVersion } from '@ballast/proto';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { PolicyDocuments } from '../policies/policy-documents.js';
import { PolicyStore } from '../policies/policy-store.js';
import { policyService } from './policy-service.js';

let engine: TestEngine;
let server: grpc.Server;
let client: PolicyServiceClient;

before(async () => {
  engine = await startTestEngine(1000);
  server = new grpc.Server();
  server.addService(PolicyServiceService, policyService(engine.state, engine.jobs, undefined, { policyDocs: new PolicyDocuments(new PolicyStore(engine.redis), builtinPolicies()) }));
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  client = new PolicyServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

after(async () => {
  client.close();
  await new Promise<void>((r) => server.tryShutdown(() => r()));
  await engine.stop();
});

type Unary<Req, Res> = (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown;
const rpc = <Req, Res>(fn: Unary<Req, Res>, req: Req) =>
  new Promise<Res>((resolve, reject) => fn.call(client, req, (e, r) => (e ? reject(e) : resolve(r))));
const apply = (document: string, expectedVersion?: number) =>
  rpc(client.applyPolicy as Unary<object, { policy: PolicyVersion }>, { document, comment: 'rpc', ...(expectedVersion !== undefined ? { expectedVersion } : {}) });
const get = (version = 0) => rpc(client.getPolicy as Unary<object, { policy: PolicyVersion }>, { version });

test('GetPolicy / ApplyPolicy / ListPolicyVersions: versions, stale and missing versions, every issue of an invalid document', async () => {
  assert.equal((await get()).policy.version, 0);
  const v1 = await apply('{"policies": {"ksm": {"automation": "recommend"}}}', 0);
  assert.deepEqual([v1.policy.version, v1.policy.source, v1.policy.comment], [1, 'grpc', 'rpc']);
  const v2 = await apply('policies:\n  vcpu-balance: {automation: off}\n', 1);
  assert.equal(v2.policy.documentJson, '{"policies":{"vcpu-balance":{"automation":"off"}}}');
  await assert.rejects(apply('{"policies": {}}', 1), (e: grpc.ServiceError) => e.code === grpc.status.FAILED_PRECONDITION && /current policy version is 2/.test(e.details));
  await assert.rejects(apply('{"policies": {}}'), (e: grpc.ServiceError) => e.code === grpc.status.FAILED_PRECONDITION && /expected_version/.test(e.details));
  await assert.rejects(
    apply('{"policies": {"ksm": {"automation": "x"}, "nope": {}}}', 2),
    (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT && e.details === 'policies.ksm.automation: must be one of auto, recommend, off\npolicies.nope: no such policy (known: cluster-balance, cpu-entitlement, ksm, memory-balloon, numa-placement, vcpu-balance)',
  );
  assert.equal((await get()).policy.version, 2, 'nothing stored by the refused writes');
  assert.equal(JSON.parse((await get(1)).policy.documentJson).policies.ksm.automation, 'recommend');
  await assert.rejects(get(7), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
  const list = await rpc(client.listPolicyVersions as Unary<object, { versions: PolicyVersion[] }>, { limit: 0 });
  assert.deepEqual(list.versions.map((v) => v.version), [2, 1]);
});
