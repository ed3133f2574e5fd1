// Signal parts shared between replicas on a real Redis: what one writes the other reads, fresh only; entries of
// another format or that do not parse are skipped; with Redis gone both calls return without throwing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { PARTS_FORMAT, SharedSignalStore, sharedSignalsKey } from './shared-signal-store.js';
import { redisForTests } from '../test-redis.js';

const db = redisForTests();
const part = (h: string) => ({ 'cpu-entitlement/bounds': [{ vmUuid: `${h}-vm`, hostId: h, reservedPercent: 0, limitPercent: 100 }] });

test('parts written by one replica are read by another, by host; hosts with none are absent', async () => {
  const a = new SharedSignalStore(db.redis, { ttlMs: 10_000 });
  const b = new SharedSignalStore(db.redis, { ttlMs: 10_000 });
  const hosts = Array.from({ length: 1_200 }, (_, i) => `rt-${i}`); // more than one MGET's chunk
  await a.publish(new Map(hosts.map((h) => [h, part(h)])));
  const got = await b.read([...hosts, 'rt-none']);
  assert.equal(got.size, hosts.length);
  assert.deepEqual(got.get('rt-1100'), part('rt-1100'));
  assert.equal(got.has('rt-none'), false);
  const ttl = await db.redis.pttl(sharedSignalsKey('rt-0'));
  assert.ok(ttl > 9_000 && ttl <= 10_000, `ttl ${ttl}`);
});

test('a part expires after the TTL: a replica that stops sharing leaves nothing behind', async () => {
  const a = new SharedSignalStore(db.redis, { ttlMs: 150 });
  await a.publish(new Map([['ttl-1', part('ttl-1')]]));
  assert.equal((await a.read(['ttl-1'])).size, 1);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await a.read(['ttl-1'])).size, 0);
});

test('an entry of another format or that does not parse is skipped and counted', async () => {
  const s = new SharedSignalStore(db.redis, { ttlMs: 10_000 });
  await db.redis.set(sharedSignalsKey('bad-json'), '{not json');
  await db.redis.set(sharedSignalsKey('bad-format'), JSON.stringify({ v: PARTS_FORMAT + 1, atMs: 0, parts: part('bad-format') }));
  await db.redis.set(sharedSignalsKey('bad-parts'), JSON.stringify({ v: PARTS_FORMAT, atMs: 0, parts: [1, 2] }));
  await s.publish(new Map([['good', part('good')]]));
  const got = await s.read(['bad-json', 'bad-format', 'bad-parts', 'good']);
  assert.deepEqual([...got.keys()], ['good']);
  assert.equal(s.undecodable, 3);
});

test('with Redis unreachable neither call throws: nothing is read, the error is counted', async () => {
  const gone = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  const warned: string[] = [];
  const s = new SharedSignalStore(gone, { ttlMs: 1_000, log: { warn: (_o, msg) => void warned.push(msg) } });
  await s.publish(new Map([['h', part('h')]]));
  assert.equal((await s.read(['h'])).size, 0);
  assert.equal(s.errors, 2);
  assert.equal(warned.length, 1, 'warned once a minute at most');
  gone.disconnect();
});
