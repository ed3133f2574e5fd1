import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WindowEntry } from '../../snapshot.js';
import { defaultMemoryBalloonArgs } from './args.js';
import { planMemoryBalloon } from './plan.js';
import { guestUsedKiB, kernelOverheadKiB, recentUsedRateMiBPerSec, usedTrendMiBPerSec } from './signals.js';
import { host, NOW_MS, snap, vm } from './test-snapshots.js';

const MIB = 1024;
/** The lab guests' kernel overhead below the balloon (virsh dommemstat: actual − available). */
const OVERHEAD = 82752;

/**
 * A lab-like window: samples every 2 s; the guest reports every 2 s, 1 s before each sample. `balloonMiB[i]`
 * is the balloon when sample i is taken; the guest's report in sample i reflects the balloon of the sample
 * before when it changed in between (the report is older than the change), with `usedMiB[i]` in use.
 */
function labWindow(balloonMiB: number[], usedMiB: number[]): WindowEntry[] {
  const n = balloonMiB.length;
  return balloonMiB.map((b, i) => {
    const takenAtMs = NOW_MS - (n - 1 - i) * 2000;
    const seenBalloon = i > 0 && balloonMiB[i - 1] !== b ? (balloonMiB[i - 1] as number) : b;
    const used = (usedMiB[i] as number) * MIB;
    const availableKiB = seenBalloon * MIB - OVERHEAD;
    return {
      takenAtMs,
      cpuPercent: 1,
      actualKiB: b * MIB,
      availableKiB,
      unusedKiB: seenBalloon * MIB - used,
      statsAtSec: Math.floor((takenAtMs - 1000) / 1000),
      majorFaults: 0,
      swapInKiB: 0,
    };
  });
}

test('kernel overhead is read where the balloon had settled before the report', () => {
  const w = labWindow([512, 512, 512, 700, 700], [116, 116, 116, 116, 116]);
  assert.equal(kernelOverheadKiB(w), OVERHEAD);
  // Only the entries up to the change: the settled ones before it.
  assert.equal(kernelOverheadKiB(w, 4), OVERHEAD);
  // A balloon that moved every sample never settled: unknown.
  assert.equal(kernelOverheadKiB(labWindow([512, 600, 700], [116, 116, 116])), undefined);
  // No MemTotal from the guest: unknown.
  assert.equal(kernelOverheadKiB(w.map(({ availableKiB: _a, ...e }) => e)), undefined);
  // Reports older than the first sample of each run of equal balloons: not settled.
  assert.equal(kernelOverheadKiB(w.map((e) => ({ ...e, statsAtSec: Math.floor((e.takenAtMs - 7000) / 1000) }))), undefined);
  // … but 3 s old is fine after a run of three equal samples (the balloon was there 4 s before)
  assert.equal(kernelOverheadKiB(w.map((e) => ({ ...e, statsAtSec: Math.floor((e.takenAtMs - 3000) / 1000) }))), OVERHEAD);
});

test('right after a grow, used stays what the guest reported (actual − unused would jump by the grow)', () => {
  const w = labWindow([512, 512, 512, 512, 700], [116, 116, 116, 116, 116]);
  const last = w[w.length - 1] as WindowEntry;
  const naive = ((last.actualKiB ?? 0) - (last.unusedKiB ?? 0)) / MIB;
  assert.equal(naive, 116 + 188);
  assert.equal(guestUsedKiB(last, kernelOverheadKiB(w)) / MIB, 116);
  assert.equal(guestUsedKiB(last, undefined) / MIB, naive);
  assert.ok(Math.abs(usedTrendMiBPerSec(w, 5)) < 0.01, `trend ${usedTrendMiBPerSec(w, 5)}`);
});

test('a real consumer is still a trend across a balloon change', () => {
  // 20 MiB/s of consumption (40 MiB a sample) while the balloon grows twice.
  const w = labWindow([512, 512, 612, 612, 712], [116, 156, 196, 236, 276]);
  const t = usedTrendMiBPerSec(w, 5);
  assert.ok(Math.abs(t - 20) < 0.5, `trend ${t}`);
});

