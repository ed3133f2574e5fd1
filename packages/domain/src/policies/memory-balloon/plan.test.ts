import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterSnapshot, VmView } from '../../snapshot.js';
import { builtinPolicies } from '../registry.js';
import { defaultMemoryBalloonArgs, type MemoryBalloonArgs } from './args.js';
import { memoryBalloonPolicy } from './index.js';
import { hostKnobsFor, knobsFor } from './knobs.js';
import { planMemoryBalloon, type MemoryPlan, type MemoryVmView } from './plan.js';
import { consuming, host, INTERVAL_MS, NOW_MS, prng, snap, vm, type Sample } from './test-snapshots.js';
import { validateMemoryBalloonArgs } from './validate.js';

/** Args from a partial document (validated, so the defaults are filled as in production). */
function args(doc: unknown = {}): MemoryBalloonArgs {
  const v = validateMemoryBalloonArgs(doc);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.args;
}

function run(s: ClusterSnapshot, a: MemoryBalloonArgs = args()): MemoryPlan {
  const p = planMemoryBalloon(s, a);
  assertInvariants(s, a, p);
  return p;
}

const target = (p: MemoryPlan, name: string): number | undefined => {
  const j = p.jobs.find((x) => x.vmName === name);
  return j?.action.type === 'set-memory' ? j.action.memoryMiB : undefined;
};
const decision = (p: MemoryPlan, name: string) => {
  const d = p.decisions.find((x) => x.vmUuid === `uuid-${name}`);
  assert.ok(d, `no decision for ${name}`);
  return d;
};

/** What a VM is committed to: the target in flight the engine reports (memoryTargetMiB), else its balloon. */
function committed(v: VmView): number {
  const actual = (v.balloon?.actualKiB ?? 0) / 1024;
  const t = (v as MemoryVmView).memoryTargetMiB;
  return typeof t === 'number' && Number.isFinite(t) && t > 0 && Math.abs(t - actual) >= 1 ? t : actual;
}

/**
 * The invariants every plan must keep, whatever the snapshot. Without a target in flight, committed =
 * actual and these are the issue's invariants verbatim; with one, changes are measured from what is
 * committed (a job replaces the one in flight), and a job that only raises a release in flight back up
 * never squeezes the guest more than what is already under way.
 */
function assertInvariants(s: ClusterSnapshot, a: MemoryBalloonArgs, p: MemoryPlan): void {
  const kinds = new Set(['grow', 'release', 'hold', 'starved', 'unmanaged', 'stale', 'warmup', 'protect']);
  assert.equal(p.decisions.length, s.vms.length, 'one decision per VM');
  for (const d of p.decisions) assert.ok(kinds.has(d.kind), `kind ${d.kind}`);
  const jobsByVm = new Map<string, number>();
  for (const j of p.jobs) {
    assert.equal(jobsByVm.has(j.vmUuid), false, 'at most one job per VM');
    assert.equal(j.action.type, 'set-memory');
    if (j.action.type !== 'set-memory') continue;
    jobsByVm.set(j.vmUuid, j.action.memoryMiB);
    const v = s.vms.find((x) => x.uuid === j.vmUuid) as VmView;
    const h = s.hosts.find((x) => x.hostId === v.hostId);
    const { knobs } = knobsFor(a, v);
    const b = v.balloon;
    const t = j.action.memoryMiB;
    assert.ok(b && b.hasGuestStats, `${v.name}: job without guest stats`);
    assert.ok(h && !h.stale, `${v.name}: job on a stale or unknown host`);
    assert.equal(knobs.automation, 'auto', `${v.name}: job while automation is ${knobs.automation}`);
    assert.ok(v.state === 'running' || v.state === 'blocked');
    assert.ok(s.nowMs - b.lastUpdateSec * 1000 <= a.control.staleAfterIntervals * h.intervalMs, `${v.name}: job on stale stats`);
    assert.ok(!v.holds.some((x) => x.resource === 'memory' && x.untilMs > s.nowMs), `${v.name}: job on held memory`);
    const actual = b.actualKiB / 1024;
    const used = actual - b.unusedKiB / 1024;
    const max = b.maximumKiB / 1024;
    const limit = Math.min(knobs.limitMiB ?? max, max);
    const c = committed(v);
    const from = Math.min(c, actual);
    assert.ok(Number.isInteger(t), `${v.name}: target ${t} is not an integer`);
    assert.ok(t >= knobs.reservationMiB, `${v.name}: target ${t} below reservation ${knobs.reservationMiB}`);
    assert.ok(t <= max, `${v.name}: target ${t} above maximum ${max}`);
    assert.ok(Math.abs(t - c) > knobs.hysteresisMiB, `${v.name}: change ${t - c} from ${c} within hysteresis`);
    if (t > actual) {
      assert.equal(j.action.hostBudgetMiB, hostKnobsFor(a, v.hostId).budgetMiB, `${v.name}: a grow carries the host budget`);
      assert.ok(t <= limit, `${v.name}: grow to ${t} above limit ${limit}`);
      assert.ok(t - actual <= knobs.maxGrowMiBPerCycle + 1e-9, `${v.name}: grow ${t - actual} > step`);
    } else {
      assert.ok(t >= used + knobs.minUnusedMiB - 1e-9 || t > c, `${v.name}: release to ${t} below used ${used} + minUnused`);
    }
    if (t < from) {
      const step = Math.min(knobs.maxReleaseMiBPerCycle, (knobs.maxReleasePercent / 100) * actual);
      assert.ok(from - t <= step + 1e-9, `${v.name}: release ${from - t} > step ${step}`);
      const withStats = v.window.filter((e) => e.unusedKiB !== undefined && e.actualKiB !== undefined).length;
      assert.ok(withStats >= a.control.warmupSamples, `${v.name}: released during warm-up`);
    }
    const d = p.decisions.find((x) => x.vmUuid === v.uuid);
    assert.ok(d && ['grow', 'release', 'protect', 'starved'].includes(d.kind), `${v.name}: job with decision ${d?.kind}`);
  }
  for (const h of s.hosts) {
    const hk = hostKnobsFor(a, h.hostId);
    let sumActual = 0;
    let sumTarget = 0;
    let growth = 0;
    let inflight = 0;
    for (const v of s.vms.filter((x) => x.hostId === h.hostId)) {
      if (v.state === 'shutoff' || v.state === 'nostate') continue;
      const actual = (v.balloon?.actualKiB ?? 0) / 1024;
      const job = jobsByVm.get(v.uuid);
      const c = committed(v);
      // a job in flight lands unless this plan's job replaces it
      if (job === undefined) inflight += Math.max(0, c - actual);
      sumActual += Math.max(actual, c);
      sumTarget += job ?? c;
      growth += Math.max(0, (job ?? actual) - actual);
    }
    if (hk.budgetMiB !== undefined) {
      assert.ok(sumTarget <= Math.max(hk.budgetMiB, sumActual) + 1e-6, `${h.hostId}: Σ targets ${sumTarget} > budget ${hk.budgetMiB}`);
      if (growth > 0) assert.ok(sumTarget <= hk.budgetMiB + 1e-6, `${h.hostId}: grows while Σ targets ${sumTarget} > budget`);
    }
    const room = Math.max(0, h.memoryFreeKiB / 1024 - hk.hostFreeFloorMiB - inflight);
    assert.ok(growth <= room + 1e-6, `${h.hostId}: growth ${growth} (+${inflight} in flight) breaks the host free floor`);
  }
}

