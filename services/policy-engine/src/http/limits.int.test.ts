import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { hostReport, vmReport } from '@ballast/testkit';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import type { Authenticator } from '../security/auth.js';
import { createApp } from './create-app.js';
import { apiRateLimits } from './rate-limit.js';

const TOKEN_A = 'token-a-abcdefghijklmnop';
const TOKEN_B = 'token-b-abcdefghijklmnop';
/** For the body and path tests: its calls do not count against A or B. */
const TOKEN_C = 'token-c-abcdefghijklmnop';
const PER_MINUTE = 5;
const AUTH_FAILURES = 3;
let engine: TestEngine;
let http: Server;
let base: string;

const auth: Authenticator = {
  authenticate: async (t) => (t === TOKEN_A || t === TOKEN_C ? { tokenId: t.slice(0, 7), role: 'admin' } : t === TOKEN_B ? { tokenId: 'b', role: 'viewer' } : { error: 'Authorization: bearer token is wrong' }),
};

before(async () => {
  engine = await startTestEngine(300000);
  const { state, jobs } = engine;
  state.ingest(hostReport('h1', [vmReport('web')], { takenAtMs: Date.now() }));
  const app = createApp(
    { state, jobs, token: TOKEN_A, auth, holdMs: 300000, rateLimit: { perMinute: PER_MINUTE, authFailuresPerMinute: AUTH_FAILURES }, bodyLimitKiB: 1 },
    (a) => {
      a.get('/healthz', (_req, res) => void res.json({ ok: true }));
      // Behind the limiters (mounted on /v1 before this): shows the key a request was counted under.
      a.get('/v1/test-rate-key', (req, res) => void res.json({ key: (req as { rateLimit?: { key?: string } }).rateLimit?.key }));
    },
  );
  http = createServer(app);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => http.close(r));
  await engine.stop();
});

const get = (path: string, token?: string) => fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
type Err = { error: { code: string; message: string; field?: string } };

test('body limits: a body over the limit is 413 naming body; a body that is not JSON is 415 naming body; bad encodings are 4xx', async () => {
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${base}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN_C}`, ...headers }, body });
  const big = await post(JSON.stringify({ type: 'set-memory', vm: 'web', memoryMiB: 1, pad: 'x'.repeat(2048) }), { 'content-type': 'application/json' });
  assert.equal(big.status, 413);
  assert.deepEqual(((await big.json()) as Err).error, { code: 'too_large', message: 'body: too large', field: 'body' });
  const text = await post('type=set-memory&vm=web', { 'content-type': 'application/x-www-form-urlencoded' });
  const textBody = (await text.json()) as Err;
  assert.deepEqual([text.status, textBody.error.code, textBody.error.field], [415, 'unsupported_media_type', 'body']);
  assert.match(textBody.error.message, /^body: send JSON with Content-Type: application\/json/);
  const charset = await post('{}', { 'content-type': 'application/json; charset=ebcdic' });
  assert.deepEqual([charset.status, ((await charset.json()) as Err).error.field], [415, 'body']);
  const broken = await post('{"type":', { 'content-type': 'application/json' });
  assert.deepEqual([broken.status, ((await broken.json()) as Err).error.field], [400, 'body']);
});

test('a path parameter that is not valid percent-encoding is a 400 naming path, not a 500', async () => {
  const r = await get('/v1/vms/%E0%A4%A', TOKEN_C);
  const body = (await r.json()) as Err;
  assert.deepEqual([r.status, body.error.code, body.error.field], [400, 'invalid_path', 'path']);
});

// Before the failed sign-ins below: a new token from this address is held back after them.
test('the count is keyed by a hash of the token, never the token; without a token by the address', async () => {
  const token = 'token-d-abcdefghijklmnop';
  const withToken = (await (await get('/v1/test-rate-key', token)).json()) as { key: string };
  assert.equal(withToken.key, `token:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`);
  assert.ok(!withToken.key.includes(token));
  const apiOnly = createApp({ state: engine.state, jobs: engine.jobs, token: TOKEN_A, holdMs: 1, rateLimit: { perMinute: 5, authFailuresPerMinute: 0 } }, (a) =>
    a.get('/v1/test-rate-key', (req, res) => void res.json({ key: (req as { rateLimit?: { key?: string } }).rateLimit?.key })),
  );
  const srv = createServer(apiOnly);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const r = await fetch(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1/test-rate-key`);
  await new Promise((done) => srv.close(done));
  assert.equal(((await r.json()) as { key: string }).key, 'ip:127.0.0.1');
  assert.deepEqual(apiRateLimits({ perMinute: 0, authFailuresPerMinute: 0 }), [], '0 turns both limits off');
});

test('per token: the call after the limit is a 429 with Retry-After and RateLimit headers; another token is not affected', async () => {
  let last: Response | undefined;
  for (let i = 0; i < PER_MINUTE + 1; i++) {
    last = await get('/v1/hosts', TOKEN_B);
    if (i < PER_MINUTE) assert.equal(last.status, 200, `call ${i + 1} of token B`);
  }
  assert.ok(last);
  assert.equal(last.status, 429);
  const retry = Number(last.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${last.headers.get('retry-after')}`);
  assert.match(last.headers.get('ratelimit') ?? '', /"api"; r=0; t=\d+/);
  assert.match(last.headers.get('ratelimit-policy') ?? '', /"api"; q=5; w=60/);
  const body = (await last.json()) as Err;
  assert.equal(body.error.code, 'rate_limited');
  assert.match(body.error.message, /at most 5 requests per token a minute; retry after \d+ s/);
  const a = await get('/v1/hosts', TOKEN_A);
  assert.equal(a.status, 200, 'token A has its own count');
  assert.match(a.headers.get('ratelimit') ?? '', /"api"; r=\d+/);
});

test('failed sign-ins: after the limit of 401s an address gets 429 for unknown tokens; a token already accepted still works', async () => {
  for (let i = 0; i < AUTH_FAILURES; i++) assert.equal((await get('/v1/hosts', `guess-${i}-abcdefghijklmnop`)).status, 401, `guess ${i}`);
  const over = await get('/v1/hosts', 'guess-x-abcdefghijklmnop');
  assert.equal(over.status, 429);
  assert.ok(Number(over.headers.get('retry-after')) >= 1);
  assert.match(((await over.json()) as Err).error.message, /failed sign-ins/);
  assert.equal((await get('/v1/hosts')).status, 429, 'no token at all: counted by address too');
  assert.equal((await get('/v1/hosts', TOKEN_A)).status, 200, 'token A was accepted before: not locked out by the guesses');
});

test('/healthz is not limited', async () => {
  for (let i = 0; i < PER_MINUTE * 3; i++) {
    const r = await get('/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('ratelimit'), null);
  }
});
