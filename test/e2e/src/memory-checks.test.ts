// The judge of the lab memory scenarios, on made-up runs: each rule can fail, and what the rules allow passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LAB_RULES, violations } from './memory-checks.js';
import type { DecisionRec, LabSample } from './memory-watch.js';

const T0 = 1_800_000_000_000;
const rules = { ...LAB_RULES, vms: ['a', 'b'] };

/** Samples every 2 s; `a[i]`/`b[i]` = [actual, unused]; the guest reports 1 s before each sample. */
function run(a: [number, number][], b: [number, number][] = a.map(() => [512, 300]), health: Partial<Record<number, string>> = {}): LabSample[] {
  return a.map((x, i) => ({
    atMs: T0 + i * 2000,
    hostFreeMiB: 20000,
    vms: {
      a: { actualMiB: x[0], unusedMiB: x[1], availableMiB: x[0] - 81, statsAtSec: (T0 + i * 2000 - 1000) / 1000 },
      b: { actualMiB: b[i]?.[0] ?? 512, unusedMiB: b[i]?.[1] ?? 300, availableMiB: 431, statsAtSec: (T0 + i * 2000 - 1000) / 1000 },
    },
    health: {
      a: { status: health[i] ?? 'alive', detail: health[i] ? 'Kernel panic - not syncing' : 'ok', oomKills: 0 },
      b: { status: 'alive', detail: 'ok', oomKills: 0 },
    },
  }));
}

const d = (i: number, vm: string, kind: string, inputs: Record<string, unknown> = {}): DecisionRec => ({ atMs: T0 + i * 2000 + 200, vm, kind, reason: kind, inputs, jobs: [] });

test('a clean run has no violation', () => {
  assert.deepEqual(violations(run([[512, 300], [600, 250], [700, 200]]), [], rules), []);
});

test('panic, balloon below 200 MiB, Σ over the budget, host free under the floor: each named', () => {
  const s = run([[512, 300], [190, 100], [512, 300]], [[512, 300], [512, 300], [2600, 300]], { 2: 'panicked' });
  (s[0] as LabSample).hostFreeMiB = 150;
  const v = violations(s, [], rules);
  assert.ok(v.some((x) => /^a: panicked at \+4\.0 s/.test(x)), v.join('\n'));
  assert.ok(v.some((x) => /^a: balloon 190 MiB < 200 MiB/.test(x)), v.join('\n'));
  assert.ok(v.some((x) => /^Σ balloons 3112 MiB > budget 3072 MiB/.test(x)), v.join('\n'));
  assert.ok(v.some((x) => /^host free 150 MiB < floor 200 MiB/.test(x)), v.join('\n'));
});

test('unused below 100 MiB for more than two cycles fails unless the engine said starved', () => {
  const low = run([[512, 300], [512, 90], [512, 80], [512, 70], [512, 60], [512, 50], [512, 300]]);
  assert.ok(violations(low, [], rules).some((x) => /^a: unused \d+ MiB < 100 MiB for 8 s/.test(x)));
  assert.deepEqual(violations(low, [d(1, 'a', 'starved')], rules), []);
  // back within two cycles: fine
  assert.deepEqual(violations(run([[512, 300], [512, 90], [512, 80], [600, 150]]), [], rules), []);
});

test('release steps: a decision over 100 MiB, or a balloon drop no decision explains', () => {
  const v = violations(run([[900, 500], [900, 500]]), [d(0, 'a', 'release', { actualMiB: 900, committedMiB: 900, targetMiB: 780 })], rules);
  assert.ok(v.some((x) => /release decision at .* steps 120 MiB \(900 → 780\) > 90 MiB/.test(x)), v.join('\n'));
  const drop = violations(run([[900, 500], [750, 350]]), [d(0, 'a', 'release', { actualMiB: 900, committedMiB: 900, targetMiB: 810 })], rules);
  assert.ok(drop.some((x) => /^a: balloon fell 150 MiB \(900 → 750\)/.test(x)), drop.join('\n'));
  // a grow in flight lands (701 → 783), then the release decided from 701 to 642: one step of 59 from before the grow
  const release = d(1, 'a', 'release', { actualMiB: 701, committedMiB: 783, targetMiB: 642 });
  assert.deepEqual(violations(run([[701, 588], [783, 671], [642, 600]]), [release], rules), []);
  // from a level the balloon held, the same fall is one step too many
  const held = violations(run([[783, 671], [783, 671], [642, 600]]), [release], rules);
  assert.ok(held.some((x) => /^a: balloon fell 141 MiB \(783 → 642\)/.test(x)), held.join('\n'));
  // two steps of 100 and 95 in one interval, the second decided while the sample was being read (1164 → 1038 in CI)
  const two = run([[1164, 451], [1164, 451], [1038, 352]]);
  const steps = [
    d(1, 'a', 'release', { actualMiB: 1166, committedMiB: 1166, targetMiB: 1066 }),
    { ...d(2, 'a', 'release', { actualMiB: 1066, committedMiB: 1066, targetMiB: 971 }), atMs: T0 + 4000 + 40 },
  ];
  (two[2] as LabSample).doneMs = T0 + 4000 + 300;
  assert.deepEqual(violations(two, steps, rules), []);
  // a decision made after the sample's reads returned cannot be in it: the fall is one step too many
  (two[2] as LabSample).doneMs = T0 + 4000 + 20;
  const late = violations(two, steps, rules);
  assert.ok(late.some((x) => /^a: balloon fell 126 MiB \(1164 → 1038\)/.test(x)), late.join('\n'));
});

test('an OOM kill needs a starved decision in the 30 s before', () => {
  const s = run([[512, 300], [512, 20], [512, 20]]);
  (s[2] as LabSample).health['a'] = { status: 'oom-killed', detail: '1 OOM kill(s)', oomKills: 1 };
  assert.ok(violations(s, [], rules).some((x) => /^a: 1 OOM kill\(s\) seen at \+4\.0 s with no 'starved' decision/.test(x)));
  assert.ok(!violations(s, [d(1, 'a', 'starved')], rules).some((x) => /OOM/.test(x)));
});

test("a guest death is named by libvirt's crash event and by the engine's API state, beside the serial log", () => {
  // the API shows 'a' crashed from sample 1, lab health (serial log / virsh state) only from sample 2
  const s = run([[512, 300], [512, 300], [512, 300]], undefined, { 2: 'panicked' });
  s.forEach((x, i) => (x.apiStates = { a: i >= 1 ? 'crashed' : 'running', b: 'running' }));
  const v = violations(s, [], rules, [{ atMs: T0 + 1500, vm: 'a', detail: 0 }, { atMs: T0 + 1600, vm: 'other', detail: 0 }]);
  assert.ok(v.includes("a: libvirt's crash event at +1.5 s (panicked)"), v.join('\n'));
  assert.ok(v.includes("a: crashed on the engine's API at +2.0 s"), v.join('\n'));
  assert.ok(v.some((x) => /^a: panicked at \+4\.0 s/.test(x)), 'the serial-log check stays');
  assert.ok(!v.some((x) => x.startsWith('other:') || x.startsWith('b:')), v.join('\n'));
  // seen by the API only where lab health says nothing: one line, not one per sample
  s.forEach((x) => (x.apiStates = { a: 'crashed', b: 'running' }));
  const lines = violations(s, [], rules).filter((x) => x.includes("engine's API"));
  assert.deepEqual(lines, ["a: crashed on the engine's API at +0.0 s"]);
});