// ---- args ----------------------------------------------------------------------------------------

test('validate: an empty document gets every default of args.ts', () => {
  const a = args();
  assert.deepEqual(a, defaultMemoryBalloonArgs());
  assert.equal(a.defaults.reservationMiB, 200);
  assert.equal(a.defaults.minUnusedMiB, 100);
  assert.equal(a.defaults.maxUnusedMiB, 300);
  assert.equal(a.defaults.maxGrowMiBPerCycle, 256);
  assert.equal(a.defaults.maxReleaseMiBPerCycle, 100);
  assert.equal(a.defaults.maxReleasePercent, 10);
  assert.equal(a.defaults.hysteresisMiB, 16);
  assert.equal(a.host.hostFreeFloorMiB, 200);
  assert.equal(a.host.idleTaxRate, 0.75);
  assert.equal(a.host.budgetMiB, undefined);
  assert.equal(memoryBalloonPolicy.name, 'memory-balloon');
  assert.deepEqual(builtinPolicies().names().includes('memory-balloon'), true);
});

test('validate: issues name the field path', () => {
  const cases: [unknown, string][] = [
    [{ defaults: { minUnusedMiB: -1 } }, 'defaults.minUnusedMiB'],
    [{ defaults: { shares: 'gold' } }, 'defaults.shares'],
    [{ defaults: { automation: 'yes' } }, 'defaults.automation'],
    [{ defaults: { minUnusedMiB: 300, maxUnusedMiB: 300 } }, 'defaults.maxUnusedMiB'],
    [{ defaults: { reservationMiB: 600, limitMiB: 500 } }, 'defaults.reservationMiB'],
    [{ defaults: { minUnsedMiB: 1 } }, 'defaults.minUnsedMiB'],
    [{ groups: [{ match: {} }] }, 'groups[0].match'],
    [{ groups: [{ shares: 'high' }] }, 'groups[0].match'],
    [{ groups: [{ match: { names: ['a'] } }, { match: { labels: { tier: 1 } } }] }, 'groups[1].match.labels.tier'],
    [{ groups: [{ match: { names: ['a'] }, reservationMiB: 4096 }], defaults: { limitMiB: 2048 } }, 'groups[0].reservationMiB'],
    [{ host: { idleTaxRate: 1 } }, 'host.idleTaxRate'],
    [{ host: { budgetMiB: 0 } }, 'host.budgetMiB'],
    [{ hosts: { h2: { hostFreeFloorMiB: 'x' } } }, 'hosts.h2.hostFreeFloorMiB'],
    [{ control: { trendSamples: 1 } }, 'control.trendSamples'],
    [{ labels: { db: { tier: 3 } } }, 'labels.db.tier'],
    ['nope', ''],
  ];
  for (const [doc, field] of cases) {
    const v = validateMemoryBalloonArgs(doc);
    assert.equal(v.ok, false, JSON.stringify(doc));
    if (!v.ok) assert.ok(v.issues.some((i) => i.field === field), `${JSON.stringify(doc)} → ${JSON.stringify(v.issues)}`);
  }
});

