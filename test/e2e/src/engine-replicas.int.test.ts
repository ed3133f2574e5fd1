// Two policy-engine replicas on one Redis, with the real collectors and actuators of 4 simulated hosts: each
// replica decides for the hosts whose collector streams to it (host leases, docs/replicas.md), never both for
// one; a collector killed makes its host stale and undecided until it is back; an engine killed with SIGKILL
// loses its hosts to the other within 10 s (the collectors move to it, the leases lapse).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startRedis, type RedisHandle } from '@ballast/testkit';
import { startService, waitUntil, type ServiceProc } from './services.js';
import { startSimServer, type SimServerProc } from './sim-server-proc.js';

const HOSTS = ['h0', 'h1', 'h2', 'h3'];
const TOKEN = 'replicas-token-0123456789';
const LEASE_TTL_MS = 3000;

interface Engine {
  proc: ServiceProc;
  http: number;
  grpc: number;
}

describe('engine replicas: host leases and failover on a simulator server of 4 hosts', () => {
  let redis: RedisHandle;
  let sim: SimServerProc;
  const engines: Engine[] = [];
  const procs: ServiceProc[] = [];
  const collectorEnv: Record<string, Record<string, string>> = {};
  const logs = () => [...engines.map((e) => e.proc), ...procs].map((p) => `--- ${p.name} ---\n${p.output().slice(-2000)}`).join('\n');
  const api = async (e: Engine, p: string) => (await fetch(`http://127.0.0.1:${e.http}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  const owned = async (e: Engine) => ((await api(e, '/healthz')) as { details: { hostsOwned: number } }).details.hostsOwned;
  /** The hosts an engine decided about in its last decisions (one VM per host asked). */
  const decidedHosts = async (e: Engine, sinceMs: number) => {
    const out: string[] = [];
    for (const [i, h] of HOSTS.entries()) {
      // a VM whose host streams to another engine is unknown here (404): no decision
      const r = (await api(e, `/v1/decisions?vm=vm-${i}-0&limit=5`)) as { decisions?: { atMs: number }[] };
      if ((r.decisions ?? []).some((d) => d.atMs > sinceMs)) out.push(h);
    }
    return out;
  };

  before(async () => {
    [redis, sim] = await Promise.all([startRedis(), startSimServer(['--hosts', '4', '--vms-per-host', '2'])]);
    const dir = mkdtempSync(path.join(tmpdir(), 'ballast-replicas-'));
    const policy = path.join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ policies: { 'memory-balloon': { automation: 'recommend', args: {} } } }));
    const common = { REDIS_URL: redis.url, BALLAST_LOG_LEVEL: 'info', BALLAST_OPS_PORT: '0' };
    for (let i = 0; i < 2; i++) {
      const [http, grpc] = [await freePort(), await freePort()];
      const env = { ...common, BALLAST_API_TOKEN: TOKEN, BALLAST_HTTP_PORT: String(http), BALLAST_GRPC_PORT: String(grpc), BALLAST_CYCLE_MS: '500', BALLAST_HOST_LEASE_TTL_MS: String(LEASE_TTL_MS), BALLAST_POLICY_FILE: policy };
      engines.push({ proc: startService('policy-engine', env), http, grpc });
    }
    const [a, b] = engines as [Engine, Engine];
    // both engines serving before the collectors start (one that finds its first engine down moves to the next)
    for (const e of engines) await waitUntil(`engine ${e.http} serving`, 30000, async () => ((await fetch(`http://127.0.0.1:${e.http}/healthz`)).ok ? true : undefined));
    for (const [i, host] of HOSTS.entries()) {
      // h0, h1 stream to a first; h2, h3 to b first; each moves to the other when its engine goes away
      const order = i < 2 ? [a, b] : [b, a];
      const env = { ...common, BALLAST_HOST_ID: host, LIBVIRT_URI: `${sim.uriPrefix}${host}` };
      collectorEnv[host] = { ...env, BALLAST_ENGINE_ADDRESS: order.map((e) => `127.0.0.1:${e.grpc}`).join(','), BALLAST_INTERVAL_MS: '500' };
      procs.push(startService('collector', collectorEnv[host]));
      procs.push(startService('actuator', { ...env, BALLAST_GRPC_PORT: '0' }));
    }
  });

  after(async () => {
    await Promise.all([...engines.map((e) => e.proc), ...procs].map((p) => p.stop()));
    await Promise.all([sim?.stop(), redis?.stop()]);
  });

  test('a collector killed: its host turns stale within four intervals, no engine decides for it; back when the collector is', { timeout: 60000 }, async () => {
    const [, b] = engines as [Engine, Engine];
    await waitUntil('b owning h2 and h3', 30000, async () => ((await owned(b)) === 2 ? true : undefined)).catch((e: Error) => assert.fail(`${e.message}\n${logs()}`));
    const h2 = procs.find((p) => p.name === 'collector' && p.output().includes('"hostId":"h2"')) as ServiceProc;
    h2.child.kill('SIGKILL');
    const killed = Date.now();
    const hostsOf = async () => ((await api(b, '/v1/hosts')) as { hosts: { hostId: string; stale: boolean }[] }).hosts;
    await waitUntil('h2 stale', 10000, async () => ((await hostsOf()).find((h) => h.hostId === 'h2')?.stale ? true : undefined), 100);
    const staleMs = Date.now() - killed;
    // four collector intervals (500 ms) and the engine cycle that sees it (500 ms)
    assert.ok(staleMs <= 4 * 500 + 500 + 300, `h2 stale ${staleMs} ms after its collector was killed`);
    await waitUntil('b giving up h2', 5000, async () => ((await owned(b)) === 1 ? true : undefined), 100);
    const t = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await decidedHosts(b, t), ['h3'], 'no decision about h2 while its collector is gone');
    procs.push(startService('collector', collectorEnv['h2'] as Record<string, string>));
    await waitUntil('h2 fresh and held again', 20000, async () => ((await owned(b)) === 2 ? true : undefined), 100).catch((e: Error) => assert.fail(`${e.message}\n${logs()}`));
    const back = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await decidedHosts(b, back), ['h2', 'h3']);
    console.log(`collector killed: h2 stale after ${staleMs} ms (interval 500 ms)`);
  });

  test('each engine decides for the hosts streaming to it; SIGKILL one: the other decides for all four within 10 s', { timeout: 60000 }, async () => {
    const [a, b] = engines as [Engine, Engine];
    await waitUntil('each engine owning its two hosts', 30000, async () => ((await owned(a)) === 2 && (await owned(b)) === 2 ? true : undefined)).catch((e: Error) =>
      assert.fail(`${e.message}\n${logs()}`),
    );
    const t1 = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await decidedHosts(a, t1), ['h0', 'h1'], 'a decides for h0 and h1 only');
    assert.deepEqual(await decidedHosts(b, t1), ['h2', 'h3'], 'b decides for h2 and h3 only');

    a.proc.child.kill('SIGKILL');
    const killed = Date.now();
    await waitUntil('b owning all four hosts', 15000, async () => ((await owned(b)) === 4 ? true : undefined), 100).catch((e: Error) => assert.fail(`${e.message}\n${logs()}`));
    const failoverMs = Date.now() - killed;
    assert.ok(failoverMs < 10000, `failover took ${failoverMs} ms`);
    const t2 = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await decidedHosts(b, t2), HOSTS, 'b decides for every host');
    console.log(`failover: b owned the 4 hosts ${failoverMs} ms after a was killed (lease TTL ${LEASE_TTL_MS} ms)`);
  });
});
