import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VmConfig } from '../../host-report.js';
import type { VmView } from '../../snapshot.js';
import { knobsFor } from './knobs.js';
import { planMemoryBalloon } from './plan.js';
import { snap, vm } from './test-snapshots.js';
import { validateMemoryBalloonArgs } from './validate.js';
import type { MemoryBalloonArgs } from './args.js';

const PLAIN: VmConfig = { labels: {}, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: [] };

function withConfig(v: VmView, c: Partial<VmConfig>): VmView {
  return { ...v, config: { ...PLAIN, ...c } };
}

function args(doc: unknown = {}): MemoryBalloonArgs {
  const v = validateMemoryBalloonArgs(doc);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.args;
}

test('VMs that cannot be ballooned safely are unmanaged, with the reason, and get no job', () => {
  const hungry = { actualMiB: 512, unusedMiB: 10 };
  const cases: [Partial<VmConfig>, RegExp][] = [
    [{ memoryLocked: true }, /locked/],
    [{ hugepages: true }, /huge pages/],
    [{ hostdevCount: 2 }, /2 passed-through device/],
    [{ balloonModel: 'none' }, /balloon device model 'none'/],
    [{ balloonModel: '' }, /no balloon device/],
  ];
  for (const [c, why] of cases) {
    const p = planMemoryBalloon(snap([withConfig(vm('x', hungry), c)]), args());
    assert.equal(p.jobs.length, 0, JSON.stringify(c));
    assert.equal(p.decisions[0]?.kind, 'unmanaged', JSON.stringify(c));
    assert.match(p.decisions[0]?.reason ?? '', why);
  }
  // a plain virtio guest with the same figures is managed (grows)
  const ok = planMemoryBalloon(snap([withConfig(vm('x', hungry), {})]), args());
  assert.equal(ok.decisions[0]?.kind, 'grow');
  assert.equal(ok.jobs.length, 1);
});

test("labels from the domain's metadata select groups; the policy document's labels override them", () => {
  const a = args({ groups: [{ match: { labels: { tier: 'gold' } }, shares: 'high', name: 'gold' }], labels: { 'vm-b': { tier: 'bronze' } } });
  const va = withConfig(vm('vm-a'), { labels: { tier: 'gold' } });
  const vb = withConfig(vm('vm-b'), { labels: { tier: 'gold' } });
  assert.deepEqual(knobsFor(a, va).groups, ['gold']);
  assert.equal(knobsFor(a, va).knobs.shares, 'high');
  assert.deepEqual(knobsFor(a, vb).groups, []);
  assert.deepEqual(knobsFor(a, vm('vm-c')).groups, []);
});

test('deflate-on-oom guests: used memory is actual − unused (their MemTotal does not follow the balloon)', () => {
  // 400 MiB used throughout; the balloon went 600 → 700 and the guest has reported since. MemTotal stays
  // at 2048 − 81 MiB whatever the balloon, so the overhead read at 600 would make the use look 100 MiB lower.
  const history = [...Array.from({ length: 8 }, () => ({ actualMiB: 600, unusedMiB: 200 })), { actualMiB: 700, unusedMiB: 300 }];
  const build = (deflateOnOom: boolean): VmView => {
    const v = withConfig(vm('d', { history }), { deflateOnOom });
    v.window = v.window.map((e) => ({ ...e, availableKiB: (2048 - 81) * 1024, statsAtSec: Math.floor(e.takenAtMs / 1000) }));
    if (v.balloon) v.balloon.availableKiB = (2048 - 81) * 1024;
    return v;
  };
  assert.equal(planMemoryBalloon(snap([build(true)]), args()).decisions[0]?.inputs['usedMiB'], 400);
  // (the same window read as a guest whose MemTotal follows the balloon would give 300)
  assert.equal(planMemoryBalloon(snap([build(false)]), args()).decisions[0]?.inputs['usedMiB'], 300);
});
