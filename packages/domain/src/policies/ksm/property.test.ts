// Property tests of the ksm policy on seeded random hosts (reproducible: mulberry32).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setKsmJob } from '../../jobs/types/set-ksm.js';
import type { HostKsm } from '../../host-report.js';
import type { KsmRun } from '../../model.js';
import { mulberry32 } from '../../seeded-random.js';
import type { JobRecord } from '../../snapshot.js';
import type { KsmKnobs } from './args.js';
import { planKsm } from './plan.js';
import { assessPressure } from './pressure.js';
import { guest, ksmArgs, ksmHost, ksmJob, snap } from './test-snapshots.js';

type Rand = () => number;
const between = (r: Rand, lo: number, hi: number): number => lo + r() * (hi - lo);
const int = (r: Rand, lo: number, hi: number): number => Math.floor(between(r, lo, hi + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** Valid knobs drawn at random (every combination validate accepts is fair game). */
function randomKnobs(r: Rand): Partial<KsmKnobs> {
  const onFreePercent = between(r, 1, 60);
  const pagesMin = int(r, 1, 5000);
  const sleepMin = int(r, 10, 500);
  return {
    onFreePercent,
    onFreeMiB: r() < 0.3 ? int(r, 0, 64 * 1024) : null,
    onCommittedPercent: r() < 0.5 ? between(r, 50, 200) : null,
    hysteresisPercent: between(r, 0.5, 20),
    fullPressureFreePercent: between(r, 0, onFreePercent * 0.99),
    pagesToScanMin: pagesMin,
    pagesToScanMax: int(r, pagesMin, 100_000),
    sleepMillisecsMin: sleepMin,
    sleepMillisecsMax: int(r, sleepMin, 60_000),
    paceDeadbandPercent: between(r, 0, 50),
    minGainMiBPerCpuSecond: pick(r, [0, 0.5, 1, 10]),
    gainWindowMs: int(r, 0, 300_000),
    gainWindowFullScans: int(r, 0, 4),
    minOffMs: int(r, 0, 600_000),
  };
}

function randomKsm(r: Rand): Partial<HostKsm> {
  return {
    run: pick(r, ['run', 'stop', 'unmerge'] as const),
    pagesToScan: int(r, 1, 100_000),
    sleepMillisecs: int(r, 10, 60_000),
    pagesSharing: int(r, 0, 4_000_000),
    fullScans: int(r, 0, 1000),
    ksmdCpuPercent: pick(r, [undefined, 0, between(r, 0, 100)]),
  };
}

function randomJobs(r: Rand, ksm: Partial<HostKsm>): JobRecord[] {
  if (r() < 0.3) return [];
  const run = pick(r, ['run', 'stop'] as const);
  return [
    ksmJob({
      action: { run, pagesToScan: int(r, 1, 100_000) },
      agoMs: int(r, 0, 600_000),
      source: pick(r, ['policy', 'manual'] as const),
      observed: { run, pagesSharing: Math.max(0, (ksm.pagesSharing ?? 0) - int(r, -1000, 100_000)), fullScans: Math.max(0, (ksm.fullScans ?? 0) - int(r, 0, 5)) },
      ...(r() < 0.2 ? { state: 'queued' as const, inFlight: true } : {}),
    }),
  ];
}

test('property: every planned set-ksm action is within the job type’s bounds and changes something', () => {
  const r = mulberry32(20240611);
  const kinds = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    const knobs = randomKnobs(r);
    const totalMiB = int(r, 1024, 1024 * 1024);
    const ksm = randomKsm(r);
    const host = ksmHost({ totalMiB, freeMiB: between(r, 0, totalMiB), ksm });
    const vms = Array.from({ length: int(r, 0, 4) }, (_, n) => guest(`vm${n}`, int(r, 256, totalMiB / 2)));
    const jobs = randomJobs(r, ksm);
    const plan = planKsm(snap([host], jobs, vms), ksmArgs({ host: knobs }));
    assert.equal(plan.decisions.length, 1);
    const kind = `${plan.decisions[0]?.kind}${plan.jobs.length > 0 ? '+job' : ''}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    for (const job of plan.jobs) {
      const parsed = setKsmJob.action.safeParse(job.action);
      assert.ok(parsed.success, `case ${i}: ${JSON.stringify(job.action)} ${JSON.stringify(knobs)}`);
      assert.equal(job.vmUuid, undefined);
      const a = job.action as { run?: KsmRun; pagesToScan?: number; sleepMillisecs?: number };
      const same = a.run === ksm.run && (a.pagesToScan ?? ksm.pagesToScan) === ksm.pagesToScan && (a.sleepMillisecs ?? ksm.sleepMillisecs) === ksm.sleepMillisecs;
      if (!jobs.some((j) => j.inFlight)) assert.ok(!same, `case ${i}: a job that changes nothing`);
      if (a.run === 'run') {
        assert.ok(a.pagesToScan !== undefined && a.pagesToScan >= (knobs.pagesToScanMin ?? 0) && a.pagesToScan <= (knobs.pagesToScanMax ?? 0), `case ${i}: pages`);
        assert.ok(a.sleepMillisecs !== undefined && a.sleepMillisecs >= (knobs.sleepMillisecsMin ?? 0) && a.sleepMillisecs <= (knobs.sleepMillisecsMax ?? 0), `case ${i}: sleep`);
      }
      assert.notEqual(a.run, 'unmerge', 'the policy never unmerges');
    }
  }
  for (const k of ['start+job', 'run', 'run+job', 'stop+job', 'not-paying+job', 'idle', 'cooldown']) assert.ok((kinds.get(k) ?? 0) > 10, `${k}: ${JSON.stringify([...kinds])}`);
});

/**
 * A host whose free memory wanders; the jobs apply at once (a perfect actuator) and merging never stops paying
 * (minGain 0) and a stop never cools down (minOffMs 0): what is left is the memory rule and its band.
 */
function simulate(seed: number, steps: number, freeOf: (r: Rand, step: number, lines: { on: number; off: number }) => number) {
  const r = mulberry32(seed);
  const args = ksmArgs({ host: { ...randomKnobs(r), onCommittedPercent: null, minGainMiBPerCpuSecond: 0, minOffMs: 0 } });
  const totalMiB = int(r, 4096, 512 * 1024);
  let ksm: Partial<HostKsm> = { run: pick(r, ['run', 'stop'] as const), pagesToScan: args.host.pagesToScanMin, sleepMillisecs: args.host.sleepMillisecsMax };
  const p = assessPressure(ksmHost({ totalMiB, freeMiB: 0 }), [], args.host);
  const lines = { on: p.onLineMiB, off: p.offLineMiB };
  const events: { step: number; freeMiB: number; run: KsmRun; kind: string }[] = [];
  for (let step = 0; step < steps; step++) {
    const freeMiB = Math.max(0, freeOf(r, step, lines));
    const plan = planKsm(snap([ksmHost({ totalMiB, freeMiB, ksm })]), args);
    const a = plan.jobs[0]?.action as { run?: KsmRun; pagesToScan?: number; sleepMillisecs?: number } | undefined;
    if (a?.run !== undefined && a.run !== ksm.run) events.push({ step, freeMiB, run: a.run, kind: plan.decisions[0]?.kind ?? '' });
    if (a) ksm = { ...ksm, ...a };
  }
  return { lines, events };
}

test('property: no flapping inside the hysteresis band — free memory that stays between the lines changes nothing', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const { events } = simulate(seed, 60, (r, _s, l) => between(r, l.on, l.off));
    assert.deepEqual(events, [], `seed ${seed}`);
  }
});

test('property: on a random walk every start is below the on line and every stop above the off line', () => {
  let starts = 0;
  let stops = 0;
  for (let seed = 1; seed <= 300; seed++) {
    let free = Number.NaN;
    const { lines, events } = simulate(seed, 200, (r, step, l) => {
      const span = Math.max(1, l.off - l.on);
      free = step === 0 ? between(r, 0, l.off + 2 * span) : free + between(r, -span, span) * 0.7;
      return free;
    });
    for (const e of events) {
      if (e.run === 'run') assert.ok(e.freeMiB < lines.on, `seed ${seed}: start at ${e.freeMiB} ≥ on ${lines.on}`);
      else assert.ok(e.freeMiB > lines.off, `seed ${seed}: stop at ${e.freeMiB} ≤ off ${lines.off}`);
    }
    for (let i = 1; i < events.length; i++) assert.notEqual(events[i]?.run, events[i - 1]?.run, `seed ${seed}: two changes the same way`);
    starts += events.filter((e) => e.run === 'run').length;
    stops += events.filter((e) => e.run !== 'run').length;
  }
  // the walk crosses the band often: the rules above were exercised, not passed vacuously
  assert.ok(starts > 300 && stops > 300, `starts ${starts}, stops ${stops}`);
});
