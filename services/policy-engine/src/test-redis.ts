// For tests: a redis-server of their own and a client on it.
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type RedisHandle } from '@ballast/testkit';

/**
 * Registers with node:test a redis-server started before the file's tests and stopped after them, and a client
 * on it: `.redis` and `.srv` are set once the tests run.
 */
export function redisForTests(): { redis: Redis; srv: RedisHandle } {
  const box = {} as { redis: Redis; srv: RedisHandle };
  before(async () => {
    box.srv = await startRedis();
    box.redis = new Redis(box.srv.url);
  });
  after(async () => {
    box.redis.disconnect();
    await box.srv.stop();
  });
  return box;
}
