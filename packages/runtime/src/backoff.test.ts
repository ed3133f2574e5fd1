import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('without jitter: min, doubling, capped at max; reset starts again', () => {
    const b = new Backoff({ minMs: 500, maxMs: 10_000, jitter: 0 });
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(() => b.next()), [500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    assert.equal(b.attempts, 7);
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 500);
  });

  it('jitter shortens each delay by up to its fraction, never below min', () => {
    const b = new Backoff({ minMs: 100, maxMs: 1000, jitter: 0.5, random: () => 1 });
    assert.deepEqual([1, 2, 3, 4, 5].map(() => b.next()), [100, 100, 200, 400, 500]);
    const r = new Backoff({ minMs: 100, maxMs: 1000, jitter: 0.2, random: () => 0.5 });
    assert.deepEqual([1, 2, 3].map(() => r.next()), [100, 180, 360]);
  });

  it('random delays stay within [min, max] and spread out', () => {
    const b = new Backoff({ minMs: 500, maxMs: 10_000 });
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      if (i % 10 === 0) b.reset();
      const d = b.next();
      assert.ok(d >= 500 && d <= 10_000, String(d));
      seen.add(d);
    }
    assert.ok(seen.size > 20, `only ${seen.size} distinct delays`);
  });

  it('another factor', () => {
    const b = new Backoff({ minMs: 10, maxMs: 1000, factor: 3, jitter: 0 });
    assert.deepEqual([1, 2, 3, 4, 5].map(() => b.next()), [10, 30, 90, 270, 810]);
  });

  it('rejects bounds that make no sense', () => {
    assert.throws(() => new Backoff({ minMs: 0, maxMs: 10 }), /minMs <= maxMs/);
    assert.throws(() => new Backoff({ minMs: 100, maxMs: 10 }), /got 100, 10/);
  });
});
