// Fuzz of every HTTP route (fast-check, seed FUZZ_SEED), read from the route table (apiRouteTable), so a
// route added later is fuzzed too: path params (unicode, `..`, bad percent-encoding, very long), query
// strings and bodies (arbitrary JSON, near-valid bodies made from the route's own zod schema, non-JSON
// bodies) sent with an admin token to the real app on a test redis-server. Every answer is < 500 and JSON;
// every 4xx says `error.code` and `error.message`; every 400 names `error.field`; nothing hangs (a timeout a
// request); the process still serves afterwards. Routes may change the throwaway store: that is fine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import fc from 'fast-check';
import { z } from 'zod';
import { FUZZ_SEED, edgeValue, nearSchemaArbitrary, plainKey, type Json, type JsonSchema } from '@ballast/testkit';
import { hostReport, vmReport } from '@ballast/testkit';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { apiRouteTable } from '../http/api-routes.js';
import { fullApi, type FullApi } from '../test-full-api.js';
import { createApp } from '../http/create-app.js';
import type { Route } from '../http/route-table.js';

/** Requests a route (more for one that takes a body): the whole file stays well under 30 s on the 2-core build machine. */
const RUNS = { withBody: 60, withoutBody: 30 };
const REQUEST_TIMEOUT_MS = 10_000;
/** Routes that stream (server-sent events): not fuzzed here, by operationId. Answers of text/event-stream are skipped too. */
const STREAMING = new Set<string>(['streamEvents', 'subscribeEvents']);

const TOKEN = 'fuzz-token-abcdefghijklmnop';
let full: FullApi;
let engine: TestEngine;
let http: Server;
let base: string;
let routes: Route[];

before(async () => {
  engine = await startTestEngine(300000);
  const { state } = engine;
  state.ingest(hostReport('h1', [vmReport('web'), vmReport('db')], { takenAtMs: Date.now() }));
  state.ingest(hostReport('h2', [vmReport('cache')], { takenAtMs: Date.now(), migrationUri: 'qemu+tcp://10.77.0.2/system' }));
  full = await fullApi(engine, TOKEN);
  const deps = full.deps;
  routes = apiRouteTable(deps);
  http = createServer(createApp(deps, (a) => a.get('/healthz', (_q, r) => void r.json({ ok: true }))));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(async () => {
  await full.close();
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  await engine.stop();
});

const jsonSchemaOf = (s: z.ZodType): JsonSchema => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** A path parameter: usually encoded as a client would, sometimes raw and malformed. */
const paramArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('web', 'h1', 'no-such', 'db').map(encodeURIComponent),
  fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => s.length > 0).map(encodeURIComponent),
  fc.string({ minLength: 500, maxLength: 2500 }).map(encodeURIComponent),
  fc.constantFrom('..', '.', '%2e%2e', '%2F', '%00', '%', '%E0%A4%A', '%ZZ', '%C0%AF', '%EF%BF%BF', '~', '%20', "'", '%22%3Cscript%3E'),
);

const queryValue = fc.oneof(fc.constantFrom('', '0', '-1', '1', '1e9', '1.5', 'true', 'x', 'queued', 'manual', 'pending', 'web', 'h1'), fc.string({ unit: 'grapheme', maxLength: 20 }));

function queryArb(route: Route): fc.Arbitrary<string> {
  const known = Object.keys(route.query?.shape ?? {});
  const key = known.length > 0 ? fc.oneof(fc.constantFrom(...known), plainKey()) : plainKey();
  const entry = fc.tuple(key, fc.oneof(queryValue, fc.array(queryValue, { minLength: 2, maxLength: 3 })));
  return fc.array(entry, { maxLength: 4 }).map((entries) => {
    const q = new URLSearchParams();
    for (const [k, v] of entries) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
    const s = q.toString();
    return s ? `?${s}` : '';
  });
}

type Body = { kind: 'none' } | { kind: 'json'; value: Json } | { kind: 'raw'; text: string; type: string | undefined };

function bodyArb(route: Route): fc.Arbitrary<Body> {
  if (route.method === 'get') return fc.constant<Body>({ kind: 'none' });
  const json = (v: fc.Arbitrary<Json>) => v.map((value): Body => ({ kind: 'json', value }));
  const raw = fc.record({
    kind: fc.constant('raw' as const),
    text: fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom('{', '{"a":', 'null', '[]', '"x"', '1', '{"__proto__":{"x":1}}')),
    type: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/json; charset=nope', undefined),
  });
  const shaped = route.body ? [{ weight: 4, arbitrary: json(nearSchemaArbitrary(jsonSchemaOf(route.body))) }] : [];
  return fc.oneof({ weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) }, { weight: 2, arbitrary: json(edgeValue()) }, { weight: 1, arbitrary: raw }, ...shaped);
}

