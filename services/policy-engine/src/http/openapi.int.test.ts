import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import { jobTypeNames } from '@ballast/domain';
import { hostReport, vmReport } from '@ballast/testkit';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { fullApi, type FullApi } from '../test-full-api.js';
import { createApp } from './create-app.js';
import { openApiPath } from './openapi.js';

const TOKEN = 'test-token-abcdefghijklmnop';
const AUTH = { headers: { authorization: `Bearer ${TOKEN}` } };
let engine: TestEngine;
let app: Express;
let http: Server;
let base: string;

type Operation = {
  operationId: string;
  security?: { bearer: string[] }[];
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { required: boolean; content: { 'application/json': { schema: Record<string, unknown> } } };
  responses: Record<string, { description: string }>;
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, { type: string; scheme: string }> } };
let doc: Doc;
let full: FullApi;
/** Reads that need more than viewer (they show configuration an admin keeps to itself). */
const ADMIN_READS = new Set(['GET /v1/webhooks', 'GET /v1/tokens']);

before(async () => {
  engine = await startTestEngine(300000);
  engine.state.ingest(hostReport('h1', [vmReport('web')], { takenAtMs: Date.now() }));
  full = await fullApi(engine, TOKEN);
  app = createApp(full.deps);
  http = createServer(app);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const r = await fetch(`${base}/v1/openapi.json`, AUTH);
  assert.equal(r.status, 200);
  doc = (await r.json()) as Doc;
});

after(async () => {
  await full.close();
  await new Promise((r) => http.close(r));
  await engine.stop();
});

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] }; rawPath?: unknown };

/** Every route express serves, as "METHOD /openapi/{path}", found by walking its routers (mount paths included). */
function expressRoutes(stack: Layer[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const [m, on] of Object.entries(layer.route.methods)) if (on) out.push(`${m.toUpperCase()} ${openApiPath(prefix, layer.route.path)}`);
    } else if (layer.handle?.stack) {
      const mount = layer.rawPath === '/' || layer.rawPath === undefined ? '' : layer.rawPath;
      assert.equal(typeof mount, 'string', 'a router mounted on a plain path');
      out.push(...expressRoutes(layer.handle.stack, prefix + String(mount)));
    }
  }
  return out;
}

const documented = () => Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));

test('every route express serves is in the OpenAPI document, and nothing else is', () => {
  const served = expressRoutes((app as unknown as { router: { stack: Layer[] } }).router.stack).sort();
  assert.ok(served.length >= 35, `found only ${served.length} routes: ${served.join(', ')}`);
  assert.deepEqual(documented().sort(), served);
  const expected = ['GET /v1/openapi.json', 'GET /v1/jobs', 'DELETE /v1/jobs/{id}', 'POST /v1/recommendations/{id}/approve', 'POST /v1/placements'];
  expected.push('POST /v1/tokens', 'GET /v1/audit', 'POST /v1/pause', 'GET /v1/events', 'POST /v1/webhooks', 'PUT /v1/policies', 'POST /v1/policies/replay');
  for (const r of expected) {
    assert.ok(served.includes(r), r);
  }
});

test('every path in the document answers on the running app (never the 404 of the fallback)', async () => {
  for (const key of documented()) {
    const [method = '', path = ''] = key.split(' ');
    const url = path.replace(/\{([^}]+)\}/g, 'no-such-$1');
    const r = await fetch(`${base}${url}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      ...(method === 'GET' ? {} : { body: '{}' }),
    });
    if (r.headers.get('content-type')?.startsWith('text/event-stream')) {
      await r.body?.cancel(); // a stream stays open: its headers are the answer
      assert.equal(r.status, 200, key);
      continue;
    }
    const body = (await r.json()) as { error?: { code: string } };
    assert.ok(!(r.status === 404 && body.error?.code === 'not_found'), `${key}: ${r.status} ${JSON.stringify(body)}`);
    assert.ok(r.status < 500, `${key}: ${r.status} ${JSON.stringify(body)}`);
  }
  const fallback = (await (await fetch(`${base}/v1/no-such-route`, AUTH)).json()) as { error: { code: string } };
  assert.equal(fallback.error.code, 'not_found', 'the fallback is what the check above tells apart');
});

test('OpenAPI 3.1: unique operation ids, path parameters declared, bearer security and a role on every route', () => {
  assert.equal(doc.openapi, '3.1.0');
  assert.deepEqual([doc.components.securitySchemes['bearer']?.type, doc.components.securitySchemes['bearer']?.scheme], ['http', 'bearer']);
  const ops = Object.entries(doc.paths).flatMap(([p, o]) => Object.entries(o).map(([m, op]) => ({ key: `${m.toUpperCase()} ${p}`, path: p, op })));
  assert.equal(new Set(ops.map((o) => o.op.operationId)).size, ops.length);
  for (const { key, path, op } of ops) {
    const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    assert.deepEqual(op.parameters?.filter((p) => p.in === 'path').map((p) => p.name) ?? [], inPath, key);
    assert.equal(op.security?.some((s) => 'bearer' in s), true, `${key}: every call needs a token, reads included`);
    assert.ok(op.responses['401'], `${key} documents 401`);
    const role = (op as unknown as Record<string, string>)['x-ballast-role'];
    if (key.startsWith('GET ')) assert.equal(role, ADMIN_READS.has(key) ? 'admin' : 'viewer', key);
    else assert.ok(role === 'operator' || role === 'admin', `${key}: a change needs operator or admin, not ${role}`);
    if (role !== 'viewer') assert.ok(op.responses['403'], `${key} documents 403`);
  }
});

test('the schemas are the routes\' own: the job list query, the job body per type, the maintenance body', () => {
  const list = doc.paths['/v1/jobs']?.['get'];
  const params = Object.fromEntries((list?.parameters ?? []).map((p) => [p.name, p]));
  assert.deepEqual(Object.keys(params).sort(), ['host', 'limit', 'source', 'state', 'vm']);
  assert.deepEqual(params['state']?.schema['enum'], ['queued', 'active', 'succeeded', 'failed']);
  assert.deepEqual([params['limit']?.schema['maximum'], params['limit']?.schema['default'], params['limit']?.required], [1000, 100, false]);
  const body = doc.paths['/v1/jobs']?.['post']?.requestBody?.content['application/json'].schema as { oneOf?: unknown[]; anyOf?: unknown[] };
  const variants = (body.oneOf ?? body.anyOf ?? []) as { properties: Record<string, { const?: string }>; required: string[] }[];
  assert.deepEqual(variants.map((v) => v.properties['type']?.const), jobTypeNames());
  const setMemory = variants.find((v) => v.properties['type']?.const === 'set-memory');
  assert.deepEqual(setMemory?.required.sort(), ['memoryMiB', 'type', 'vm']);
  const maintenance = doc.paths['/v1/hosts/{id}/maintenance']?.['post']?.requestBody;
  assert.equal(maintenance?.required, true);
  assert.deepEqual((maintenance?.content['application/json'].schema as { required: string[] }).required, ['enabled']);
  assert.equal(doc.paths['/v1/recommendations/{id}/reject']?.['post']?.requestBody?.required, false, '{note?}: the body may be left out');
  const stream = doc.paths['/v1/events']?.['get']?.responses['200'] as unknown as { content: Record<string, unknown>; description: string };
  assert.deepEqual(Object.keys(stream.content), ['text/event-stream'], 'the event stream is documented as SSE, not JSON');
  assert.match(stream.description, /Last-Event-ID/);
});
