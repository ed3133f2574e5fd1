import assert from 'node:assert/strict';
import { test } from 'node:test';
import { histDelta, parseHistogram, quantile } from './scale-metrics.js';

const scrape = (plan: number[], after: number[]) =>
  [
    '# TYPE ballast_policy_cycle_phase_seconds histogram',
    ...[['0.5', plan[0]], ['1', plan[1]], ['+Inf', plan[1]]].map(([le, c]) => `ballast_policy_cycle_phase_seconds_bucket{le="${le}",service="policy-engine",phase="plan"} ${c}`),
    `ballast_policy_cycle_phase_seconds_sum{service="policy-engine",phase="plan"} ${plan[2]}`,
    `ballast_policy_cycle_phase_seconds_count{service="policy-engine",phase="plan"} ${plan[1]}`,
    ...[['0.5', after[0]], ['1', after[1]], ['+Inf', after[1]]].map(([le, c]) => `ballast_policy_cycle_phase_seconds_bucket{le="${le}",service="policy-engine",phase="after"} ${c}`),
    `ballast_policy_cycle_phase_seconds_sum{service="policy-engine",phase="after"} ${after[2]}`,
    `ballast_policy_cycle_phase_seconds_count{service="policy-engine",phase="after"} ${after[1]}`,
  ].join('\n');

test('a labelled histogram is read one series at a time: each phase its own counts, sum and quantiles', () => {
  const a = scrape([10, 10, 2], [0, 10, 7]);
  const b = scrape([30, 30, 6], [0, 30, 21]);
  const plan = histDelta(parseHistogram(a, 'ballast_policy_cycle_phase_seconds', 'phase="plan"'), parseHistogram(b, 'ballast_policy_cycle_phase_seconds', 'phase="plan"'));
  const after = histDelta(parseHistogram(a, 'ballast_policy_cycle_phase_seconds', 'phase="after"'), parseHistogram(b, 'ballast_policy_cycle_phase_seconds', 'phase="after"'));
  assert.deepEqual([plan.count, plan.sum], [20, 4]);
  assert.deepEqual([after.count, after.sum], [20, 14]);
  assert.ok(quantile(plan, 0.99) <= 0.5);
  assert.ok(quantile(after, 0.99) > 0.5 && quantile(after, 0.99) <= 1);
  // a label that matches no series reads as empty, not as every series together
  assert.equal(parseHistogram(b, 'ballast_policy_cycle_phase_seconds', 'phase="journal"').count, 0);
  assert.equal(parseHistogram(b, 'ballast_policy_cycle_phase_seconds', 'phase="pla"').count, 0);
});