test('groups: later groups override earlier ones; labels come from the document', () => {
  const a = args({
    labels: { db: { tier: 'gold' } },
    groups: [
      { match: { labels: { tier: 'gold' } }, shares: 'high', reservationMiB: 400 },
      { match: { names: ['db'] }, reservationMiB: 300 },
    ],
  });
  assert.deepEqual(knobsFor(a, { uuid: 'u1', name: 'db' }).knobs.shares, 'high');
  assert.equal(knobsFor(a, { uuid: 'u1', name: 'db' }).knobs.reservationMiB, 300);
  assert.equal(knobsFor(a, { uuid: 'u2', name: 'web' }).knobs.shares, 'normal');
});

// ---- growing -------------------------------------------------------------------------------------

test('grow: a VM under minUnused grows to used + the middle of the band, within the grow step', () => {
  const cases = [
    // actual, unused → expected target
    { actual: 512, unused: 50, want: 512 - 50 + 200 }, // 662
    { actual: 512, unused: 0, want: 512 + 200 }, // 712
    { actual: 1000, unused: 10, want: 1000 + 190 },
    { actual: 512, unused: 0, maxGrow: 100, want: 612 }, // step-limited
    { actual: 1900, unused: 0, want: 2048 }, // limited by the domain maximum
  ];
  for (const c of cases) {
    const a = args({ defaults: c.maxGrow ? { maxGrowMiBPerCycle: c.maxGrow } : {} });
    const p = run(snap([vm('a', { actualMiB: c.actual, unusedMiB: c.unused })]), a);
    assert.equal(target(p, 'a'), c.want, JSON.stringify(c));
    assert.equal(decision(p, 'a').kind, 'grow');
  }
});

test('grow: falling unused memory grows before it crosses minUnused (trend × lookahead)', () => {
  // unused 250 MiB now, falling 20 MiB/s: 90 MiB in 8 s → grow now.
  const falling = run(snap([vm('a', { history: consuming(600, 250, 20) })]));
  const t = target(falling, 'a');
  assert.ok(t !== undefined && t > 600, `falling: ${t}`);
  assert.match(decision(falling, 'a').reason, /falls at 20 MiB\/s/);
  // the same unused memory, flat: nothing to do
  const flat = run(snap([vm('a', { actualMiB: 600, unusedMiB: 250 })]));
  assert.equal(target(flat, 'a'), undefined);
  assert.equal(decision(flat, 'a').kind, 'hold');
  // without lookahead the falling VM is not grown yet
  const noLook = run(snap([vm('a', { history: consuming(600, 250, 20) })]), args({ control: { lookaheadMs: 0 } }));
  assert.equal(target(noLook, 'a'), undefined);
});

test('grow: a VM below its reservation grows to it; no target is ever below the reservation', () => {
  const p = run(snap([vm('a', { actualMiB: 150, unusedMiB: 120 })]));
  assert.ok((target(p, 'a') ?? 0) >= 200);
  // a tiny donor is not released below 200 MiB
  const a = args({ defaults: { minUnusedMiB: 20, maxUnusedMiB: 100 } });
  const q = run(snap([vm('b', { actualMiB: 210, unusedMiB: 190 }), vm('c', { actualMiB: 260, unusedMiB: 240 })]), a);
  assert.equal(target(q, 'b'), undefined);
  assert.equal(target(q, 'c'), 234); // 10 % step of 260, above 200
});

test('grow: a limit from a group caps growth; at the limit the VM is reported starved', () => {
  const a = args({ groups: [{ match: { names: ['a'] }, limitMiB: 600 }] });
  const p = run(snap([vm('a', { actualMiB: 512, unusedMiB: 20 })]), a);
  assert.equal(target(p, 'a'), 600);
  const q = run(snap([vm('a', { actualMiB: 600, unusedMiB: 20 })]), a);
  assert.equal(target(q, 'a'), undefined);
  assert.equal(decision(q, 'a').kind, 'starved');
  assert.match(decision(q, 'a').reason, /limit/);
});

// ---- releasing -----------------------------------------------------------------------------------

test('release: donors release gradually, never more than the step, never below used + minUnused', () => {
  const cases = [
    // actual, unused → target: step = min(100, 10 % of actual); goal used + 200
    { actual: 512, unused: 400, want: 461 }, // step 51.2 → ceil(460.8)
    { actual: 2048, unused: 1800, want: 1948 }, // step 100
    { actual: 800, unused: 320, want: 720 }, // step 80 binds before the goal used + 200 = 680
  ];
  for (const c of cases) {
    const p = run(snap([vm('a', { actualMiB: c.actual, unusedMiB: c.unused })]));
    assert.equal(target(p, 'a'), c.want, JSON.stringify(c));
    assert.equal(decision(p, 'a').kind, 'release');
  }
  // with a large step the release stops at used + 200 (the middle of the band)
  const p = run(snap([vm('a', { actualMiB: 1000, unusedMiB: 310 })]), args({ defaults: { maxReleaseMiBPerCycle: 500, maxReleasePercent: 50 } }));
  assert.equal(target(p, 'a'), 890);
  // with maxReleasePercent 2 the step is 20 MiB
  const q = run(snap([vm('a', { actualMiB: 1000, unusedMiB: 900 })]), args({ defaults: { maxReleasePercent: 2 } }));
  assert.equal(target(q, 'a'), 980);
});

