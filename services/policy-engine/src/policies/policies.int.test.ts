// The versioned policy document end to end: a real redis-server, the real express app, viewer and admin tokens.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { builtinPolicies } from '@ballast/domain';
import { PolicyCycle } from '@ballast/cycle';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { createApp } from '../http/create-app.js';
import type { Authenticator } from '../security/auth.js';
import { AuditLog } from '../security/audit-log.js';
import { PolicyDocuments } from './policy-documents.js';
import { PolicyReloader } from './policy-reloader.js';
import { startPolicies } from './policy-start.js';
import { PolicyStore, StaleVersionError } from './policy-store.js';

const ADMIN = 'admin-token-abcdefghijkl';
const VIEWER = 'viewer-token-abcdefghijk';
const auth: Authenticator = {
  authenticate: async (t) => (t === ADMIN ? { tokenId: 'tok-admin', role: 'admin' } : t === VIEWER ? { tokenId: 'tok-viewer', role: 'viewer' } : { error: 'wrong token' }),
};
const quiet = { info: () => undefined, error: () => undefined };

let engine: TestEngine;
let http: Server;
let base: string;
let docs: PolicyDocuments;

before(async () => {
  engine = await startTestEngine(300000);
  docs = new PolicyDocuments(new PolicyStore(engine.redis), builtinPolicies());
  http = createServer(createApp({ state: engine.state, jobs: engine.jobs, token: 'unused-static-token-xyz', auth, holdMs: 300000, policyDocs: docs }));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => http.close(r));
  await engine.stop();
});

beforeEach(async () => {
  await engine.redis.flushdb();
});

type VersionJson = { version: number; actor: string; source: string; comment?: string; document: { policies: Record<string, unknown> }; policies?: { name: string; automation: string; args: Record<string, unknown> }[] };
type ErrorJson = { error: { code: string; message: string; field?: string; currentVersion?: number; issues?: { field: string; message: string }[] } };

async function call(method: string, path: string, o: { body?: unknown; token?: string; headers?: Record<string, string> } = {}) {
  const yaml = typeof o.body === 'string';
  const r = await fetch(`${base}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${o.token ?? ADMIN}`, ...(o.body !== undefined ? { 'content-type': yaml ? 'application/yaml' : 'application/json' } : {}), ...o.headers },
    ...(o.body !== undefined ? { body: yaml ? (o.body as string) : JSON.stringify(o.body) } : {}),
  });
  return { status: r.status, etag: r.headers.get('etag'), body: (await r.json()) as VersionJson & ErrorJson & { versions: VersionJson[] } };
}

const DOC1 = { policies: { ksm: { automation: 'recommend' } } };
const DOC2 = { policies: { ksm: { automation: 'auto' }, 'memory-balloon': { automation: 'recommend', args: { defaults: { minUnusedMiB: 128 } } } } };

