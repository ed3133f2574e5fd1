import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { connectRedis } from './connect-redis.js';

describe('connectRedis', () => {
  it('prints one line naming the URL without its password, and exits 2', async () => {
    const handlers = new Set<unknown>();
    const redis = {
      on: (_: string, h: unknown) => handlers.add(h),
      off: (_: string, h: unknown) => handlers.delete(h),
      connect: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
      disconnect: () => {},
    } as unknown as Redis;
    const lines: string[] = [];
    const codes: number[] = [];
    await connectRedis(redis, 'redis://app:hunter2@127.0.0.1:1', { writeStderr: (l) => lines.push(l), exit: (c) => codes.push(c) });
    assert.deepEqual(lines, ['config: redisUrl=redis://app:***@127.0.0.1:1 — cannot connect: connect ECONNREFUSED 127.0.0.1:1\n']);
    assert.deepEqual(codes, [2]);
    assert.equal(handlers.size, 0);
  });
  it('with sentinels: the line names redisSentinels and hints at the sentinel settings', async () => {
    const redis = {
      on: () => {},
      off: () => {},
      connect: () => Promise.reject(new Error('All sentinels are unreachable and retry is disabled. Last error: connect ECONNREFUSED 127.0.0.1:26379')),
      disconnect: () => {},
    } as unknown as Redis;
    const lines: string[] = [];
    const target = { display: 'sentinels 127.0.0.1:26379, primary "m"', redact: (t: string) => t, sentinels: [{ host: '127.0.0.1', port: 26379 }] };
    await connectRedis(redis, target, { writeStderr: (l) => lines.push(l), exit: () => {} });
    assert.match(lines[0] ?? '', /^config: redisSentinels=127\.0\.0\.1:26379 — cannot connect: All sentinels are unreachable.* \(check redisSentinels, redisSentinelName and the sentinels' own login: redisSentinelUsername, redisSentinelPassword\)\n$/);
  });
});