test('hysteresis: targets within ±16 MiB of the balloon produce no job; the band holds', () => {
  const cases = [
    { actual: 512, unused: 150, job: false }, // in band
    { actual: 512, unused: 299, job: false }, // in band
    { actual: 512, unused: 101, job: false }, // in band, flat
    { actual: 512, unused: 310, job: true }, // donor: releases a step
    { actual: 512, unused: 95, job: true }, // under min: grows 105
  ];
  for (const c of cases) {
    const p = run(snap([vm('a', { actualMiB: c.actual, unusedMiB: c.unused })]));
    assert.equal(target(p, 'a') !== undefined, c.job, JSON.stringify(c));
  }
  // a release step of 15.4 MiB (3 % of 512) is within the hysteresis: no job; with a hysteresis of 10 it is made
  const small = run(snap([vm('a', { actualMiB: 512, unusedMiB: 400 })]), args({ defaults: { maxReleasePercent: 3 } }));
  assert.equal(target(small, 'a'), undefined);
  assert.equal(decision(small, 'a').kind, 'hold');
  const tight = run(snap([vm('a', { actualMiB: 512, unusedMiB: 400 })]), args({ defaults: { maxReleasePercent: 3, hysteresisMiB: 10 } }));
  assert.equal(target(tight, 'a'), 497);
  // a grow capped 8 MiB above the balloon by the limit is not made either
  const capped = run(snap([vm('a', { actualMiB: 512, unusedMiB: 20 })]), args({ defaults: { limitMiB: 520 } }));
  assert.equal(target(capped, 'a'), undefined);
});

/** A closed loop with a toy guest: used memory follows usedAt(cycle); targets apply one cycle late. */
function closedLoop(usedAt: (cycle: number) => number, cycles: number, a = args(), startMiB = 512) {
  let actual = startMiB;
  let pending: number | undefined;
  const history: Sample[] = [];
  const jobs: number[] = [];
  let starved = 0;
  for (let c = 0; c < cycles; c++) {
    if (pending !== undefined) actual = pending;
    pending = undefined;
    const used = usedAt(c);
    const unused = Math.max(0, actual - used);
    if (unused < 100) starved++;
    history.push({ actualMiB: actual, unusedMiB: unused });
    const nowMs = NOW_MS + c * INTERVAL_MS;
    const v = vm('a', { history: history.slice(-30) });
    v.window = v.window.map((e) => ({ ...e, takenAtMs: e.takenAtMs + c * INTERVAL_MS }));
    if (v.balloon) v.balloon.lastUpdateSec = Math.floor(nowMs / 1000);
    const s = snap([v], [host('h1', 16384, { lastSampleMs: nowMs })], nowMs);
    const p = run(s, a);
    const t = target(p, 'a');
    jobs.push(t === undefined ? 0 : Math.sign(t - actual));
    pending = t;
  }
  return { jobs, starved, actual };
}

test('no flapping: a steady guest with noisy use settles and stays put', () => {
  const rnd = prng(7);
  const noise = Array.from({ length: 60 }, () => (rnd() * 2 - 1) * 25);
  const r = closedLoop((c) => 150 + (noise[c] ?? 0), 60, args(), 1024);
  const moves = r.jobs.filter((j) => j !== 0);
  assert.ok(moves.length >= 4 && moves.length <= 12, `moves ${moves.length}`);
  assert.ok(moves.every((j) => j < 0), `only releases: ${r.jobs.join(',')}`);
  assert.deepEqual(r.jobs.slice(30), new Array(30).fill(0), 'no job once settled');
  assert.ok(r.actual < 450 && r.actual >= 250, `settled at ${r.actual}`);
});

test('a consuming guest (20 MiB/s) is kept above minUnused thanks to the lookahead', () => {
  const usedAt = (c: number): number => Math.min(1500, 150 + 40 * c);
  const withTrend = closedLoop(usedAt, 45);
  const without = closedLoop(usedAt, 45, args({ control: { lookaheadMs: 0 } }));
  assert.ok(withTrend.starved <= 1, `starved ${withTrend.starved} cycles`);
  assert.ok(without.starved > withTrend.starved + 5, `no lookahead starves more: ${without.starved}`);
});

// ---- host arbitration ----------------------------------------------------------------------------

/** Grower c (asks +150: minimum +50, lean +66) plus two possible donors a (ρ-wise active) and b (idle). */
function pressureSnapshot(budgetSlackMiB: number): { s: ClusterSnapshot; budget: number } {
  const vms = [vm('a', { actualMiB: 1000, unusedMiB: 250 }), vm('b', { actualMiB: 400, unusedMiB: 250 }), vm('c', { actualMiB: 500, unusedMiB: 50 })];
  return { s: snap(vms), budget: 1900 + budgetSlackMiB };
}

