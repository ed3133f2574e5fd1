// The stop switches on a real redis-server and the real express app: roles, the round trips, the cycle
// while paused, and the switches surviving a restart (a new store on the same Redis).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { PolicyRegistry, type Policy } from '@ballast/domain';
import { PolicyCycle } from '@ballast/cycle';
import { hostReport, vmReport } from '@ballast/testkit';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { createApp } from '../http/create-app.js';
import type { Authenticator, Role } from '../security/auth.js';
import { optOutOf, stopRoutes } from './stop-routes.js';
import { StopSwitches } from './stop-switches.js';

const TOKENS: Record<string, Role> = { 'viewer-token-0123456789': 'viewer', 'operator-token-0123456789': 'operator', 'admin-token-0123456789': 'admin' };
const auth: Authenticator = { authenticate: async (t) => (TOKENS[t] ? { tokenId: `tok-${TOKENS[t]}`, role: TOKENS[t] } : { error: 'Authorization: bearer token is wrong' }) };
const tokenOf = (role: Role) => Object.keys(TOKENS).find((t) => TOKENS[t] === role) as string;

let engine: TestEngine;
let http: Server;
let base: string;
let stops: StopSwitches;
let cycle: PolicyCycle;

/** Sets every VM's memory to 600 MiB each cycle. */
const mem: Policy<unknown> = {
  name: 'mem',
  order: 10,
  defaults: {},
  validate: () => ({ ok: true, args: {} }),
  plan: (s) => ({
    jobs: s.vms.map((v) => ({ hostId: v.hostId, vmUuid: v.uuid, vmName: v.name, action: { type: 'set-memory', memoryMiB: 600 }, reason: 'fixed' })),
    decisions: [],
  }),
};

before(async () => {
  engine = await startTestEngine(300000);
  engine.state.ingest(hostReport('h1', [vmReport('web'), vmReport('db')], { takenAtMs: Date.now() }));
  stops = new StopSwitches(engine.redis);
  await stops.refresh();
  const registry = new PolicyRegistry();
  registry.register(mem);
  cycle = new PolicyCycle(registry, [{ name: 'mem', automation: 'auto', args: {} }], {
    state: engine.state,
    holds: { isHeld: () => false },
    enqueue: (specs) => engine.queues.enqueueMany(specs),
    outcomes: (ids) => engine.queues.outcomes(ids),
    newId: () => randomUUID(),
    stops,
  });
  const now = () => Date.now();
  const app = createApp({ state: engine.state, jobs: engine.jobs, token: 'unused', auth, holdMs: 300000, optOutOf: optOutOf(stops), extraRoutes: stopRoutes({ state: engine.state, stops, now }) });
  http = createServer(app);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => http.close(r));
  await engine.stop();
});

async function call(method: string, path: string, role: Role, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokenOf(role)}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

const errorOf = (j: Record<string, unknown>) => j['error'] as { code: string; message: string; field?: string };

test('a viewer cannot pause (403) nor an operator; a pause without a reason is refused naming it; nothing changes', async () => {
  assert.equal((await call('POST', '/v1/pause', 'viewer', { reason: 'x' })).status, 403);
  assert.equal((await call('POST', '/v1/pause', 'operator', { reason: 'x' })).status, 403);
  assert.equal((await call('DELETE', '/v1/pause', 'operator')).status, 403);
  const empty = await call('POST', '/v1/pause', 'admin', { reason: '  ' });
  assert.deepEqual([empty.status, errorOf(empty.json).field], [400, 'reason']);
  const missing = await call('POST', '/v1/pause', 'admin', {});
  assert.deepEqual([missing.status, errorOf(missing.json).field], [400, 'reason']);
  assert.equal(await engine.redis.exists('ballast:stop:pause'), 0);
  assert.deepEqual((await call('GET', '/v1/pause', 'viewer')).json, { paused: false, reason: null, since: null, actor: null });
});

test('pause → the cycle decides but enqueues nothing, each job a suppressed decision naming who and why; resume → it enqueues', async () => {
  const p = await call('POST', '/v1/pause', 'admin', { reason: 'kernel upgrade' });
  assert.equal(p.status, 200);
  assert.deepEqual([p.json['paused'], p.json['reason'], p.json['actor']], [true, 'kernel upgrade', 'tok-admin']);
  assert.deepEqual((await call('GET', '/v1/pause', 'viewer')).json, p.json);

  const r = await cycle.run();
  assert.equal(r.enqueued.length, 0);
  assert.deepEqual(await engine.jobs.list({}, 10), [], 'no job reached a queue');
  const suppressed = r.decisions.filter((d) => d.kind === 'suppressed');
  assert.equal(suppressed.length, 2);
  for (const d of suppressed) assert.match(d.reason, new RegExp(`not sent — cluster paused by tok-admin since ${String(p.json['since']).replace(/[.]/g, '\\.')}: kernel upgrade$`));

  const again = await call('POST', '/v1/pause', 'admin', { reason: 'still upgrading' });
  assert.deepEqual([again.json['since'], again.json['reason']], [p.json['since'], 'still upgrading'], 'a new reason, the same start');

  const resumed = await call('DELETE', '/v1/pause', 'admin');
  assert.deepEqual([resumed.status, resumed.json['paused'], (resumed.json['lifted'] as { reason: string }).reason], [200, false, 'still upgrading']);
  const r2 = await cycle.run();
  assert.equal(r2.enqueued.length, 2);
  assert.equal(r2.decisions.filter((d) => d.kind === 'suppressed').length, 0);
});

