// Two policy-engine replicas on one Redis, with the real collectors and actuators of 4 simulated hosts: every
// replica sees every host (it tails the sample streams), the hosts are shared 2 + 2 by host leases
// (docs/replicas.md), never one decided by both, and both answer the same; a collector killed makes its host
// stale and undecided until it is back; an engine killed with SIGKILL loses its hosts to the other within 10 s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
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
  /** Host → the id of the replica deciding for it, as GET /v1/engines tells; and each engine's own id. */
  const owners = async (e: Engine) => {
    const r = (await api(e, '/v1/engines')) as { engines: { id: string; hosts: string[]; self: boolean }[]; undecided: string[] };
    return { byHost: new Map(r.engines.flatMap((x) => x.hosts.map((h) => [h, x.id] as const))), self: r.engines.find((x) => x.self)?.id, undecided: r.undecided };
  };
  /** Host → the engines that made its decisions since `sinceMs` (one VM per host asked; any replica answers for all). */
  const decidedBy = async (e: Engine, sinceMs: number) => {
    const out = new Map<string, string[]>();
    for (const [i, h] of HOSTS.entries()) {
      const r = (await api(e, `/v1/decisions?vm=vm-${i}-0&limit=50`)) as { decisions?: { atMs: number; engine?: string }[] };
      const by = [...new Set((r.decisions ?? []).filter((d) => d.atMs > sinceMs).map((d) => d.engine ?? '?'))].sort();
      if (by.length > 0) out.set(h, by);
    }
    return out;
  };

  before(async () => {
    [redis, sim] = await Promise.all([startRedis(), startSimServer(['--hosts', '4', '--vms-per-host', '2'])]);
    const dir = mkdtempSync(path.join(tmpdir(), 'ballast-replicas-'));
    const policy = path.join(dir, 'policy.json');
    // cluster-balance at level 1 (mandatory moves only: none here) reads memory-balloon's signals on every host
    writeFileSync(policy, JSON.stringify({ policies: { 'memory-balloon': { automation: 'recommend', args: {} }, 'cluster-balance': { automation: 'recommend', args: { level: 1 } } } }));
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

  test('every replica sees every host and answers the same; the hosts are shared 2 + 2, each decided by its owner only', { timeout: 60000 }, async () => {
    const [a, b] = engines as [Engine, Engine];
    await waitUntil('two hosts owned by each engine', 30000, async () => ((await owned(a)) === 2 && (await owned(b)) === 2 ? true : undefined)).catch((e: Error) =>
      assert.fail(`${e.message}\n${logs()}`),
    );
    const vmsOf = async (e: Engine) => ((await api(e, '/v1/vms')) as { vms: { name: string; host: string }[] }).vms.map((v) => `${v.host}/${v.name}`);
    // a replica sees the hosts streaming to the other within a read of their streams (new ones are looked for every 2 s)
    await waitUntil('both engines seeing the 8 VMs', 10000, async () => ((await vmsOf(a)).length === 8 && (await vmsOf(b)).length === 8 ? true : undefined), 100);
    assert.deepEqual(await vmsOf(a), await vmsOf(b), 'both replicas list the same VMs');
    const [oa, ob] = [await owners(a), await owners(b)];
    assert.deepEqual([...oa.byHost].sort(), [...ob.byHost].sort(), 'both tell the same owners');
    assert.deepEqual([...oa.byHost.keys()].sort(), HOSTS);
    const t = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    const [da, db] = [await decidedBy(a, t), await decidedBy(b, t)];
    assert.deepEqual([...da].sort(), [...db].sort(), 'both replicas answer the same decisions');
    for (const h of HOSTS) assert.deepEqual(da.get(h), [oa.byHost.get(h)], `${h} is decided by its owner only`);
    assert.notEqual(oa.self, ob.self);
    // they take turns in the cycle interval: half a 500 ms cycle apart (GET /v1/engines, cycleOffsetMs)
    const offsets = async () => ((await api(a, '/v1/engines')) as { engines: { cycleOffsetMs: number | null }[] }).engines.map((e) => e.cycleOffsetMs).sort();
    await waitUntil('the replicas at 0 and 250 ms of each cycle', 5000, async () => (JSON.stringify(await offsets()) === '[0,250]' ? true : undefined), 100).catch(async () =>
      assert.fail(`cycle offsets ${JSON.stringify(await offsets())}, not [0,250]`),
    );
  });

  test('the replica without the cluster lease shares its hosts\' signal parts; the lease holder merges them instead of planning those hosts', { timeout: 60000 }, async () => {
    await waitUntil('two hosts owned by each engine', 30000, async () => ((await owned(engines[0] as Engine)) === 2 && (await owned(engines[1] as Engine)) === 2 ? true : undefined));
    const leaseOf = async (e: Engine) => ((await api(e, '/healthz')) as { details: { clusterLease: boolean } }).details.clusterLease;
    const [holder, other] = (await leaseOf(engines[0] as Engine)) ? (engines as [Engine, Engine]) : ([engines[1], engines[0]] as [Engine, Engine]);
    assert.equal(await leaseOf(other), false);
    const hostsOf = async (e: Engine) => {
      const o = await owners(e);
      return [...o.byHost].filter(([, id]) => id === o.self).map(([h]) => h).sort();
    };
    const client = new Redis(redis.url);
    try {
      for (const h of await hostsOf(other)) {
        const entry = JSON.parse((await client.get(`ballast:signals:${h}`)) ?? 'null') as { parts: Record<string, { hosts: { hostId: string }[] }> } | null;
        assert.ok(entry, `${h}: parts shared`);
        assert.deepEqual(Object.keys(entry.parts).sort(), ['memory-balloon/bounds', 'memory-balloon/shortage'], `${h}: what cluster-balance reads of the enabled policies`);
        assert.deepEqual(entry.parts['memory-balloon/bounds']?.hosts.map((x) => x.hostId), [h], `${h}: its own memory budget and floor`);
        const ttl = await client.pttl(`ballast:signals:${h}`);
        assert.ok(ttl > 0 && ttl <= 5000, `${h}: used for 10 cycles of 500 ms (${ttl} ms left)`);
      }
      for (const h of await hostsOf(holder)) assert.equal(await client.exists(`ballast:signals:${h}`), 0, `${h}: the lease holder shares nothing`);
    } finally {
      client.disconnect();
    }
    const gauge = async (e: Engine, role: string) => {
      const text = await (await fetch(`http://127.0.0.1:${e.http}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      return Number(new RegExp(`^ballast_signal_parts_hosts\\{[^}]*role="${role}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1]);
    };
    await waitUntil('the lease holder merging the 2 other hosts\' parts', 5000, async () => ((await gauge(holder, 'merged')) === 2 ? true : undefined), 100).catch(async () =>
      assert.fail(`merged ${await gauge(holder, 'merged')}\n${logs()}`),
    );
    assert.equal(await gauge(other, 'shared'), 2);
  });

  test('a collector killed: its host turns stale within four intervals, no engine decides for it; back when the collector is', { timeout: 60000 }, async () => {
    const [a, b] = engines as [Engine, Engine];
    await waitUntil('two hosts owned by each engine', 30000, async () => ((await owned(a)) === 2 && (await owned(b)) === 2 ? true : undefined)).catch((e: Error) =>
      assert.fail(`${e.message}\n${logs()}`),
    );
    const h2 = procs.find((p) => p.name === 'collector' && p.output().includes('"hostId":"h2"')) as ServiceProc;
    h2.child.kill('SIGKILL');
    const killed = Date.now();
    const staleOn = async (e: Engine) => ((await api(e, '/v1/hosts')) as { hosts: { hostId: string; stale: boolean }[] }).hosts.find((h) => h.hostId === 'h2')?.stale;
    await waitUntil('h2 stale on both engines', 10000, async () => ((await staleOn(a)) && (await staleOn(b)) ? true : undefined), 100);
    const staleMs = Date.now() - killed;
    // four collector intervals (500 ms) and the engine cycle that sees it (500 ms)
    assert.ok(staleMs <= 4 * 500 + 500 + 300, `h2 stale ${staleMs} ms after its collector was killed`);
    await waitUntil('nobody deciding for h2', 5000, async () => ((await owners(a)).undecided.includes('h2') ? true : undefined), 100);
    const t = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual([...(await decidedBy(b, t)).keys()].sort(), ['h0', 'h1', 'h3'], 'no decision about h2 while its collector is gone');
    procs.push(startService('collector', collectorEnv['h2'] as Record<string, string>));
    await waitUntil('h2 fresh and decided again', 20000, async () => ((await owners(a)).byHost.has('h2') ? true : undefined), 100).catch((e: Error) => assert.fail(`${e.message}\n${logs()}`));
    const back = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual([...(await decidedBy(a, back)).keys()].sort(), HOSTS);
    console.log(`collector killed: h2 stale after ${staleMs} ms (interval 500 ms)`);
  });

  test('SIGKILL one engine: the other decides for all four within 10 s', { timeout: 60000 }, async () => {
    const [a, b] = engines as [Engine, Engine];
    await waitUntil('two hosts owned by each engine', 30000, async () => ((await owned(a)) === 2 && (await owned(b)) === 2 ? true : undefined)).catch((e: Error) =>
      assert.fail(`${e.message}\n${logs()}`),
    );
    const bId = (await owners(b)).self;
    const offsetOf = async (e: Engine) => ((await api(e, '/v1/engines')) as { engines: { cycleOffsetMs: number | null; self: boolean }[] }).engines.find((x) => x.self)?.cycleOffsetMs;
    const bBefore = await offsetOf(b);
    a.proc.child.kill('SIGKILL');
    const killed = Date.now();
    await waitUntil('b owning all four hosts', 15000, async () => ((await owned(b)) === 4 ? true : undefined), 100).catch((e: Error) => assert.fail(`${e.message}\n${logs()}`));
    const failoverMs = Date.now() - killed;
    assert.ok(failoverMs < 10000, `failover took ${failoverMs} ms`);
    const t2 = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    const by = await decidedBy(b, t2);
    assert.deepEqual([...by.keys()].sort(), HOSTS, 'b decides for every host');
    for (const h of HOSTS) assert.deepEqual(by.get(h), [bId]);
    // alone, b keeps its place in the interval (a move would only put more time between two of its cycles)
    assert.ok(bBefore === 0 || bBefore === 250, `b's turn before: ${bBefore}`);
    assert.equal(await offsetOf(b), bBefore, 'b alone keeps its place');
    console.log(`failover: b owned the 4 hosts ${failoverMs} ms after a was killed (lease TTL ${LEASE_TTL_MS} ms)`);
  });
});
