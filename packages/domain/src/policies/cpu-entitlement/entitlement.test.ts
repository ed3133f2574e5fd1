import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  contendedCpuPercent,
  cpuEntitlementPercent,
  cpuLimitPercent,
  cpuSharesFor,
  quotaUsFor,
  reservedCpuPercent,
  sharesForReservation,
} from './entitlement.js';
import { isUnlimitedQuota, TUNE_BOUNDS } from './tune-bounds.js';

test('shares map to cpu_shares per vCPU (ESX: high 2000, normal 1000, low 500), within set-cpu-tune bounds', () => {
  assert.equal(cpuSharesFor('high', 1), 2000);
  assert.equal(cpuSharesFor('normal', 1), 1000);
  assert.equal(cpuSharesFor('low', 1), 500);
  assert.equal(cpuSharesFor('high', 4), 8000);
  assert.equal(cpuSharesFor(300, 2), 600);
  assert.equal(cpuSharesFor(0.4, 1), TUNE_BOUNDS.sharesMin, 'never below the job type minimum');
  assert.equal(cpuSharesFor('high', 200), TUNE_BOUNDS.sharesMax, 'never above the job type maximum');
  assert.equal(cpuSharesFor('high', 8, 10_000), 10_000, "never above the host's maxShares");
  assert.deepEqual([TUNE_BOUNDS.sharesMin, TUNE_BOUNDS.sharesMax, TUNE_BOUNDS.periodMinUs, TUNE_BOUNDS.periodMaxUs], [2, 262144, 1000, 1000000]);
});

test('a limit maps to vcpu_quota per vcpu_period; none (or 100 %) is unlimited', () => {
  assert.equal(quotaUsFor(50, 100_000), 50_000);
  assert.equal(quotaUsFor(25, 200_000), 50_000);
  assert.equal(quotaUsFor(12.345, 100_000), 12_345);
  assert.equal(quotaUsFor(undefined, 100_000), -1);
  assert.equal(quotaUsFor(100, 100_000), -1);
  assert.equal(quotaUsFor(0.1, 100_000), 1000, "libvirt's smallest quota");
  for (const q of [-1, 0, 17_592_186_044_415]) assert.ok(isUnlimitedQuota(q), `${q}`);
  assert.ok(!isUnlimitedQuota(50_000));
  assert.equal(cpuLimitPercent(50, 4), 200);
  assert.equal(cpuLimitPercent(undefined, 4), 400);
  assert.equal(reservedCpuPercent(25, 4), 100);
});

test('2:1 split: a high and a normal VM on one pCPU get two thirds and one third under contention', () => {
  const high = cpuSharesFor('high', 1);
  const normal = cpuSharesFor('normal', 1);
  assert.ok(Math.abs(contendedCpuPercent(high, normal, 1) - 200 / 3) < 1e-9);
  assert.ok(Math.abs(contendedCpuPercent(normal, high, 1) - 100 / 3) < 1e-9);
  // alone, a VM has its pCPUs whatever its weight
  assert.equal(contendedCpuPercent(500, 0, 2), 200);
});

test('a reservation becomes the smallest weight whose contended share holds it', () => {
  // 75 % of one pCPU against 1000 shares: w / (w + 1000) ≥ 0.75 → w ≥ 3000
  assert.equal(sharesForReservation(75, 1, 1000), 3000);
  assert.ok(contendedCpuPercent(3000, 1000, 1) >= 75);
  assert.ok(contendedCpuPercent(2999, 1000, 1) < 75);
  // 150 % of two pCPUs against 3000: ρ = 0.75 → 9000
  assert.equal(sharesForReservation(150, 2, 3000), 9000);
  // rounding up: 1/3 of a pCPU against 1000 → 500
  assert.equal(sharesForReservation(100 / 3, 1, 1000), 500);
  assert.equal(sharesForReservation(0, 1, 1000), 0);
  assert.equal(sharesForReservation(50, 1, 0), 0, 'no competitor: any weight holds it');
  assert.equal(sharesForReservation(100, 1, 1000), Infinity, 'all of a pCPU while another competes: no weight holds it');
});

test('entitlement = demand bounded by reservation and limit', () => {
  const b = { reservedPercent: 50, limitPercent: 150 };
  assert.equal(cpuEntitlementPercent(10, b), 50);
  assert.equal(cpuEntitlementPercent(120, b), 120);
  assert.equal(cpuEntitlementPercent(300, b), 150);
});