test('donor choice: under budget pressure the lowest shares per active page gives first (shares and idle tax)', () => {
  const cases = [
    // a: 10 shares/MiB, 75 % active; b: 12 shares/MiB, 37.5 % active
    { tax: 0, donor: 'a', why: 'no idle tax: a has fewer shares' },
    { tax: 0.75, donor: 'b', why: 'idle tax: b is mostly idle' },
  ];
  for (const c of cases) {
    const { s, budget } = pressureSnapshot(36); // lean target +66 (used 450 + 100 + 16), 36 free in the budget → 30 short
    const a = args({ host: { budgetMiB: budget, idleTaxRate: c.tax }, groups: [{ match: { names: ['b'] }, shares: 12 }] });
    const p = run(s, a);
    assert.equal(target(p, 'c'), 566, c.why);
    // the grow carries the budget: the actuator applies it once the donor's release has landed
    const cj = p.jobs.find((j) => j.vmName === 'c');
    assert.ok(cj?.action.type === 'set-memory' && cj.action.hostBudgetMiB === budget, JSON.stringify(cj?.action));
    const other = c.donor === 'a' ? 'b' : 'a';
    const actual = c.donor === 'a' ? 1000 : 400;
    assert.equal(target(p, c.donor), actual - 30, c.why);
    assert.equal(target(p, other), undefined, c.why);
    assert.equal(decision(p, c.donor).kind, 'release');
    assert.match(decision(p, c.donor).reason, /reclaimed under host pressure/);
    // next cycle, both jobs in flight: nothing more is asked of anyone
    for (const v of s.vms) {
      const t = target(p, v.name);
      if (t !== undefined) v.memoryTargetMiB = t;
    }
    const next = run(s, a);
    assert.equal(next.jobs.length, 0, JSON.stringify(next.jobs));
  }
  // shares: with the same activity the low-shares VM gives first
  const vms = [vm('hi', { actualMiB: 600, unusedMiB: 250 }), vm('lo', { actualMiB: 600, unusedMiB: 250 }), vm('c', { actualMiB: 500, unusedMiB: 50 })];
  const a = args({
    host: { budgetMiB: 1700 + 36 },
    groups: [
      { match: { names: ['hi'] }, shares: 'high' },
      { match: { names: ['lo'] }, shares: 'low' },
    ],
  });
  const p = run(snap(vms), a);
  assert.equal(target(p, 'lo'), 570);
  assert.equal(target(p, 'hi'), undefined);
  assert.equal(target(p, 'c'), 566);
  // with room for the whole request nothing is reclaimed: the lean target is what pressure funds
  const roomy = run(snap(vms), args({ host: { budgetMiB: 1700 + 150 } }));
  assert.equal(target(roomy, 'c'), 650);
  assert.equal(roomy.jobs.length, 1);
});

test('budget: Σ targets stay within budgetMiB; background releases fund grants', () => {
  // donor d releases 51 (10 % of 512) in the background; grower g asks +150; budget has 100 spare.
  const vms = [vm('d', { actualMiB: 512, unusedMiB: 450 }), vm('g', { actualMiB: 500, unusedMiB: 50 })];
  const p = run(snap(vms), args({ host: { budgetMiB: 1012 + 100 } }));
  assert.equal(target(p, 'd'), 461);
  assert.equal(target(p, 'g'), 650);
  // releases carry no budget; grows do
  const dj = p.jobs.find((j) => j.vmName === 'd');
  assert.ok(dj?.action.type === 'set-memory' && dj.action.hostBudgetMiB === undefined);
  // without a budget a grow carries none
  const nb = run(snap(vms)).jobs.find((j) => j.vmName === 'g');
  assert.ok(nb?.action.type === 'set-memory' && nb.action.hostBudgetMiB === undefined);
  // over budget (budget lowered): only releases, down toward the budget
  const q = run(snap([vm('x', { actualMiB: 1000, unusedMiB: 250 }), vm('y', { actualMiB: 1000, unusedMiB: 250 })]), args({ host: { budgetMiB: 1900 } }));
  const sum = (target(q, 'x') ?? 1000) + (target(q, 'y') ?? 1000);
  assert.ok(sum <= 1900, `Σ ${sum}`);
});

test('host free floor: grants never take host free memory below hostFreeFloorMiB', () => {
  const vms = [vm('g', { actualMiB: 500, unusedMiB: 50 })];
  const p = run(snap(vms, [host('h1', 200 + 80)])); // 80 MiB above the floor; g asks +150
  assert.equal(target(p, 'g'), 580);
  assert.equal(decision(p, 'g').kind, 'grow'); // 580 ≥ used 450 + 100: minimum met
  const q = run(snap(vms, [host('h1', 200 + 10)]));
  assert.equal(target(q, 'g'), undefined);
  assert.equal(decision(q, 'g').kind, 'starved');
  const r = run(snap(vms, [host('h1', 900)]), args({ host: { hostFreeFloorMiB: 890 } }));
  assert.equal(target(r, 'g'), undefined);
  // a sliver of a grant on a fractional balloon never rounds down into a release (found by the property test)
  const frac = run(snap([vm('g', { actualMiB: 272.8, unusedMiB: 2.7 })], [host('h1', 200.1)]), args({ defaults: { hysteresisMiB: 0 } }));
  assert.equal(frac.jobs.length, 0);
  assert.equal(decision(frac, 'g').kind, 'starved');
});