test('the plan does not grow again after a grow whose stats have not caught up', () => {
  // The balloon just went 512 → 700; the guest's last report still says 396 MiB unused of 431 MiB.
  const v = vm('vm1', { actualMiB: 700, unusedMiB: 396 });
  v.window = labWindow([512, 512, 512, 512, 512, 700], [116, 116, 116, 116, 116, 116]);
  const last = v.window[v.window.length - 1] as WindowEntry;
  if (v.balloon) {
    v.balloon.unusedKiB = last.unusedKiB ?? 0;
    v.balloon.availableKiB = last.availableKiB ?? 0;
    v.balloon.lastUpdateSec = last.statsAtSec ?? 0;
  }
  const p = planMemoryBalloon(snap([v], [host('h1')], NOW_MS), defaultMemoryBalloonArgs());
  const d = p.decisions[0];
  assert.ok(d);
  assert.equal(d.inputs['usedMiB'], 116);
  // 700 − 116 = 584 MiB unused: a donor (above maxUnused 300), not a grower.
  assert.equal(d.inputs['unusedMiB'], 584);
  assert.notEqual(d.kind, 'grow');
  assert.equal(p.jobs.filter((j) => j.action.type === 'set-memory' && j.action.memoryMiB > 700).length, 0);
});

test('a report read twice counts once: the trend is not halved when the guest reports late', () => {
  // 20 MiB/s; the guest reports every 2 s but the collector read report k twice (samples 2 s apart)
  const w: WindowEntry[] = [];
  const reports = [0, 2, 4, 4, 6, 8, 8, 10];
  reports.forEach((r, i) => {
    const used = 116 + 20 * r;
    w.push({
      takenAtMs: NOW_MS - (reports.length - 1 - i) * 2000,
      cpuPercent: 1,
      actualKiB: 1024 * MIB,
      availableKiB: 1024 * MIB - OVERHEAD,
      unusedKiB: (1024 - used) * MIB,
      statsAtSec: 1_700_000_000 + r,
    });
  });
  const t = usedTrendMiBPerSec(w, 5);
  assert.ok(Math.abs(t - 20) < 0.01, `trend ${t}`);
  // by sample time (what it did before) the same window reads about 14 MiB/s
  const bySample = usedTrendMiBPerSec(w.map(({ statsAtSec: _s, ...e }) => e), 5);
  assert.ok(bySample < 17, `by sample time ${bySample}`);
});

test('a consumer that just started: the recent rate sees it before the fitted trend; the plan grows instead of releasing', () => {
  // flat at 116 MiB for 3 reports, then 20 MiB/s for two: the 5-report trend says ~12 MiB/s
  const used = [116, 116, 116, 156, 196];
  const w = labWindow([700, 700, 700, 700, 700], used);
  const trend = usedTrendMiBPerSec(w, 5);
  const recent = recentUsedRateMiBPerSec(w, 32);
  assert.ok(trend < 15, `trend ${trend}`);
  assert.ok(Math.abs(recent - 20) < 0.01, `recent ${recent}`);
  // noise below the threshold is not a rate
  assert.equal(recentUsedRateMiBPerSec(labWindow([700, 700, 700], [116, 140, 130]), 32), 0);
  // the plan: unused 504 MiB (a donor by the band) but consuming: held, and its lookahead uses 20 MiB/s
  const v = vm('c', { actualMiB: 700, unusedMiB: 504 });
  v.window = w;
  const last = w[w.length - 1] as WindowEntry;
  if (v.balloon) {
    v.balloon.unusedKiB = last.unusedKiB ?? 0;
    v.balloon.availableKiB = last.availableKiB ?? 0;
    v.balloon.lastUpdateSec = last.statsAtSec ?? 0;
  }
  const p = planMemoryBalloon(snap([v], [host('h1')], NOW_MS), defaultMemoryBalloonArgs());
  assert.equal(p.jobs.length, 0, JSON.stringify(p.jobs));
  assert.match(p.decisions[0]?.reason ?? '', /its use rises at 20 MiB\/s: not released while it consumes/);
  assert.equal(p.decisions[0]?.inputs['consumptionMiBPerSec'], 20);
});

test('reports taken just after each sample: the overhead is still found once the balloon has been steady two samples', () => {
  // samples at x.6 s, the guest reports at x.7 s: the report in sample i is from just after sample i-1, so
  // floored to the second it looks older than that sample; the run of equal balloons makes up for it
  const n = 6;
  const t0 = 1_700_000_000_600;
  const w: WindowEntry[] = Array.from({ length: n }, (_, i) => {
    const takenAtMs = t0 + i * 2000;
    const balloon = i < n - 1 ? 512 : 700;
    const seen = 512; // every report predates the grow in the last sample
    return {
      takenAtMs,
      cpuPercent: 1,
      actualKiB: balloon * MIB,
      availableKiB: seen * MIB - OVERHEAD,
      unusedKiB: (seen - 116) * MIB,
      statsAtSec: Math.floor((takenAtMs - 1900) / 1000),
    };
  });
  assert.equal(kernelOverheadKiB(w), OVERHEAD);
  assert.equal(guestUsedKiB(w[n - 1] as WindowEntry, kernelOverheadKiB(w)) / MIB, 116);
});
