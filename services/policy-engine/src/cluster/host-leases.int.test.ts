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

/** Rounds of balance() on every replica (as their cycles do) until nothing changes. */
async function settle(replicas: { leases: HostLeases; hosts: string[] }[], rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) for (const r of replicas) await r.leases.balance(r.hosts);
}

const disjoint = (...sets: ReadonlySet<string>[]) => sets.reduce((n, s) => n + s.size, 0) === new Set(sets.flatMap((s) => [...s])).size;

test('the hosts are shared evenly: two replicas 3 + 3, a third joining takes its share from both, a stopping one gives its hosts back at once', async () => {
  const a = { leases: replica('a').leases, hosts: HOSTS };
  const b = { leases: replica('b').leases, hosts: HOSTS };
  await settle([a, b]);
  assert.deepEqual([a.leases.owned().size, b.leases.owned().size], [3, 3]);
  assert.ok(disjoint(a.leases.owned(), b.leases.owned()), 'no host owned twice');
  assert.deepEqual(await a.leases.replicas().then((r) => r.sort()), ['a', 'b']);
  // c joins: shares of 2; a and b each give one back, c takes them
  const c = { leases: replica('c').leases, hosts: HOSTS };
  await settle([a, b, c]);
  assert.deepEqual([a, b, c].map((r) => r.leases.owned().size), [2, 2, 2]);
  assert.ok(disjoint(a.leases.owned(), b.leases.owned(), c.leases.owned()), 'no host owned twice');
  // their turns in the cycle interval: one place each, by id, all counting three
  assert.deepEqual([a, b, c].map((r) => r.leases.turn()), [{ index: 0, of: 3 }, { index: 1, of: 3 }, { index: 2, of: 3 }]);
  // a host turns stale (no fresh samples anywhere): its owner gives it up
  const stale = [...a.leases.owned()][0] as string;
  const rest = HOSTS.filter((h) => h !== stale);
  await settle([a, b, c].map((r) => ({ ...r, hosts: rest })));
  assert.ok(![a, b, c].some((r) => r.leases.owns(stale)), `${stale} is still owned`);
  assert.equal([a, b, c].reduce((n, r) => n + r.leases.owned().size, 0), 5);
  // c and b stop: a (alone now) takes every host at once, without waiting for the TTL
  const t0 = Date.now();
  await c.leases.releaseAll();
  await b.leases.releaseAll();
  assert.equal((await a.leases.balance(HOSTS)).size, 6);
  assert.ok(Date.now() - t0 < TTL, 'without waiting for the TTL');
  assert.deepEqual(a.leases.turn(), { index: 0, of: 1 }, 'alone: the whole interval');
  await a.leases.releaseAll();
});

