import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import type { JobSpec } from '@ballast/domain';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { createApp } from '../http/create-app.js';
import { EngineEvents } from './engine-events.js';
import { EventStream } from './event-stream.js';
import type { BallastEvent } from './event-types.js';
import { Queue } from 'bullmq';
import { QUEUE_PREFIX } from '@ballast/queue';
import { DISPATCH_REFRESH_MS, WEBHOOK_QUEUE, WebhookDelivery } from './webhook-delivery.js';
import { WebhookStore } from './webhook-store.js';

const TOKEN = 'hooks-admin-token-0123456789';
const VIEWER = 'hooks-viewer-token-0123456789';
const OPERATOR = 'hooks-operator-token-0123456789';
let engine: TestEngine;
let events: EngineEvents;
let registry: Registry;
let http: Server;
let base: string;
let receiver: Server;
let receiverUrl: string;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
const received: Received[] = [];
/** Path → how many more requests to fail with 500 first. */
const failFirst = new Map<string, number>();

const auth = {
  authenticate: async (t: string) => {
    const role = ({ [TOKEN]: 'admin', [VIEWER]: 'viewer', [OPERATOR]: 'operator' } as const)[t];
    return role ? { tokenId: `${role}1`, role } : { error: 'Authorization: bearer token is wrong' };
  },
};

