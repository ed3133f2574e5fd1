import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { hostReport, vmReport } from '@ballast/testkit';
import { SampleRecorder } from './sample-recorder.js';

/** A Redis whose pipelines wait until `answer()` (as ioredis holds commands while Redis is away). */
function slowRedis() {
  const waiting: ((r: [Error | null, unknown][]) => void)[] = [];
  const added: string[][] = [];
  const redis = {
    pipeline() {
      const cmds: string[][] = [];
      return {
        xadd: (...args: unknown[]) => cmds.push(args.map(String)),
        pexpire: () => undefined,
        zadd: () => undefined,
        zremrangebyscore: () => undefined,
        exec: () => new Promise<[Error | null, unknown][]>((resolve) => waiting.push((r) => (r[0]?.[0] ? undefined : added.push(...cmds), resolve(r)))),
      };
    },
  } as unknown as Redis;
  const answer = (err: Error | null) => {
    for (const w of waiting.splice(0)) w(Array.from({ length: 100 }, () => [err, 'ok'] as [Error | null, unknown]));
  };
  return { redis, added, answer, waiting };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Until a flush waits on the fake Redis (deflating runs on the thread pool first). */
async function flushWaits(s: { waiting: unknown[] }): Promise<void> {
  for (let i = 0; i < 500 && s.waiting.length === 0; i++) await sleep(5);
  assert.equal(s.waiting.length, 1, 'one flush waits');
}
const report = () => hostReport('h1', [vmReport('a')]);

test('while Redis does not answer, at most maxQueued reports wait; the rest are dropped and counted', async () => {
  const s = slowRedis();
  const r = new SampleRecorder(s.redis, { retentionMs: 3_600_000, flushMs: 1, maxQueued: 3 });
  for (let i = 0; i < 3; i++) r.record(report());
  await flushWaits(s);
  r.record(report());
  r.record(report());
  assert.deepEqual([r.recorded, r.errors], [0, 2]);
  s.answer(null);
  await r.close();
  assert.deepEqual([r.recorded, r.errors], [3, 2]);
  r.record(report());
  await flushWaits(s);
  s.answer(null);
  await r.close();
  assert.equal(r.recorded, 4, 'room again once Redis answered');
});

test('a failed append starts the host on a new keyframe; other entries are deltas with their keyframe tag', async () => {
  const s = slowRedis();
  const r = new SampleRecorder(s.redis, { retentionMs: 3_600_000, flushMs: 1, keyframeEvery: 3 });
  // xadd key MINID ~ <minId> * k <tag> z|d <bytes>
  const kind = () => s.added.map((a) => a[7]).join('');
  for (let i = 0; i < 4; i++) r.record(report());
  const done = r.close();
  await flushWaits(s);
  s.answer(null);
  await done;
  assert.equal(kind(), 'zddz', 'a keyframe every 3');
  r.record(report());
  const failing = r.close();
  await flushWaits(s);
  s.answer(new Error('OOM command not allowed'));
  await failing;
  assert.equal(r.errors, 1);
  r.record(report());
  const next = r.close();
  await flushWaits(s);
  s.answer(null);
  await next;
  assert.equal(kind(), 'zddzz', 'the entry after the lost delta is a keyframe');
  const tags = s.added.map((a) => a[6]);
  assert.deepEqual([tags[1], tags[2]], [tags[0], tags[0]]);
  assert.equal(new Set(tags).size, 3);
});