function requestArb(route: Route): fc.Arbitrary<{ path: string; body: Body }> {
  const names = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
  const params = fc.tuple(...names.map(() => paramArb));
  return fc.record({ params: names.length > 0 ? params : fc.constant([] as string[]), query: queryArb(route), body: bodyArb(route) }).map(({ params: values, query, body }) => {
    let i = 0;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, () => values[i++] ?? 'x');
    return { path: `/v1${path}${query}`, body };
  });
}

/** Route → status → how many answers: printed, to show how deep the requests reached. */
const statuses = new Map<string, Map<number, number>>();

type ErrorBody = { error?: { code?: unknown; message?: unknown; field?: unknown } };

/** Sends one request; asserts the answer's shape. Returns 'streaming' for an event stream (not fuzzed). */
async function send(route: Route, path: string, body: Body): Promise<'ok' | 'streaming'> {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
  let payload: string | undefined;
  if (body.kind === 'json') {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.value);
  } else if (body.kind === 'raw') {
    payload = body.text;
    if (body.type) headers['content-type'] = body.type;
  }
  const what = `${route.method.toUpperCase()} ${path.slice(0, 200)} body ${payload?.slice(0, 200) ?? '-'}`;
  const res = await fetch(`${base}${path}`, { method: route.method.toUpperCase(), headers, body: payload, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch((e: Error) => {
    throw new Error(`${what}: no answer within ${REQUEST_TIMEOUT_MS} ms or the connection failed (${e.message})`);
  });
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return 'streaming';
  }
  const text = await res.text();
  // FUZZ_DEBUG=<operationId> prints that route's requests and answers.
  if (process.env.FUZZ_DEBUG === route.operationId) console.log(res.status, payload?.slice(0, 150), text.slice(0, 150));
  const seen = statuses.get(route.operationId) ?? new Map<number, number>();
  statuses.set(route.operationId, seen.set(res.status, (seen.get(res.status) ?? 0) + 1));
  assert.ok(res.status < 500, `${what}: ${res.status} ${text.slice(0, 300)}`);
  assert.match(type, /^application\/json/, `${what}: ${res.status} answered ${type}`);
  const parsed = JSON.parse(text) as ErrorBody;
  if (res.status >= 400) {
    assert.equal(typeof parsed.error?.code, 'string', `${what}: ${res.status} ${text.slice(0, 300)} has error.code`);
    assert.equal(typeof parsed.error?.message, 'string', `${what}: error.message`);
    if (res.status === 400) assert.ok(typeof parsed.error?.field === 'string' && parsed.error.field.length > 0, `${what}: 400 ${text.slice(0, 300)} names error.field`);
  }
  return 'ok';
}

test(`every route of the route table, ${RUNS.withBody} fuzzed requests each (${RUNS.withoutBody} without a body) (seed ${FUZZ_SEED}): no 5xx, JSON errors naming the field`, async (t) => {
  assert.ok(routes.length >= 16, `the route table has ${routes.length} routes`);
  const skipped: string[] = [];
  const failures: string[] = [];
  for (const route of routes) {
    const name = `${route.method.toUpperCase()} /v1${route.path} (${route.operationId})`;
    if (STREAMING.has(route.operationId)) {
      skipped.push(`${name}: listed as streaming`);
      continue;
    }
    let streaming = false;
    const prop = fc.asyncProperty(requestArb(route), async ({ path, body }) => {
      if (streaming) return;
      if ((await send(route, path, body)) === 'streaming') streaming = true;
    });
    await fc.assert(prop, { seed: FUZZ_SEED, numRuns: route.body ? RUNS.withBody : RUNS.withoutBody }).catch((e: Error) => failures.push(`${name}: ${e.message}`));
    if (streaming) skipped.push(`${name}: answered text/event-stream`);
  }
  assert.deepEqual(failures, [], failures.join('\n\n'));
  t.diagnostic(`fuzzed ${routes.length - skipped.length} routes; skipped ${skipped.length}${skipped.length > 0 ? `: ${skipped.join('; ')}` : ''}`);
  const tally = [...statuses].map(([op, m]) => `${op} ${[...m].sort((a, b) => a[0] - b[0]).map(([st, n]) => `${st}×${n}`).join(' ')}`);
  console.log(`routes fuzz: ${routes.length - skipped.length} routes fuzzed; skipped: ${skipped.length > 0 ? skipped.join('; ') : 'none'}\n  ${tally.join('\n  ')}`);
});

test('the engine still serves after the fuzz', async () => {
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  const hosts = await fetch(`${base}/v1/hosts`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(hosts.status, 200);
  assert.deepEqual(((await hosts.json()) as { hosts: { hostId: string }[] }).hosts.map((h) => h.hostId).sort(), ['h1', 'h2']);
});
