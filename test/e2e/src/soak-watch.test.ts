import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from './soak-load.js';
import { growthPerHour, isDeath, type GuestLook } from './soak-watch.js';

// The soak's pure parts: its RSS trend, what counts as a guest death, its reproducible load draw.

test('growthPerHour is the least-squares slope in MiB per hour; too few points give none', () => {
  assert.equal(growthPerHour([[0, 100], [60, 101], [120, 102]]), 60); // 1 MiB a minute
  const noisy: [number, number][] = [[0, 100], [10, 104], [20, 98], [30, 102], [40, 100]];
  assert.ok(Math.abs(growthPerHour(noisy) ?? NaN) < 100, 'noise around a flat line is near 0');
  assert.equal(growthPerHour([[0, 1], [10, 2]]), undefined);
  assert.equal(growthPerHour([[5, 1], [5, 2], [5, 3]]), undefined);
});

test('a death is libvirt not reporting it running, or a panic; unreachable or an OOM kill is not', () => {
  const l = (domState: string, health: string): GuestLook => ({ atSec: 0, vm: 'lab-vm1', domState, health, detail: '' });
  assert.equal(isDeath(l('running (booted)', 'alive')), false);
  assert.equal(isDeath(l('running (booted)', 'unreachable')), false);
  assert.equal(isDeath(l('running (booted)', 'oom-killed')), false);
  assert.equal(isDeath(l('running (booted)', 'panicked')), true);
  assert.equal(isDeath(l('crashed (panicked)', 'panicked')), true);
  assert.equal(isDeath(l('shut off (destroyed)', 'unreachable')), true);
});

test('the load draw repeats with its seed and differs with another', () => {
  const draw = (seed: number) => {
    const r = seededRandom(seed);
    return Array.from({ length: 5 }, () => r());
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  assert.ok(draw(7).every((x) => x >= 0 && x < 1));
});
