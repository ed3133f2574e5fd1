import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { VmReport } from '@ballast/domain';

import { BalloonSchedule } from './balloon-schedule.js';

function b(usedKiB: number, hasGuestStats = true): NonNullable<VmReport['balloon']> {
  return { actualKiB: 1_048_576, maximumKiB: 2_097_152, hasGuestStats, unusedKiB: 1_048_576 - usedKiB, availableKiB: 1_000_000, usableKiB: 0, majorFaults: 0, swapInKiB: 0, lastUpdateSec: 1 };
}

const opts = { movingKiB: 8192, settleMs: 10_000, steadyMs: 6_000 };

test('a new VM is read; a steady one every steadyMs, never less often', () => {
  const s = new BalloonSchedule(opts);
  assert.equal(s.wants('a', 0), true);
  s.read('a', b(500_000), 0);
  // the first read counts as movement: read every cycle for settleMs
  assert.equal(s.wants('a', 2_000), true);
  for (let t = 2_000; t <= 10_000; t += 2_000) s.read('a', b(500_000), t);
  // steady since 0: settled at 10 s, read again 6 s after the last read, not before
  assert.equal(s.wants('a', 12_000), false);
  assert.equal(s.wants('a', 14_000), false);
  assert.equal(s.wants('a', 16_000), true);
  s.read('a', b(501_000), 16_000); // under movingKiB: still steady
  assert.equal(s.wants('a', 18_000), false);
  assert.equal(s.wants('a', 22_000), true);
});

test('memory that moves is read every cycle, until it has been steady for settleMs', () => {
  const s = new BalloonSchedule(opts);
  s.read('a', b(500_000), 0);
  for (let t = 2_000; t <= 10_000; t += 2_000) s.read('a', b(500_000), t);
  s.read('a', b(500_000), 16_000);
  assert.equal(s.wants('a', 18_000), false);
  s.read('a', b(600_000), 22_000); // +100 MiB
  for (const t of [24_000, 26_000, 30_000]) assert.equal(s.wants('a', t), true, `at ${t}`);
  s.read('a', b(600_000), 30_000);
  assert.equal(s.wants('a', 31_000), true); // moved at 22 s: settles at 32 s
  s.read('a', b(600_000), 31_000);
  assert.equal(s.wants('a', 34_000), false);
  assert.equal(s.wants('a', 37_000), true); // 6 s after the last read
});

test('a balloon-change event makes the next cycle read it; VMs without guest stats stay on every cycle', () => {
  const s = new BalloonSchedule(opts);
  for (let t = 0; t <= 10_000; t += 2_000) s.read('a', b(500_000), t);
  assert.equal(s.wants('a', 12_000), false);
  s.changed('a');
  assert.equal(s.wants('a', 12_000), true);
  s.read('a', b(500_000), 12_000);
  assert.equal(s.wants('a', 14_000), false);
  s.changed('unknown'); // no effect, no entry
  assert.equal(s.wants('unknown', 14_000), true);
  for (let t = 0; t <= 20_000; t += 2_000) s.read('g', b(0, false), t);
  assert.equal(s.wants('g', 22_000), true);
  s.retain(new Set(['g']));
  assert.equal(s.wants('a', 22_000), true); // forgotten: a new VM again
});