before(async () => {
  engine = await startTestEngine(1000);
  registry = new Registry();
  events = new EngineEvents({ redis: engine.redis, registry, log: pino({ level: 'silent' }), stream: { blockMs: 200 }, webhooks: { attempts: 3, backoffMs: 100, timeoutMs: 2000 } });
  await events.start();
  http = createServer(createApp({ state: engine.state, jobs: engine.jobs, token: TOKEN, auth, holdMs: 1000, extraRoutes: events.routes }));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      const left = failFirst.get(req.url ?? '') ?? 0;
      if (left > 0) failFirst.set(req.url ?? '', left - 1);
      res.statusCode = left > 0 ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

after(async () => {
  await events.close();
  await new Promise((r) => http.close(r));
  await new Promise((r) => receiver.close(r));
  await engine.stop();
});

const api = (method: string, path: string, token: string, body?: unknown) =>
  fetch(`${base}/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

const spec = (id: string): JobSpec => ({
  schemaVersion: 1, id, hostId: 'h1', vmUuid: 'u-web', vmName: 'web', source: 'manual', createdAtMs: Date.now(),
  action: { type: 'set-memory', memoryKiB: 524288 } as unknown as JobSpec['action'],
});

async function waitFor(pred: () => boolean, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function deliveries(): Promise<Record<string, number>> {
  const m = await registry.getSingleMetric('ballast_webhook_deliveries_total')?.get();
  return Object.fromEntries((m?.values ?? []).map((v) => [String(v.labels['outcome']), v.value]));
}

test('webhooks are admin: a viewer or operator gets 403 and nothing is created; bad input names the field', async () => {
  for (const t of [VIEWER, OPERATOR]) assert.equal((await api('POST', '/webhooks', t, { url: `${receiverUrl}/x` })).status, 403);
  assert.equal((await api('GET', '/webhooks', VIEWER)).status, 403);
  const list = (await (await api('GET', '/webhooks', TOKEN)).json()) as { webhooks: unknown[] };
  assert.deepEqual(list.webhooks, []);
  for (const [body, field] of [
    [{ url: 'ftp://example.test/x' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: `${receiverUrl}/x`, types: ['jobs'] }, 'types.0'],
    [{ url: `${receiverUrl}/x`, secret: 'short' }, 'secret'],
    [{ url: `${receiverUrl}/x`, extra: 1 }, 'extra'],
  ] as const) {
    const r = await api('POST', '/webhooks', TOKEN, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(((await r.json()) as { error: { field: string } }).error.field, field);
  }
  assert.equal((await api('DELETE', '/webhooks/wh_nope', TOKEN)).status, 404);
});

test('a webhook gets each event of its types as JSON with a valid HMAC signature; the secret is shown once', async () => {
  const created = (await (await api('POST', '/webhooks', TOKEN, { url: `${receiverUrl}/signed`, types: ['job'] })).json()) as { id: string; secret: string; types: string[] };
  assert.match(created.secret, /^whsec_/);
  assert.deepEqual(created.types, ['job']);
  const listed = (await (await api('GET', '/webhooks', TOKEN)).json()) as { webhooks: Record<string, unknown>[] };
  assert.equal(listed.webhooks.length, 1);
  assert.ok(!('secret' in (listed.webhooks[0] ?? {})) && !JSON.stringify(listed).includes(created.secret), 'never listed');
  events.recommendationSaved({ id: 'r1', state: 'pending', vmUuid: 'u-web', from: 'h1' } as never);
  events.jobSubmitted(spec('hook-1'));
  await waitFor(() => received.some((r) => r.path === '/signed'), 'a delivery');
  await new Promise((r) => setTimeout(r, 300));
  const got = received.filter((r) => r.path === '/signed');
  assert.equal(got.length, 1, 'the recommendation is not of its types');
  const d = got[0] as Received;
  const ts = String(d.headers['x-ballast-timestamp']);
  const mac = createHmac('sha256', created.secret).update(`${ts}.${d.body}`).digest('hex');
  assert.equal(d.headers['x-ballast-signature'], `sha256=${mac}`);
  assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 30);
  assert.equal(d.headers['x-ballast-event'], 'job.submitted');
  assert.equal(d.headers['content-type'], 'application/json');
  const body = JSON.parse(d.body) as { id: string; type: string; data: { id: string; vm: string } };
  assert.equal(d.headers['x-ballast-delivery'], `${created.id}-${body.id}`);
  assert.deepEqual([body.type, body.data.id, body.data.vm], ['job', 'hook-1', 'web']);
  assert.equal((await api('DELETE', `/webhooks/${created.id}`, TOKEN)).status, 200);
});

test('a receiver that fails twice gets the event on the 3rd attempt, with the same delivery id; the metric counts each try', async () => {
  const before = await deliveries();
  failFirst.set('/flaky', 2);
  const created = (await (await api('POST', '/webhooks', TOKEN, { url: `${receiverUrl}/flaky`, types: ['job'], secret: 'a-secret-of-my-own-0000' })).json()) as { id: string; secret: string };
  assert.equal(created.secret, 'a-secret-of-my-own-0000');
  events.jobCancelled(spec('hook-2'));
  await waitFor(() => received.filter((r) => r.path === '/flaky').length >= 3, 'three attempts');
  const tries = received.filter((r) => r.path === '/flaky');
  assert.equal(new Set(tries.map((t) => t.headers['x-ballast-delivery'])).size, 1);
  assert.equal(new Set(tries.map((t) => t.body)).size, 1, 'the same body each time');
  await new Promise((r) => setTimeout(r, 300));
  const after = await deliveries();
  assert.equal((after['retrying'] ?? 0) - (before['retrying'] ?? 0), 2);
  assert.equal((after['delivered'] ?? 0) - (before['delivered'] ?? 0), 1);
  assert.equal(received.filter((r) => r.path === '/flaky').length, 3, 'no more tries after a 2xx');
  await api('DELETE', `/webhooks/${created.id}`, TOKEN);
});

test('a receiver that never answers 2xx is given up after the attempts, counted as failed', async () => {
  failFirst.set('/down', 100);
  const created = (await (await api('POST', '/webhooks', TOKEN, { url: `${receiverUrl}/down`, types: ['job'] })).json()) as { id: string };
  const before = (await deliveries())['failed'] ?? 0;
  events.jobSubmitted(spec('hook-3'));
  await waitFor(() => received.filter((r) => r.path === '/down').length >= 3, 'three attempts');
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(received.filter((r) => r.path === '/down').length, 3, 'attempts: 3, then it stops');
  assert.equal(((await deliveries())['failed'] ?? 0) - before, 1);
  await api('DELETE', `/webhooks/${created.id}`, TOKEN);
});

test('events published while no engine runs are delivered when one starts again (the dispatcher keeps its place in Redis)', async () => {
  const created = (await (await api('POST', '/webhooks', TOKEN, { url: `${receiverUrl}/restart`, types: ['job'] })).json()) as { id: string };
  events.jobSubmitted(spec('before-stop'));
  await waitFor(() => received.some((r) => r.path === '/restart'), 'the first delivery');
  await events.close();
  const bystander = new EventStream(engine.redis);
  await bystander.publish([{ type: 'job', action: 'submitted', atMs: Date.now(), data: { id: 'while-down' } }]);
  events = new EngineEvents({ redis: engine.redis, registry: new Registry(), log: pino({ level: 'silent' }), stream: { blockMs: 200 }, webhooks: { attempts: 3, backoffMs: 100 } });
  await events.start();
  await waitFor(() => received.filter((r) => r.path === '/restart').length >= 2, 'the delivery of the event published while down');
  const ids = received.filter((r) => r.path === '/restart').map((r) => (JSON.parse(r.body) as { data: { id: string } }).data.id);
  assert.deepEqual(ids, ['before-stop', 'while-down'], 'each once, in order');
  await api('DELETE', `/webhooks/${created.id}`, TOKEN);
});

test('the dispatcher reads the webhook list once per DISPATCH_REFRESH_MS (at once after a change here) and saves its place at most as often, the last at close', async () => {
  const store = new WebhookStore(engine.redis);
  let lists = 0;
  const counting = Object.assign(Object.create(store) as WebhookStore, {
    list: () => {
      lists++;
      return store.list();
    },
  });
  const delivery = new WebhookDelivery(engine.redis, counting, { registry: new Registry(), log: pino({ level: 'silent' }) });
  const ev = (i: number): BallastEvent => ({ id: `9000000000000-${i}`, type: 'job', action: 'submitted', atMs: 0, data: { id: `d${i}` } });
  const t0 = 1_000_000;
  for (let i = 0; i < 50; i++) await delivery.dispatch(ev(i), t0 + i);
  assert.equal(lists, 1, 'one read for 50 events within the refresh time');
  assert.equal(await engine.redis.get('ballast:webhooks:cursor'), ev(0).id, 'the place saved once');
  const hook = await store.create({ url: `${receiverUrl}/cache`, types: ['job'] }, 'admin1');
  await delivery.dispatch(ev(50), t0 + 60);
  assert.equal(lists, 2, 'a webhook created through this replica is read at once');
  await delivery.dispatch(ev(51), t0 + 60 + DISPATCH_REFRESH_MS);
  assert.equal(lists, 3, 'and again after the refresh time');
  assert.equal(await engine.redis.get('ballast:webhooks:cursor'), ev(51).id);
  await delivery.dispatch(ev(52), t0 + 61 + DISPATCH_REFRESH_MS);
  await delivery.close();
  assert.equal(await engine.redis.get('ballast:webhooks:cursor'), ev(52).id, 'the last place saved at close');
  await store.delete(hook.id);
});

test('with no webhook the dispatcher does not follow the stream; the first one starts it and gets only what came after it; the last deleted stops it', async () => {
  await waitFor(() => !events.delivery.following, 'the dispatcher stopped (no webhook left by the tests before)');
  assert.equal(events.stream.subscribers, 0, 'nobody decodes the events');
  // a saved place before the next event (the test before this one left a made-up id there)
  await engine.redis.set('ballast:webhooks:cursor', await events.stream.lastId());
  events.jobSubmitted(spec('before-the-webhook'));
  await events.flushed();
  const created = (await (await api('POST', '/webhooks', TOKEN, { url: `${receiverUrl}/late`, types: ['job'] })).json()) as { id: string };
  events.jobSubmitted(spec('after-the-webhook'));
  await waitFor(() => received.some((r) => r.path === '/late'), 'the delivery to the new webhook');
  assert.ok(events.delivery.following);
  await new Promise((r) => setTimeout(r, 300)); // nothing else comes
  const ids = received.filter((r) => r.path === '/late').map((r) => (JSON.parse(r.body) as { data: { id: string } }).data.id);
  assert.deepEqual(ids, ['after-the-webhook'], 'the event before its creation is not sent, though it is after the saved place');
  await api('DELETE', `/webhooks/${created.id}`, TOKEN);
  await waitFor(() => !events.delivery.following && events.stream.subscribers === 0, 'the dispatcher stopped again');
  const sent = (JSON.parse(received.find((r) => r.path === '/late')?.body ?? '{}') as { id: string }).id;
  assert.equal(await engine.redis.get('ballast:webhooks:cursor'), sent, 'its place saved when it stopped: the last event it dispatched');
});

test('a webhook is sent only the events published after its creation, whatever place the dispatcher resumes from', async () => {
  const hook = { id: 'wh_since', url: `${receiverUrl}/since`, types: ['job'], secret: 's', createdAtMs: 0, createdBy: 'admin1', afterEventId: '5000000000000-5' } as const;
  const store = Object.assign(Object.create(new WebhookStore(engine.redis)) as WebhookStore, { list: async () => [{ ...hook, types: [...hook.types] }] });
  const delivery = new WebhookDelivery(engine.redis, store, { registry: new Registry(), log: pino({ level: 'silent' }) });
  const ev = (id: string): BallastEvent => ({ id, type: 'job', action: 'submitted', atMs: 0, data: { id } });
  for (const id of ['4000000000000-0', '5000000000000-5', '5000000000000-6', '6000000000000-0']) await delivery.dispatch(ev(id));
  const q = new Queue(WEBHOOK_QUEUE, { connection: engine.redis, prefix: QUEUE_PREFIX });
  const queued = (await q.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).map((j) => j.id).filter((id) => id?.startsWith('wh_since-'));
  await q.close();
  assert.deepEqual(queued.sort(), ['wh_since-5000000000000-6', 'wh_since-6000000000000-0']);
  await delivery.close();
});