test('starved: when nobody can give, the VM is reported starved and no guest is squeezed', () => {
  // both grow-hungry, both at used + minUnused or below: no donors
  const vms = [vm('a', { actualMiB: 800, unusedMiB: 30 }), vm('b', { actualMiB: 800, unusedMiB: 100 }), vm('c', { actualMiB: 800, unusedMiB: 40 })];
  const p = run(snap(vms), args({ host: { budgetMiB: 2400 } }));
  assert.equal(p.jobs.length, 0);
  assert.equal(decision(p, 'a').kind, 'starved');
  assert.equal(decision(p, 'c').kind, 'starved');
  assert.notEqual(decision(p, 'b').kind, 'release');
  // a partial grant that reaches the minimum is a grow; the rest of the grant goes in order
  const q = run(snap(vms), args({ host: { budgetMiB: 2400 + 150 } }));
  // minimums first (a +70 to 870, c +60 to 860), then the 20 left of the lean level shared by size: c to
  // 870 first, then both to 875
  assert.equal(target(q, 'a'), 875);
  assert.equal(target(q, 'c'), 875);
  assert.equal(decision(q, 'a').kind, 'grow');
  assert.equal(decision(q, 'c').kind, 'grow');
  assert.match(decision(q, 'c').reason, /asked 960 MiB/);
  // four equal guests past a budget end at equal sizes, whatever their names
  const four = ['w', 'x', 'y', 'z'].map((n) => vm(n, { actualMiB: 700, unusedMiB: 20 }));
  const f = run(snap(four), args({ host: { budgetMiB: 2800 + 200 } }));
  for (const n of ['w', 'x', 'y', 'z']) assert.equal(target(f, n), 750, n);
});

test('priority: higher shares are granted first when the host is short', () => {
  // 'vip' sorts after 'iron' by name: only its shares put it first
  const vms = [vm('iron', { actualMiB: 500, unusedMiB: 20 }), vm('vip', { actualMiB: 500, unusedMiB: 20 })];
  const a = args({ host: { budgetMiB: 1000 + 90 }, groups: [{ match: { names: ['vip'] }, shares: 'high' }] });
  const p = run(snap(vms), a);
  assert.equal(target(p, 'vip'), 580);
  assert.equal(target(p, 'iron'), undefined); // 10 MiB left: within the hysteresis
  assert.equal(decision(p, 'iron').kind, 'starved');
});

test('a grow still in flight (memoryTargetMiB from the engine) counts against the budget and host free memory', () => {
  const a = vm('a', { actualMiB: 600, unusedMiB: 200 }) as MemoryVmView;
  a.memoryTargetMiB = 700; // +100 still coming
  const vms = [a, vm('b', { actualMiB: 500, unusedMiB: 50 })];
  const p = run(snap(vms), args({ host: { budgetMiB: 1100 + 150 } }));
  assert.equal(target(p, 'b'), 550); // 150 spare − 100 in flight
  assert.equal(decision(p, 'b').inputs.inflightGrowMiB, 100);
  const q = run(snap(vms, [host('h1', 200 + 110)]));
  assert.equal(target(q, 'b'), undefined); // 110 above the floor − 100 in flight = 10 → within the hysteresis
  // a grower whose own grow is in flight is not granted twice
  const b = vm('b', { actualMiB: 500, unusedMiB: 50 }) as MemoryVmView;
  b.memoryTargetMiB = 650;
  const r = run(snap([b]), args({ host: { budgetMiB: 500 } }));
  assert.equal(r.jobs.length, 0);
  assert.equal(decision(r, 'b').kind, 'grow');
  assert.match(decision(r, 'b').reason, /in flight/);
  // a release in flight is where the next release step starts (one step a cycle despite the queue's lag)
  const d = vm('d', { actualMiB: 1000, unusedMiB: 800 }) as MemoryVmView;
  d.memoryTargetMiB = 900;
  assert.equal(target(run(snap([d])), 'd'), 800); // step 100 (10 % of the balloon's 1000) from 900
  // a release in flight that now goes too deep (the guest's use rose) is trimmed back to the floor
  const e = vm('e', { actualMiB: 1000, unusedMiB: 250 }) as MemoryVmView; // used 750: floor 850
  e.memoryTargetMiB = 760;
  const te = run(snap([e]));
  assert.equal(target(te, 'e'), 850);
  assert.match(decision(te, 'e').reason, /trimmed to 850/);
  // without the input the same snapshot grants the full 150
  delete a.memoryTargetMiB;
  assert.equal(target(run(snap(vms), args({ host: { budgetMiB: 1100 + 150 } })), 'b'), 650);
  // a release in flight counts as done: it lands (unless trimmed), so it funds grants
  const c = vm('c', { actualMiB: 600, unusedMiB: 250 }) as MemoryVmView; // used 350: floor 450 < 500
  c.memoryTargetMiB = 500;
  const both = () => [c, vm('b', { actualMiB: 500, unusedMiB: 50 })];
  const fixed = args({ host: { budgetMiB: 1000 + 150 }, groups: [{ match: { names: ['c'] }, maxReleasePercent: 0 }] }); // c gives nothing more
  assert.equal(target(run(snap(both()), fixed), 'b'), 650);
  delete c.memoryTargetMiB;
  assert.equal(target(run(snap(both()), fixed), 'b'), 550);
});

// ---- data quality --------------------------------------------------------------------------------

