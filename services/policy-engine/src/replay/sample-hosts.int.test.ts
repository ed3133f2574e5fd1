// How replicas find the sample streams (recordedHosts, every 2 s on every replica): from the recorders' index in one
// round trip, not a SCAN of a keyspace that is mostly BullMQ's kept jobs; hosts silent for longer than the
// retention leave the index; streams written before the index existed are still found by SCAN.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostReport, vmReport } from '@ballast/testkit';
import { recordedHosts } from './sample-reader.js';
import { SAMPLE_HOSTS_KEY, SampleRecorder, sampleStreamKey } from './sample-recorder.js';
import { redisForTests } from '../test-redis.js';

const HOUR = 3_600_000;
const db = redisForTests();

async function scans(): Promise<number> {
  const m = /cmdstat_scan:calls=(\d+)/.exec(await db.redis.info('commandstats'));
  return Number(m?.[1] ?? 0);
}

test('no index yet: the streams are found by SCAN', async () => {
  await db.redis.xadd(sampleStreamKey('by-hand'), '*', 'k', '1');
  const before = await scans();
  assert.deepEqual(await recordedHosts(db.redis), ['by-hand']);
  assert.ok((await scans()) > before, 'a SCAN');
  await db.redis.del(sampleStreamKey('by-hand'));
});

test('recorded hosts come from the index, one ZRANGE whatever the other keys; silent hosts leave it', async () => {
  // 20,000 other keys, as BullMQ's kept jobs would be
  const p = db.redis.pipeline();
  for (let i = 0; i < 20_000; i++) p.hset(`bull:jobs-h:${i}`, 'data', '{}');
  await p.exec();
  let nowMs = Date.now();
  const recorder = new SampleRecorder(db.redis, { retentionMs: HOUR, flushMs: 1, now: () => nowMs });
  for (const h of ['h2', 'h1', 'h3']) recorder.record(hostReport(h, [vmReport('a')]));
  await recorder.flush();
  const before = await scans();
  assert.deepEqual(await recordedHosts(db.redis), ['h1', 'h2', 'h3']);
  assert.equal(await scans(), before, 'no SCAN');
  assert.deepEqual((await db.redis.zrange(SAMPLE_HOSTS_KEY, '0', '-1')).sort(), ['h1', 'h2', 'h3']);
  // two hours on, only h3 reports: h1 and h2 are dropped from the index (their streams expire with the retention)
  nowMs += 2 * HOUR;
  recorder.record(hostReport('h3', [vmReport('a')]));
  await recorder.flush();
  assert.deepEqual(await recordedHosts(db.redis), ['h3']);
  await recorder.close();
});
