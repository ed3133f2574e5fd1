import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VmView } from '../../snapshot.js';
import { builtinPolicies } from '../registry.js';
import { defaultMemoryBalloonArgs } from './args.js';
import { memoryBalloonPolicy } from './index.js';
import { knobsFor } from './knobs.js';
import { args, decision, run, target } from './plan-test-kit.js';
import { consuming, host, INTERVAL_MS, NOW_MS, prng, snap, vm, type Sample } from './test-snapshots.js';
import { validateMemoryBalloonArgs } from './validate.js';

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

