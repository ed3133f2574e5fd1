// cluster-balance with the real services on a simulated cluster: a simulator server of 6 hosts, a collector and
// an actuator process per host, the engine (cluster-balance in auto) and Redis. Putting a host in maintenance
// (POST /v1/hosts/:id/maintenance) evacuates it through migrate jobs the actuators apply to the simulator, and
// no VM moves onto it while it is in maintenance; the move decisions are in GET /v1/decisions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startRedis, type RedisHandle } from '@ballast/testkit';
import { startService, waitUntil, type ServiceProc } from './services.js';
import { startSimServer, type SimServerProc } from './sim-server-proc.js';

const HOSTS = ['h0', 'h1', 'h2', 'h3', 'h4', 'h5'];
const VMS_PER_HOST = 3;
const TOKEN = 'sim-cluster-token-0123456789';

describe(`cluster-balance on a simulator server of ${HOSTS.length} hosts: maintenance evacuates a host`, () => {
  let redis: RedisHandle;
  let sim: SimServerProc;
  let httpPort: number;
  const procs: ServiceProc[] = [];
  const api = async (p: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${httpPort}${p}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  const placement = async () => ((await api('/v1/vms')).json['vms'] as { name: string; host: string }[]).map((v) => [v.name, v.host] as const);
  const logs = () => procs.map((p) => `--- ${p.name} ---\n${p.output().slice(-2000)}`).join('\n');

  before(async () => {
    [redis, sim] = await Promise.all([startRedis(), startSimServer(['--hosts', String(HOSTS.length), '--vms-per-host', String(VMS_PER_HOST), '--migration-rate-mibs', '1024'])]);
    httpPort = await freePort();
    const grpcPort = await freePort();
    const policy = path.join(mkdtempSync(path.join(tmpdir(), 'ballast-sim-cluster-')), 'policy.json');
    // cluster-wide limits that let the evacuation go two at a time; the lab's short cool-downs
    const args = { level: 3, limits: { movesPerCycle: 2, perHost: 2, cluster: 4 }, cooldown: { minMs: 30000, maxMs: 60000 } };
    writeFileSync(policy, JSON.stringify({ policies: { 'cluster-balance': { automation: 'auto', args } } }));
    const common = { REDIS_URL: redis.url, BALLAST_LOG_LEVEL: 'warn', BALLAST_OPS_PORT: '0' };
    procs.push(startService('policy-engine', { ...common, BALLAST_API_TOKEN: TOKEN, BALLAST_HTTP_PORT: String(httpPort), BALLAST_GRPC_PORT: String(grpcPort), BALLAST_CYCLE_MS: '1000', BALLAST_POLICY_FILE: policy }));
    for (const host of HOSTS) {
      const env = { ...common, BALLAST_HOST_ID: host, LIBVIRT_URI: `${sim.uriPrefix}${host}` };
      procs.push(startService('collector', { ...env, BALLAST_ENGINE_ADDRESS: `127.0.0.1:${grpcPort}`, BALLAST_INTERVAL_MS: '500', BALLAST_HOST_LABELS: `rack=${HOSTS.indexOf(host) % 2 === 0 ? 'a' : 'b'}` }));
      procs.push(startService('actuator', { ...env, BALLAST_GRPC_PORT: '0', BALLAST_LOCK_DURATION_MS: '5000', BALLAST_STALLED_INTERVAL_MS: '2000' }));
    }
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await Promise.all([sim?.stop(), redis?.stop()]);
  });

  test('every host reports, with its labels; the cluster stays put while balanced', async () => {
    const hosts = await waitUntil(`${HOSTS.length} hosts with their VMs`, 60000, async () => {
      const hs = (await api('/v1/hosts')).json['hosts'] as { hostId: string; vmCount: number; labels: Record<string, string> }[];
      return hs.length === HOSTS.length && hs.every((h) => h.vmCount === VMS_PER_HOST) ? hs : undefined;
    }).catch((e: Error) => assert.fail(`${e.message}\n${logs()}`));
    assert.deepEqual(hosts.find((h) => h.hostId === 'h1')?.labels, { rack: 'b' });
    const before = await placement();
    await new Promise((r) => setTimeout(r, 4000));
    assert.deepEqual(await placement(), before, 'no move in a balanced cluster');
  });

  test('maintenance on h0: its VMs move to other hosts by migrate jobs; none moves onto h0; it ends cleanly', async () => {
    const t0 = Date.now();
    const on = await api('/v1/hosts/h0/maintenance', { enabled: true, reason: 'test' });
    assert.equal(on.status, 200, JSON.stringify(on.json));
    const after = await waitUntil('h0 evacuated', 90000, async () => {
      const p = await placement();
      return p.length === HOSTS.length * VMS_PER_HOST && !p.some(([, h]) => h === 'h0') ? p : undefined;
    }, 500).catch(async (e: Error) => assert.fail(`${e.message}: ${JSON.stringify(await placement())}\n${logs()}`));
    console.log(`h0 evacuated in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${after.filter(([n]) => n.startsWith('vm-0-')).map(([n, h]) => `${n}→${h}`).join(', ')}`);
    const decisions = (await api('/v1/decisions?kind=move&limit=50')).json['decisions'] as { policy: string; reason: string; jobs?: { state?: string }[] }[];
    const evacuations = decisions.filter((d) => d.policy === 'cluster-balance' && /^maintenance \(priority 1\): move vm-0-\d h0 → h[1-5]/.test(d.reason));
    assert.equal(evacuations.length, VMS_PER_HOST, JSON.stringify(decisions, null, 1).slice(0, 3000));
    const hosts = (await api('/v1/hosts')).json['hosts'] as { hostId: string; maintenance: boolean }[];
    assert.equal(hosts.find((h) => h.hostId === 'h0')?.maintenance, true);
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(!(await placement()).some(([, h]) => h === 'h0'), 'nothing moves onto a host in maintenance');
    assert.equal((await api('/v1/hosts/h0/maintenance', { enabled: false })).json['maintenance'], false);
  });
});
