import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clamp, constant, gib, holdUntil, jitter, mib, ramp, scale, type Signal, square, steps, sum, trace } from './sim-workload.js';

/** Checks a signal's holdUntil hint against its values on a grid: the value must not change before it. */
function assertHintsHold(sig: Signal, fromMs: number, toMs: number, stepMs: number): void {
  for (let t = fromMs; t <= toMs; t += stepMs) {
    const until = holdUntil(sig, t);
    assert.ok(until >= t, `hint at ${t} is in the past (${until})`);
    const v = sig(t);
    for (let u = t; u < Math.min(until, toMs); u += stepMs / 4) {
      assert.equal(sig(u), v, `value changed at ${u} before hint ${until} given at ${t}`);
    }
  }
}

describe('sim-workload', () => {
  it('units', () => {
    assert.equal(mib(3), 3072);
    assert.equal(gib(1), 1048576);
  });

  it('steps: first value before the first point, last point at or before t after', () => {
    const s = steps([
      [30_000, 0.9],
      [10_000, 0.1],
      [90_000, 0.2],
    ]);
    assert.equal(s(0), 0.1);
    assert.equal(s(10_000), 0.1);
    assert.equal(s(29_999), 0.1);
    assert.equal(s(30_000), 0.9);
    assert.equal(s(1e9), 0.2);
    assert.equal(holdUntil(s, 12_000), 30_000);
    assert.equal(holdUntil(s, 95_000), Infinity);
    assert.throws(() => steps([]), RangeError);
  });

  it('ramp: moves at its rate from its start, then holds', () => {
    const r = ramp(mib(100), mib(200), mib(10), 5_000);
    assert.equal(r(0), mib(100));
    assert.equal(r(5_000), mib(100));
    assert.equal(r(6_000), mib(110));
    assert.equal(r(10_000), mib(150));
    assert.equal(r(15_000), mib(200));
    assert.equal(r(60_000), mib(200));
    const down = ramp(10, 0, 2);
    assert.equal(down(2_500), 5);
    assert.equal(down(10_000), 0);
  });

  it('trace: holds, interpolates, loops', () => {
    const held = trace([1, 2, 4], 1000);
    assert.deepEqual([held(-5), held(0), held(999), held(1000), held(2500), held(99_999)], [1, 1, 1, 2, 4, 4]);
    const lin = trace([0, 10], 1000, { interpolate: true });
    assert.equal(lin(250), 2.5);
    assert.equal(lin(5000), 10);
    const loop = trace([1, 2, 3], 1000, { loop: true, startMs: 500 });
    assert.deepEqual([loop(500), loop(1500), loop(2500), loop(3500), loop(4600)], [1, 2, 3, 1, 2]);
  });

  it('sum, scale, clamp, square', () => {
    const s = sum(constant(1), ramp(0, 10, 1));
    assert.equal(s(4000), 5);
    assert.equal(scale(constant(3), 2)(0), 6);
    const c = clamp(ramp(-1, 2, 1), 0, 1);
    assert.deepEqual([c(0), c(1500), c(3000)], [0, 0.5, 1]);
    const q = square(0.1, 0.9, 10_000, 0.3, 1_000);
    assert.deepEqual([q(1_000), q(3_999), q(4_000), q(10_999), q(11_000), q(500)], [0.9, 0.9, 0.1, 0.1, 0.9, 0.1]);
  });

  it('jitter is deterministic, bounded, constant per bucket and seed-dependent', () => {
    const a = jitter(constant(0.5), 0.1, 7);
    const b = jitter(constant(0.5), 0.1, 7);
    const c = jitter(constant(0.5), 0.1, 8);
    let differs = false;
    for (let t = 0; t < 100_000; t += 1000) {
      assert.equal(a(t), b(t));
      assert.equal(a(t), a(t + 999));
      assert.ok(a(t) >= 0.4 && a(t) <= 0.6);
      if (a(t) !== c(t)) differs = true;
    }
    assert.ok(differs);
  });

  it('holdUntil hints never promise more than the signal keeps', () => {
    assertHintsHold(steps([[0, 1], [7_000, 2], [13_000, 3]]), 0, 20_000, 500);
    assertHintsHold(ramp(0, 10, 1, 3_000), 0, 20_000, 500);
    assertHintsHold(trace([1, 2, 3], 1500, { startMs: 1000 }), 0, 20_000, 500);
    assertHintsHold(trace([1, 2, 3], 1500, { loop: true }), 0, 20_000, 500);
    assertHintsHold(trace([1, 2, 3], 1500, { interpolate: true }), 0, 20_000, 500);
    assertHintsHold(square(0, 1, 7_000, 0.37, 1_234), 0, 30_000, 250);
    assertHintsHold(clamp(jitter(sum(constant(1), steps([[0, 1], [5_000, 2]])), 0.5, 3, 2_000), 0, 3), 0, 20_000, 500);
    assertHintsHold(scale(square(0, 1, 4_000), 2), 0, 20_000, 500);
    assert.equal(holdUntil((t) => t, 5), 5);
  });
});