test('stale and unmanaged VMs get no job and say why', () => {
  const cases: [VmView, string, RegExp][] = [
    [vm('old', { actualMiB: 512, unusedMiB: 10, statsAgeSec: 30 }), 'stale', /s old/],
    [vm('nostats', { actualMiB: 512, unusedMiB: 10, guestStats: false }), 'unmanaged', /no guest balloon stats/],
    [vm('noballoon', { noBalloon: true }), 'unmanaged', /no balloon/],
    [vm('paused', { actualMiB: 512, unusedMiB: 10, state: 'paused' }), 'unmanaged', /paused/],
    [vm('held', { actualMiB: 512, unusedMiB: 10, holds: [{ resource: 'memory', untilMs: NOW_MS + 1000 }] }), 'hold', /manual job/],
  ];
  for (const [v, kind, why] of cases) {
    const p = run(snap([v]));
    assert.equal(p.jobs.length, 0, v.name);
    assert.equal(decision(p, v.name).kind, kind, v.name);
    assert.match(decision(p, v.name).reason, why, v.name);
  }
  // stopped reporting after it did: stale, not unmanaged
  const stopped = vm('stopped', { actualMiB: 512, unusedMiB: 10 });
  if (stopped.balloon) stopped.balloon.hasGuestStats = false;
  assert.equal(decision(run(snap([stopped])), 'stopped').kind, 'stale');
  // a stale host: every VM stale
  const p = run(snap([vm('a', { actualMiB: 512, unusedMiB: 10 })], [host('h1', 8000, { stale: true })]));
  assert.equal(p.jobs.length, 0);
  assert.equal(decision(p, 'a').kind, 'stale');
  // fresh within 3 intervals (6 s): managed
  assert.equal(decision(run(snap([vm('a', { actualMiB: 512, unusedMiB: 10, statsAgeSec: 5 })])), 'a').kind, 'grow');
});

test('automation per group: off is unmanaged, recommend decides without a job', () => {
  const a = args({
    groups: [
      { match: { names: ['off'] }, automation: 'off' },
      { match: { names: ['rec'] }, automation: 'recommend' },
    ],
  });
  const p = run(snap([vm('off', { actualMiB: 512, unusedMiB: 10 }), vm('rec', { actualMiB: 512, unusedMiB: 10 }), vm('on', { actualMiB: 512, unusedMiB: 10 })]), a);
  assert.deepEqual(p.jobs.map((j) => j.vmName), ['on']);
  assert.equal(decision(p, 'off').kind, 'unmanaged');
  assert.equal(decision(p, 'rec').kind, 'grow');
  assert.match(decision(p, 'rec').reason, /recommend: not applied/);
  assert.equal(decision(p, 'rec').inputs.targetMiB, 702);
});

test('warm-up: a new or just-migrated VM (short window) grows if needed but is not released', () => {
  const donor = run(snap([vm('new', { actualMiB: 1024, unusedMiB: 800, samples: 2 })]));
  assert.equal(target(donor, 'new'), undefined);
  assert.equal(decision(donor, 'new').kind, 'warmup');
  const hungry = run(snap([vm('new', { actualMiB: 512, unusedMiB: 30, samples: 1 })]));
  assert.equal(target(hungry, 'new'), 682);
  // not a donor under pressure either
  const vms = [vm('new', { actualMiB: 1024, unusedMiB: 250, samples: 3 }), vm('g', { actualMiB: 500, unusedMiB: 50 })];
  const p = run(snap(vms), args({ host: { budgetMiB: 1524 + 50 } }));
  assert.equal(target(p, 'new'), undefined);
  assert.equal(target(p, 'g'), 550);
  // the same VM with a full window gives
  const q = run(snap([vm('new', { actualMiB: 1024, unusedMiB: 800, samples: 5 })]));
  assert.equal(target(q, 'new'), 924);
});

// ---- over-reclaim feedback -----------------------------------------------------------------------

/** A release 600 → 540 at sample 5, then swap-in and major faults jump. */
function overReclaimHistory(afterRelease: number, faultsAfter = true): Sample[] {
  const h: Sample[] = [];
  for (let i = 0; i < 5; i++) h.push({ actualMiB: 600, unusedMiB: 400, majorFaults: 100 + i, swapInKiB: 0 });
  for (let i = 0; i < afterRelease; i++) {
    const bump = faultsAfter ? 2000 * (i + 1) : 0;
    h.push({ actualMiB: 540, unusedMiB: 340, majorFaults: 105 + i + bump / 4, swapInKiB: bump });
  }
  return h;
}

test('feedback: faults rising after a release grow the VM back and protect it from release', () => {
  const p = run(snap([vm('a', { history: overReclaimHistory(2) })]));
  assert.equal(target(p, 'a'), 600);
  assert.equal(decision(p, 'a').kind, 'protect');
  assert.match(decision(p, 'a').reason, /faults rose after a release/);
  // grown back, still a donor by its unused memory, but protected: no release during the cool-down
  const h = overReclaimHistory(2);
  h.push({ actualMiB: 600, unusedMiB: 400, majorFaults: 1200, swapInKiB: 4000 });
  h.push({ actualMiB: 600, unusedMiB: 400, majorFaults: 1200, swapInKiB: 4000 });
  const q = run(snap([vm('a', { history: h })]));
  assert.equal(target(q, 'a'), undefined);
  assert.equal(decision(q, 'a').kind, 'protect');
  // without the fault rise the same window is an ordinary donor
  const r = run(snap([vm('a', { history: overReclaimHistory(2, false) })]));
  assert.equal(target(r, 'a'), 486);
  // after the cool-down (10 intervals after the rise) releases resume
  const later = [...h];
  for (let i = 0; i < 10; i++) later.push({ actualMiB: 600, unusedMiB: 400, majorFaults: 1200, swapInKiB: 4000 });
  const s = run(snap([vm('a', { history: later })]));
  assert.equal(target(s, 'a'), 540);
  assert.equal(decision(s, 'a').kind, 'release');
});

