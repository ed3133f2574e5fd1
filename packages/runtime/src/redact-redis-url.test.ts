import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactRedisUrl } from './redact-redis-url.js';

describe('redactRedisUrl', () => {
  it('replaces the password of the userinfo with ***, keeping the user', () => {
    assert.equal(redactRedisUrl('redis://:hunter2@10.0.0.5:6379'), 'redis://:***@10.0.0.5:6379');
    assert.equal(redactRedisUrl('rediss://app:hunter2@cache.example:6380/2'), 'rediss://app:***@cache.example:6380/2');
    assert.equal(redactRedisUrl('redis://app:p%40ss@w@d@[::1]:6379'), 'redis://app:***@[::1]:6379');
    assert.equal(redactRedisUrl('app:hunter2@127.0.0.1:6379'), 'app:***@127.0.0.1:6379');
  });

  it('replaces a password= query item', () => {
    assert.equal(redactRedisUrl('redis://127.0.0.1:6379?password=hunter2&db=1'), 'redis://127.0.0.1:6379?password=***&db=1');
  });

  it('leaves a URL without a password as it is', () => {
    for (const url of ['redis://127.0.0.1:1', 'redis://app@cache:6379', '/run/redis/redis.sock?db=2', 'redis://h:6379/0?family=6']) {
      assert.equal(redactRedisUrl(url), url);
    }
  });
});