test('a replica prefers the hosts whose collectors stream to it', async () => {
  const a = replica('pa').leases;
  const b = replica('pb').leases;
  await b.balance(HOSTS); // b beats first
  const direct = new Set(['h4', 'h5', 'h6']);
  for (let i = 0; i < 3; i++) {
    await a.balance(HOSTS, direct);
    await b.balance(HOSTS);
  }
  // b, alone at first, took every host, then kept its share of 3 (by its own order); a took its 3 from what b gave back
  assert.equal(a.owned().size + b.owned().size, 6);
  assert.ok(disjoint(a.owned(), b.owned()));
  // when a is past its share (b alone hears nothing now), the hosts it keeps are the direct ones
  await b.releaseAll();
  await a.balance(HOSTS, direct);
  const late = replica('pc').leases;
  await late.balance(HOSTS);
  await a.balance(HOSTS, direct);
  assert.deepEqual([...a.owned()].sort(), ['h4', 'h5', 'h6']);
  await late.releaseAll();
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
  const a = replicaProcess('a2', HOSTS);
  const b = replica('b2').leases;
  try {
    let had: string[] = [];
    // a alone takes every host; then b beats, a gives back what is past its share of 3 and b takes it
    for (let i = 0; i < 50 && had.length < 6; i++) {
      await sleep(100);
      had = a.owned();
    }
    for (let i = 0; i < 50 && (b.owned().size < 3 || a.owned().length !== 3); i++) {
      await b.balance(HOSTS);
      await sleep(100);
    }
    had = a.owned();
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

test('owners(): which replica holds each host, as GET /v1/engines shows it', async () => {
  const a = replica('oa').leases;
  const b = replica('ob').leases;
  await settle([{ leases: a, hosts: HOSTS }, { leases: b, hosts: HOSTS }]);
  const owners = await a.owners([...HOSTS, 'nobody']);
  assert.deepEqual([...owners.keys()].sort(), HOSTS);
  for (const [h, id] of owners) assert.ok((id === 'oa' && a.owns(h)) || (id === 'ob' && b.owns(h)), `${h} → ${id}`);
  const engines = await a.engines();
  assert.deepEqual(engines.map((e) => [e.id, e.hostsOwned]), [['oa', a.owned().size], ['ob', b.owned().size]].sort());
  await a.releaseAll();
  await b.releaseAll();
  assert.deepEqual(await a.engines(), []);
});

test('a replica whose cycles run longer than the TTL still counts as alive: it beats on a timer, not only in its cycle', async () => {
  const a = replica('sa').leases;
  const b = replica('sb').leases;
  await settle([{ leases: a, hosts: HOSTS }, { leases: b, hosts: HOSTS }]);
  assert.deepEqual([a.owned().size, b.owned().size], [3, 3]);
  await sleep(2 * TTL); // b's "cycle" takes two TTLs: no balance() meanwhile
  assert.deepEqual((await a.replicas()).sort(), ['sa', 'sb'], 'b beat on its timer');
  await a.balance(HOSTS);
  assert.deepEqual([a.owned().size, b.owned().size], [3, 3], "a kept its share of 3: b's hosts stay b's");
  await b.releaseAll();
  await sleep(TTL / 2); // no beat of b's after its leases are given back
  assert.deepEqual(await a.replicas(), ['sa']);
  assert.equal((await a.balance(HOSTS)).size, 6);
  await a.releaseAll();
});

test('hundreds of free hosts are taken in one burst, not one round trip each; two replicas taking at once share them', async () => {
  const many = Array.from({ length: 300 }, (_, i) => `m${String(i).padStart(3, '0')}`);
  const { leases: a, redis } = replica('ba');
  // the most commands this client had waiting for a reply at once
  let inFlight = 0;
  let most = 0;
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((cmd: Parameters<Redis['sendCommand']>[0]) => {
    most = Math.max(most, ++inFlight);
    void cmd.promise.finally(() => inFlight--).catch(() => undefined);
    return send(cmd);
  }) as Redis['sendCommand'];
  assert.equal((await a.balance(many)).size, 300);
  assert.ok(most >= 100, `at most ${most} commands in flight at once: the leases were taken one after another`);
  const b = replica('bb').leases;
  await Promise.all([a.balance(many), b.balance(many)]); // b beats: a gives back 150 while b takes
  for (let i = 0; i < 3; i++) await Promise.all([a.balance(many), b.balance(many)]);
  assert.deepEqual([a.owned().size, b.owned().size], [150, 150]);
  assert.ok(disjoint(a.owned(), b.owned()), 'no host owned twice');
  assert.deepEqual(await a.owners(many).then((o) => o.size), 300);
  await a.releaseAll();
  await b.releaseAll();
});

test('a lease taken from under a replica (not refreshed in time, or overwritten) is counted as lost and dropped', async () => {
  const { leases: a, redis } = replica('la');
  await a.balance(['x1', 'x2']);
  assert.equal(a.lost, 0);
  await redis.set('mutex:ballast:host-lease:x1', 'someone-else:x1', 'PX', TTL); // as if another replica held it
  for (let i = 0; i < 30 && a.lost === 0; i++) await sleep(100); // the next refresh (every TTL/3) finds it gone
  assert.equal(a.lost, 1);
  assert.deepEqual([...(await a.balance(['x1', 'x2']))], ['x2'], 'x1 is dropped: its lease is held by another');
  await a.releaseAll();
});