test('a swapping guest (no release involved) grows fast', () => {
  const h: Sample[] = Array.from({ length: 6 }, (_, i) => ({ actualMiB: 700, unusedMiB: 120, swapInKiB: i * 4096, majorFaults: i * 1024 }));
  const p = run(snap([vm('a', { history: h })]));
  assert.equal(target(p, 'a'), 956);
  assert.match(decision(p, 'a').reason, /swapping in/);
});

// ---- property test -------------------------------------------------------------------------------

function randomSnapshot(rnd: () => number): { s: ClusterSnapshot; a: MemoryBalloonArgs } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const between = (lo: number, hi: number): number => lo + rnd() * (hi - lo);
  const hosts = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, i) => host(`h${i}`, Math.round(between(0, 6000)), { stale: rnd() < 0.05 }));
  const vms: VmView[] = [];
  let n = 0;
  for (const h of hosts) {
    const count = 1 + Math.floor(rnd() * 10);
    for (let i = 0; i < count; i++) {
      const max = pick([512, 1024, 2048, 4096]);
      const samples = Math.floor(between(0, 14));
      const history: Sample[] = [];
      let actual = Math.round(between(100, max) * 1024) / 1024;
      let faults = 0;
      let swap = 0;
      for (let k = 0; k <= samples; k++) {
        if (rnd() < 0.3) actual = Math.min(max, Math.max(64, actual + between(-150, 150)));
        faults += rnd() < 0.2 ? between(0, 5000) : 0;
        swap += rnd() < 0.2 ? between(0, 20000) : 0;
        history.push({ actualMiB: actual, unusedMiB: Math.round(between(0, Math.max(0, actual - 20)) * 1024) / 1024, majorFaults: Math.floor(faults), swapInKiB: Math.floor(swap) });
      }
      const v: MemoryVmView = vm(`vm${n++}`, {
          hostId: rnd() < 0.03 ? 'ghost' : h.hostId,
          maxMiB: max,
          history,
          state: rnd() < 0.9 ? 'running' : pick(['paused', 'shutoff', 'blocked', 'crashed'] as const),
          guestStats: rnd() < 0.93,
          noBalloon: rnd() < 0.03,
          statsAgeSec: rnd() < 0.9 ? Math.floor(between(0, 5)) : Math.floor(between(5, 60)),
          holds: rnd() < 0.05 ? [{ resource: 'memory', untilMs: NOW_MS + 5000 }] : [],
        });
      if (rnd() < 0.2) v.memoryTargetMiB = Math.round(between(64, max));
      vms.push(v);
    }
  }
  const sumActual = vms.reduce((s, v) => s + (v.balloon?.actualKiB ?? 0) / 1024, 0);
  const minUnused = Math.round(between(0, 200));
  const doc = {
    defaults: {
      minUnusedMiB: minUnused,
      maxUnusedMiB: minUnused + 40 + Math.round(between(0, 400)),
      hysteresisMiB: Math.round(between(0, 19)),
      maxGrowMiBPerCycle: Math.round(between(1, 400)),
      maxReleaseMiBPerCycle: Math.round(between(0, 200)),
      maxReleasePercent: Math.round(between(0, 30)),
      reservationMiB: Math.round(between(0, 400)),
    },
    groups: vms
      .filter(() => rnd() < 0.2)
      .map((v) => ({ match: { names: [v.name] }, shares: pick(['high', 'normal', 'low', 7] as const), automation: pick(['auto', 'auto', 'recommend', 'off'] as const), ...(rnd() < 0.3 ? { limitMiB: 800 } : {}) })),
    host: { hostFreeFloorMiB: Math.round(between(0, 500)), idleTaxRate: between(0, 0.99), ...(rnd() < 0.7 ? { budgetMiB: Math.max(1, Math.round(sumActual * between(0.4, 1.4) / hosts.length)) } : {}) },
    control: { warmupSamples: Math.floor(between(0, 8)), lookaheadMs: Math.round(between(0, 20000)) },
  };
  const v = validateMemoryBalloonArgs(doc);
  if (!v.ok) return { s: snap(vms, hosts), a: args() };
  return { s: snap(vms, hosts), a: v.args };
}

test('property: 2000 random snapshots never break an invariant', () => {
  const rnd = prng(20240611);
  let jobs = 0;
  let grows = 0;
  let releases = 0;
  const kinds = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const { s, a } = randomSnapshot(rnd);
    const p = planMemoryBalloon(s, a);
    try {
      assertInvariants(s, a, p);
    } catch (e) {
      throw new Error(`snapshot #${i}: ${(e as Error).message}`);
    }
    assert.deepEqual(planMemoryBalloon(s, a), p, 'deterministic');
    jobs += p.jobs.length;
    for (const d of p.decisions) kinds.add(d.kind);
    for (const j of p.jobs) {
      const v = s.vms.find((x) => x.uuid === j.vmUuid);
      if (j.action.type !== 'set-memory' || !v?.balloon) continue;
      if (j.action.memoryMiB > v.balloon.actualKiB / 1024) grows++;
      else releases++;
    }
  }
  // the generator must exercise both directions, or the test proves little
  assert.ok(grows > 100 && releases > 100, `grows ${grows}, releases ${releases}, jobs ${jobs}`);
  assert.deepEqual([...kinds].sort(), ['grow', 'hold', 'protect', 'release', 'stale', 'starved', 'unmanaged', 'warmup']);
});
