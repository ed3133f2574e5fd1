// Host leases on a real Redis: replicas share the hosts, a joining one gets its share, a dead one's hosts
// go to the others after the TTL, a stopping one's at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { startRedis, type RedisHandle } from '@ballast/testkit';
import { HostLeases } from './host-leases.js';

let srv: RedisHandle;
const clients: Redis[] = [];
const quiet = { info: () => undefined, warn: () => undefined };
const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
const TTL = 1500;

before(async () => {
  srv = await startRedis();
});
after(async () => {
  for (const c of clients) c.disconnect();
  await srv.stop();
});

function replica(id: string): { leases: HostLeases; redis: Redis } {
  const redis = new Redis(srv.url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  clients.push(redis);
  return { leases: new HostLeases(redis, { replicaId: id, ttlMs: TTL, now: Date.now, log: quiet }), redis };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('one owner per host when two replicas hear from every host; a host heard elsewhere only moves at once; a stopping replica gives its hosts back at once', async () => {
  const a = replica('a').leases;
  const b = replica('b').leases;
  const [ha, hb] = await Promise.all([a.balance(HOSTS), b.balance(HOSTS)]);
  assert.equal(ha.size + hb.size, 6);
  assert.ok(![...ha].some((h) => hb.has(h)), 'no host owned twice');
  assert.deepEqual(await a.replicas().then((r) => r.sort()), ['a', 'b']);
  // a's collectors moved to b: a no longer hears from its hosts and gives them back; b takes them in its next round
  const t0 = Date.now();
  await a.balance([]);
  assert.equal(a.owned().size, 0);
  assert.equal((await b.balance(HOSTS)).size, 6);
  assert.ok(Date.now() - t0 < TTL, 'without waiting for the TTL');
  // b stops: a (hearing from every host again) takes them all at once
  await b.releaseAll();
  assert.equal((await a.balance(HOSTS)).size, 6);
  await a.releaseAll();
});

/** A replica in a process of its own, balancing every 200 ms and printing what it holds: kill -9 is real. */
function replicaProcess(id: string, hosts: string[]): { child: ChildProcess; owned: () => string[] } {
  const script = `
    import { Redis } from 'ioredis';
    import { HostLeases } from ${JSON.stringify(pathToFileURL(path.join(import.meta.dirname, 'host-leases.js')).href)};
    const redis = new Redis(${JSON.stringify(srv.url)}, { maxRetriesPerRequest: null });
    const quiet = { info() {}, warn() {} };
    const leases = new HostLeases(redis, { replicaId: ${JSON.stringify(id)}, ttlMs: ${TTL}, now: Date.now, log: quiet });
    setInterval(async () => console.log(JSON.stringify([...(await leases.balance(${JSON.stringify(hosts)}))])), 200);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: import.meta.dirname, stdio: ['ignore', 'pipe', 'inherit'] });
  let last: string[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    const line = d.toString().trim().split('\n').pop();
    if (line) last = JSON.parse(line) as string[];
  });
  return { child, owned: () => last };
}

test('a replica killed (-9): its hosts go to the others after the TTL, not before; one owner per host throughout', async () => {
  const a = replicaProcess('a2', HOSTS.slice(0, 3));
  const b = replica('b2').leases;
  try {
    let had: string[] = [];
    // a hears from h1-h3 first and takes them; then b hears from every host and gets the other three
    for (let i = 0; i < 50 && had.length < 3; i++) {
      await sleep(100);
      had = a.owned();
    }
    await b.balance(HOSTS);
    assert.deepEqual([had.length, b.owned().size], [3, 3], `a holds ${had.join(',')}, b ${[...b.owned()].join(',')}`);
    assert.ok(!had.some((h) => b.owns(h)), 'no host owned twice');
    a.child.kill('SIGKILL');
    const t0 = Date.now();
    let took = -1;
    while (Date.now() - t0 < 4 * TTL) {
      const held = await b.balance(HOSTS);
      if (had.every((h) => held.has(h))) {
        took = Date.now() - t0;
        break;
      }
      await sleep(100);
    }
    assert.ok(took >= 0, `b did not take a's hosts within ${4 * TTL} ms`);
    // not before a's leases lapsed (refreshed every TTL/3, so at least 2/3 of the TTL after the kill)
    assert.ok(took >= TTL / 2, `b took a's hosts ${took} ms after the kill: before the TTL of ${TTL} ms`);
    assert.ok(took <= TTL + 1000, `failover took ${took} ms (TTL ${TTL} ms)`);
  } finally {
    a.child.kill('SIGKILL');
    await b.releaseAll();
  }
});