describe('HTTP', () => {
  test('nothing stored: version 0, the empty document, ETag "0"', async () => {
    const r = await call('GET', '/policies', { token: VIEWER });
    assert.equal(r.status, 200);
    assert.equal(r.etag, '"0"');
    assert.equal(r.body.version, 0);
    assert.deepEqual(r.body.document, { policies: {} });
    assert.deepEqual(r.body.policies, []);
  });

  test('create, read, update with If-Match; a write without a version is 428; a stale one 409 and nothing changes', async () => {
    assert.equal((await call('PUT', '/policies', { body: DOC1 })).status, 428);
    const v1 = await call('PUT', '/policies', { body: { ...DOC1, comment: 'first' }, headers: { 'if-match': '"0"' } });
    assert.equal(v1.status, 200, JSON.stringify(v1.body));
    assert.equal(v1.etag, '"1"');
    assert.deepEqual([v1.body.version, v1.body.actor, v1.body.source, v1.body.comment], [1, 'tok-admin', 'api', 'first']);
    const read = await call('GET', '/policies', { token: VIEWER });
    assert.deepEqual(read.body.document, DOC1);
    assert.deepEqual(read.body.policies?.map((p) => [p.name, p.automation]), [['ksm', 'recommend']]);
    assert.ok(read.body.policies?.[0]?.args && Object.keys(read.body.policies[0].args).length > 0, 'policies lists args with their defaults');

    const stale = await call('PUT', '/policies', { body: DOC2, headers: { 'if-match': '"0"' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.code, 'version_conflict');
    assert.equal(stale.body.error.currentVersion, 1);
    const after = await call('GET', '/policies');
    assert.equal(after.body.version, 1);
    assert.deepEqual(after.body.document, DOC1);

    const v2 = await call('PUT', '/policies', { body: { ...DOC2, version: 1 } });
    assert.equal(v2.status, 200);
    assert.equal(v2.body.version, 2);
    assert.equal((await call('PUT', '/policies', { body: { ...DOC2, version: 2 }, headers: { 'if-match': '"1"' } })).status, 400, 'header and field disagree');
  });

  test('an invalid document: 400 naming every bad field; nothing stored', async () => {
    await call('PUT', '/policies', { body: DOC1, headers: { 'if-match': '0' } });
    const bad = {
      policies: {
        'memory-balloon': { automation: 'sometimes', args: { defaults: { minUnusedMiB: -1 }, groups: [{ match: { labels: { tier: 5 } } }] }, selector: { matchLabels: { tier: 1 } } },
        nope: {},
      },
      version: 1,
    };
    const r = await call('PUT', '/policies', { body: bad });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalid_policy_document');
    assert.deepEqual(r.body.error.issues?.map((i) => i.field), [
      'policies.memory-balloon.automation',
      'policies.memory-balloon.selector.matchLabels.tier',
      'policies.memory-balloon.defaults.minUnusedMiB',
      'policies.memory-balloon.groups[0].match.labels.tier',
      'policies.nope',
    ]);
    assert.equal(r.body.error.field, 'policies.memory-balloon.automation');
    const now = await call('GET', '/policies');
    assert.equal(now.body.version, 1);
    assert.deepEqual(now.body.document, DOC1);
    assert.equal((await call('GET', '/policies/history')).body.versions.length, 1);
    assert.equal((await call('PUT', '/policies', { body: { version: 1 } })).body.error.field, 'policies', 'a body without policies does not empty the document');
  });

  test('a YAML body is stored as normal JSON; bad YAML is a 400 on body', async () => {
    const yaml = ['version: 0', 'comment: from yaml', 'policies:', '  memory-balloon:', '    automation: recommend', '    selector:', '      matchLabels: {tier: gold}', '  ksm: {}'].join('\n');
    const r = await call('PUT', '/policies', { body: yaml });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(JSON.stringify(r.body.document), '{"policies":{"ksm":{"automation":"auto"},"memory-balloon":{"automation":"recommend","selector":{"matchLabels":{"tier":"gold"}}}}}');
    const bad = await call('PUT', '/policies', { body: 'policies: [unclosed' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'body');
  });

  test('one entry: PUT and DELETE /policies/:name make versions; history newest first; one version by number', async () => {
    await call('PUT', '/policies', { body: DOC1, headers: { 'if-match': '"0"' } });
    const set = await call('PUT', '/policies/vcpu-balance', { body: { automation: 'off', version: 1 } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(Object.keys(set.body.document.policies), ['ksm', 'vcpu-balance']);
    assert.equal((await call('PUT', '/policies/vcpu-balance', { body: { automation: 'off' }, headers: { 'if-match': '"1"' } })).status, 409);
    assert.equal((await call('PUT', '/policies/vcpu-balance', { body: { automation: 'never', version: 2 } })).body.error.issues?.[0]?.field, 'policies.vcpu-balance.automation');
    assert.equal((await call('DELETE', '/policies/numa-placement?version=2')).status, 404);
    const del = await call('DELETE', '/policies/ksm', { headers: { 'if-match': '"2"' } });
    assert.equal(del.status, 200);
    assert.deepEqual(del.body.document, { policies: { 'vcpu-balance': { automation: 'off' } } });
    const h = await call('GET', '/policies/history?limit=2', { token: VIEWER });
    assert.deepEqual(h.body.versions.map((v) => v.version), [3, 2]);
    const v1 = await call('GET', '/policies/versions/1', { token: VIEWER });
    assert.equal(v1.etag, '"1"');
    assert.deepEqual(v1.body.document, DOC1);
    assert.equal((await call('GET', '/policies/versions/9')).status, 404);
    assert.equal((await call('GET', '/policies/history?limit=0')).body.error.field, 'limit');
  });

  test('a viewer token cannot write (403, nothing stored)', async () => {
    const r = await call('PUT', '/policies', { body: DOC1, token: VIEWER, headers: { 'if-match': '"0"' } });
    assert.equal(r.status, 403);
    assert.equal((await call('DELETE', '/policies/ksm?version=0', { token: VIEWER })).status, 403);
    assert.equal((await call('GET', '/policies')).body.version, 0);
  });

  test('the OpenAPI document lists the policy routes with PUT', async () => {
    const doc = (await (await fetch(`${base}/v1/openapi.json`, { headers: { authorization: `Bearer ${VIEWER}` } })).json()) as { paths: Record<string, Record<string, { 'x-ballast-role': string }>> };
    assert.equal(doc.paths['/v1/policies']?.put?.['x-ballast-role'], 'admin');
    assert.deepEqual(Object.keys((doc.paths['/v1/policies']?.put as unknown as { requestBody: { content: object } }).requestBody.content), ['application/json', 'application/yaml', 'text/yaml']);
    assert.equal(doc.paths['/v1/policies/{name}']?.delete?.['x-ballast-role'], 'admin');
    assert.ok(doc.paths['/v1/policies/history']?.get);
    assert.ok(doc.paths['/v1/policies/versions/{version}']?.get);
  });
});

describe('store, reload, file', () => {
  test('two writers on the same version: exactly one wins', async () => {
    const s = new PolicyStore(engine.redis);
    const w = (c: string) => s.apply({ document: { policies: {} }, expectedVersion: 0, actor: c, source: 'api' });
    const r = await Promise.allSettled([w('a'), w('b'), w('c')]);
    assert.equal(r.filter((x) => x.status === 'fulfilled').length, 1);
    assert.ok(r.filter((x) => x.status === 'rejected').every((x) => (x as PromiseRejectedResult).reason instanceof StaleVersionError));
    assert.equal(await s.version(), 1);
  });

  test('history is bounded; the current version stays readable', async () => {
    const s = new PolicyStore(engine.redis, { keep: 3 });
    for (let v = 0; v < 5; v++) await s.apply({ document: { policies: {} }, expectedVersion: v, actor: 'x', source: 'api' });
    assert.deepEqual((await s.history(10)).map((v) => v.version), [5, 4, 3]);
    assert.equal(await s.get(2), undefined);
    assert.equal((await s.get(4))?.version, 4);
  });

  test('hot reload: the cycle runs a version another replica stored, without a restart; one GET when unchanged', async () => {
    const cycle = new PolicyCycle(builtinPolicies(), [], { state: engine.state, holds: { isHeld: () => false }, enqueue: async () => undefined, outcomes: async () => new Map(), newId: () => 'id' });
    const reloader = new PolicyReloader(docs, cycle, quiet);
    assert.equal(await reloader.check(), true, 'first check loads version 0');
    assert.deepEqual(cycle.runOrder, []);
    const replica = new PolicyDocuments(new PolicyStore(engine.redis), builtinPolicies());
    await replica.replace(DOC2, 0, { actor: 'other-engine', source: 'api' });
    assert.equal(await reloader.check(), true);
    assert.deepEqual(cycle.policies.map((p) => `${p.name}:${p.automation}`), ['memory-balloon:recommend', 'ksm:auto']);
    assert.equal((cycle.policies[0]?.args as { defaults: { minUnusedMiB: number } }).defaults.minUnusedMiB, 128);
    assert.equal(await reloader.check(), false, 'same version: nothing swapped');
    assert.equal(reloader.loaded, 1);
  });

  test('BALLAST_POLICY_FILE: applied as a new version (logged, audited) when it differs; not when equal; API edits stand until then', async () => {
    const file = { path: '/etc/ballast/policy.json', document: { policies: { ksm: { automation: 'recommend' as const } } } };
    const logged: string[] = [];
    const log = { info: (_o: object, msg: string) => logged.push(msg) };
    const first = await startPolicies(engine.redis, builtinPolicies(), file, log);
    assert.equal(first.applied?.version, 1);
    assert.equal(first.current.actor, 'file:/etc/ballast/policy.json');
    assert.deepEqual(first.entries.map((e) => e.name), ['ksm']);
    const again = await startPolicies(engine.redis, builtinPolicies(), file, log);
    assert.equal(again.applied, undefined);
    assert.equal(again.current.version, 1);
    await docs.replace(DOC2, 1, { actor: 'tok-admin', source: 'api' });
    const noFile = await startPolicies(engine.redis, builtinPolicies(), undefined, log);
    assert.equal(noFile.current.version, 2, 'without a file the API edit stands');
    const third = await startPolicies(engine.redis, builtinPolicies(), file, log);
    assert.equal(third.applied?.version, 3, 'the file differs from the stored current version: applied');
    const audit = await new AuditLog(engine.redis).list({ limit: 10, action: 'applyPolicyFile' });
    assert.deepEqual(audit.map((a) => [a.actor, a.target]), [['file:/etc/ballast/policy.json', 'v3'], ['file:/etc/ballast/policy.json', 'v1']]);
    assert.equal(logged.filter((m) => m.includes('applied as version')).length, 2);
  });
});