test('opt-out round trip: operator opts a VM out, the VM view and the list show it, its jobs are suppressed; opt-in lifts it', async () => {
  assert.equal((await call('POST', '/v1/vms/web/opt-out', 'viewer', { reason: 'x' })).status, 403);
  assert.equal((await call('POST', '/v1/vms/nope/opt-out', 'operator', { reason: 'x' })).status, 404);
  assert.equal(errorOf((await call('POST', '/v1/vms/web/opt-out', 'operator', {})).json).field, 'reason');
  const o = await call('POST', '/v1/vms/web/opt-out', 'operator', { reason: 'db migration' });
  assert.equal(o.status, 200);
  assert.deepEqual([o.json['vmUuid'], o.json['source'], o.json['actor'], o.json['reason']], ['uuid-web', 'api', 'tok-operator', 'db migration']);

  const vm = (await call('GET', '/v1/vms/web', 'viewer')).json;
  assert.equal(vm['optedOut'], true);
  assert.deepEqual((vm['optOut'] as { actor: string; source: string }).actor, 'tok-operator');
  const vms = (await call('GET', '/v1/vms', 'viewer')).json['vms'] as { name: string; optedOut: boolean }[];
  assert.deepEqual(vms.map((v) => [v.name, v.optedOut]).sort(), [['db', false], ['web', true]]);
  assert.deepEqual(((await call('GET', '/v1/opt-outs', 'viewer')).json['optOuts'] as { vm: string }[]).map((x) => x.vm), ['web']);

  const r = await cycle.run();
  const supp = r.decisions.filter((d) => d.kind === 'suppressed');
  assert.deepEqual(supp.map((d) => d.vmUuid), ['uuid-web']);
  assert.match(supp[0]?.reason ?? '', /opted out \(api by tok-operator since .*\): db migration/);
  assert.equal(r.enqueued.some((j) => j.vmUuid === 'uuid-web'), false);

  const lifted = await call('DELETE', '/v1/vms/web/opt-out', 'operator');
  assert.deepEqual([lifted.status, lifted.json['optedOut']], [200, null]);
  assert.equal((await call('DELETE', '/v1/vms/web/opt-out', 'operator')).status, 404);
  assert.equal((await call('GET', '/v1/vms/web', 'viewer')).json['optedOut'], false);
});

test('the switches survive a restart: a new store on the same Redis reads the pause and the opt-outs back', async () => {
  await call('POST', '/v1/pause', 'admin', { reason: 'freeze' });
  await call('POST', '/v1/vms/db/opt-out', 'operator', { reason: 'licensing' });
  const restarted = new StopSwitches(engine.redis);
  assert.equal(restarted.current(), undefined, 'nothing before the first read');
  await restarted.refresh();
  assert.deepEqual([restarted.current()?.reason, restarted.current()?.actor], ['freeze', 'tok-admin']);
  assert.deepEqual(restarted.optOutList().map((o) => [o.vmName, o.reason, o.actor]), [['db', 'licensing', 'tok-operator']]);
  assert.match(restarted.paused() ?? '', /^cluster paused by tok-admin since \d{4}-.*: freeze$/);
  // another replica lifts them: this engine sees it at its next refresh
  await restarted.clearPause();
  await restarted.optIn('uuid-db');
  assert.ok(stops.current(), 'not yet');
  await stops.refresh();
  assert.deepEqual([stops.current(), stops.optOutList()], [undefined, []]);
});

test('a VM carrying the label ballast.dev/opt-out=true is opted out without any API call, and shown as such', async () => {
  const labelled = vmReport('batch');
  labelled.config = { labels: { 'ballast.dev/opt-out': 'true', 'ballast.dev/opt-out-reason': 'owned by team x' }, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: [] } as unknown as NonNullable<typeof labelled.config>;
  engine.state.ingest(hostReport('h2', [labelled], { takenAtMs: Date.now() }));
  const vm = (await call('GET', '/v1/vms/batch', 'viewer')).json;
  assert.deepEqual(vm['optOut'], { source: 'label', reason: 'owned by team x', since: null, actor: null });
  const list = (await call('GET', '/v1/opt-outs', 'viewer')).json['optOuts'] as { vm: string; source: string }[];
  assert.deepEqual(list.map((x) => [x.vm, x.source]), [['batch', 'label']]);
  const r = await cycle.run();
  assert.match(r.decisions.find((d) => d.vmUuid === 'uuid-batch' && d.kind === 'suppressed')?.reason ?? '', /opted out \(label ballast\.dev\/opt-out=true\): owned by team x/);
  const del = await call('DELETE', '/v1/vms/batch/opt-out', 'operator');
  assert.equal(del.status, 404);
  assert.match(errorOf(del.json).message, /remove the label/);
});
