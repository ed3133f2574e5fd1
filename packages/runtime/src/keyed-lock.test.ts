import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedLock } from './keyed-lock.js';

describe('KeyedLock', () => {
  it('runs work of one key one at a time, in arrival order', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const job = (name: string, ms: number) =>
      lock.run('vm1', async () => {
        log.push(`${name} start`);
        await sleep(ms);
        log.push(`${name} end`);
        return name;
      });
    const results = await Promise.all([job('a', 20), job('b', 1), job('c', 5)]);
    assert.deepEqual(results, ['a', 'b', 'c']);
    assert.deepEqual(log, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('runs different keys concurrently', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    await Promise.all(
      ['vm1', 'vm2'].map((key) =>
        lock.run(key, async () => {
          log.push(`${key} start`);
          await sleep(10);
          log.push(`${key} end`);
        }),
      ),
    );
    assert.deepEqual(log, ['vm1 start', 'vm2 start', 'vm1 end', 'vm2 end']);
  });

  it('a failure is the caller\'s alone: the next in line still runs', async () => {
    const lock = new KeyedLock();
    const failed = lock.run('k', async () => {
      throw new Error('boom');
    });
    const next = lock.run('k', async () => 'next');
    await assert.rejects(failed, /boom/);
    assert.equal(await next, 'next');
  });

  it('busyKeys counts keys with work running or waiting, and drops them when done', async () => {
    const lock = new KeyedLock();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = lock.run('a', () => gate);
    const a2 = lock.run('a', async () => undefined);
    const b = lock.run('b', () => gate);
    assert.equal(lock.busyKeys, 2);
    release();
    await Promise.all([a, a2, b]);
    assert.equal(lock.busyKeys, 0);
  });
});
