import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinPolicies } from '../registry.js';
import { ksmInFlightRule } from './in-flight.js';
import { ksmPolicy } from './index.js';
import { guest, ksmHost, ksmJob, NOW_MS, planFor, snap, TOTAL_MIB, type HostOpts } from './test-snapshots.js';

// Lines on the 16 GiB test host with the defaults: on 3276.8 MiB (20 %), off 4096 MiB (25 %), full pressure
// 819.2 MiB (5 %); pace 64..1250 pages, sleep 20..10 ms.
const ON = 3276.8;
const OFF = 4096;

test('registry: ksm runs after memory-balloon (order 150)', () => {
  assert.equal(ksmPolicy.order, 150);
  const order = builtinPolicies().runOrder();
  assert.ok(order.indexOf('memory-balloon') < order.indexOf('ksm'), order.join(', '));
});

// ---- on under pressure, and the pace -------------------------------------------------------------

test('on: free below the on line starts ksmd at the pace of the pressure depth', () => {
  const { plan, d } = planFor(snap([ksmHost({ freeMiB: ON - 100 })]));
  assert.equal(d.kind, 'start');
  assert.equal(plan.jobs.length, 1);
  const job = plan.jobs[0];
  assert.equal(job?.hostId, 'h1');
  assert.equal(job?.vmUuid, undefined, 'host-scoped: no VM');
  assert.deepEqual(job?.action, { type: 'set-ksm', run: 'run', pagesToScan: 100, sleepMillisecs: 20 }, 'the current pace is within the deadband');
  assert.equal(d.inputs['onLineMiB'], ON);
  assert.equal(d.inputs['freeMiB'], ON - 100);
  assert.match(d.reason, /below the on line 3277 MiB: start ksmd at 100 pages every 20 ms/);
});

test('on: the onFreeMiB line binds when it is above the percent line', () => {
  const { d } = planFor(snap([ksmHost({ freeMiB: 5000 })]), { host: { onFreeMiB: 6000 } });
  assert.equal(d.kind, 'start');
  assert.equal(d.inputs['onLineMiB'], 6000);
});

test('on: the guests holding more than onCommittedPercent start ksmd although free memory is plentiful', () => {
  const vms = [guest('a', 7000), guest('b', 7000)]; // 14000 MiB > 80 % of 16384 (13107)
  const { plan, d } = planFor(snap([ksmHost({ freeMiB: 8000 })], [], vms));
  assert.equal(d.kind, 'start');
  assert.equal(d.inputs['committedMiB'], 14000);
  assert.deepEqual(plan.jobs[0]?.action, { type: 'set-ksm', run: 'run', pagesToScan: 100, sleepMillisecs: 20 });
  assert.equal(planFor(snap([ksmHost({ freeMiB: 8000 })], [], vms), { host: { onCommittedPercent: null } }).d.kind, 'idle');
});

test('scaling: pagesToScan rises and sleep falls with the pressure depth, from the on line to the full-pressure line', () => {
  const at = (freeMiB: number) => planFor(snap([ksmHost({ freeMiB, ksm: { pagesToScan: 5000, sleepMillisecs: 500 } })])).plan.jobs[0]?.action;
  const full = 0.05 * TOTAL_MIB;
  assert.deepEqual(at(ON - 1), { type: 'set-ksm', run: 'run', pagesToScan: 64, sleepMillisecs: 20 });
  assert.deepEqual(at((ON + full) / 2), { type: 'set-ksm', run: 'run', pagesToScan: 657, sleepMillisecs: 15 });
  assert.deepEqual(at(full), { type: 'set-ksm', run: 'run', pagesToScan: 1250, sleepMillisecs: 10 });
  assert.deepEqual(at(10), { type: 'set-ksm', run: 'run', pagesToScan: 1250, sleepMillisecs: 10 });
});

test('scaling: a running ksmd is re-paced only when its target moved beyond the deadband', () => {
  const full = 0.05 * TOTAL_MIB;
  const running = (freeMiB: number, pagesToScan: number, sleepMillisecs: number) =>
    planFor(snap([ksmHost({ freeMiB, ksm: { run: 'run', pagesToScan, sleepMillisecs } })]));
  // depth 0.5: 657 pages / 15 ms; 600 / 15 sits at depth 0.45, within 0.2 → kept
  const kept = running((ON + full) / 2, 600, 15);
  assert.equal(kept.d.kind, 'run');
  assert.equal(kept.plan.jobs.length, 0);
  assert.match(kept.d.reason, /within the deadband/);
  // 64 / 20 sits at depth 0: more than 0.2 away → the target
  const moved = running((ON + full) / 2, 64, 20);
  assert.deepEqual(moved.plan.jobs[0]?.action, { type: 'set-ksm', run: 'run', pagesToScan: 657, sleepMillisecs: 15 });
  // a pace outside the knobs' range is never kept
  assert.equal(running(ON - 1, 50, 20).plan.jobs.length, 1);
});

// ---- off with hysteresis ---------------------------------------------------------------------------

test('off: a running ksmd stops only above the off line; in the band it runs on, a stopped one stays stopped', () => {
  const run = (freeMiB: number) => planFor(snap([ksmHost({ freeMiB, ksm: { run: 'run', pagesToScan: 64, sleepMillisecs: 20 } })]));
  const band = run((ON + OFF) / 2);
  assert.equal(band.d.kind, 'run');
  assert.equal(band.plan.jobs.length, 0);
  assert.match(band.d.reason, /in the hysteresis band 3277\.\.4096 MiB/);
  const plenty = run(OFF + 1);
  assert.equal(plenty.d.kind, 'stop');
  assert.deepEqual(plenty.plan.jobs[0]?.action, { type: 'set-ksm', run: 'stop' }, 'stop, never unmerge');
  assert.match(plenty.d.reason, /merged pages stay merged/);
  const stopped = planFor(snap([ksmHost({ freeMiB: (ON + OFF) / 2 })]));
  assert.equal(stopped.d.kind, 'idle');
  assert.equal(stopped.plan.jobs.length, 0);
});

test('off: with the guests-held line, plenty needs them below it by the hysteresis too', () => {
  const vms = [guest('a', 6300), guest('b', 6300)]; // 12600 MiB: below 80 % (13107) but above 75 % (12288)
  const { d, plan } = planFor(snap([ksmHost({ freeMiB: 8000, ksm: { run: 'run', pagesToScan: 64, sleepMillisecs: 20 } })], [], vms));
  assert.equal(d.kind, 'run');
  assert.equal(plan.jobs.length, 0);
  assert.match(d.reason, /the guests hold 12600 MiB, in the hysteresis band/);
});

test('off: an unmerged ksmd (run = unmerge) is not running: no stop job, left as it is', () => {
  const { d, plan } = planFor(snap([ksmHost({ freeMiB: OFF + 500, ksm: { run: 'unmerge' } })]));
  assert.equal(d.kind, 'idle');
  assert.equal(plan.jobs.length, 0);
  assert.match(d.reason, /stays unmerged/);
});

// ---- off when merging does not pay -----------------------------------------------------------------

const merging = (o: { gainedPages: number; cpuPercent: number; agoMs: number; scans?: number; fullScansAtStart?: number }) =>
  snap(
    [ksmHost({ freeMiB: ON - 500, ksm: { run: 'run', pagesToScan: 296, sleepMillisecs: 18, pagesSharing: 50_000 + o.gainedPages, fullScans: 10 + (o.scans ?? 5), ksmdCpuPercent: o.cpuPercent } })],
    [ksmJob({ id: 'start', action: { run: 'run', pagesToScan: 296, sleepMillisecs: 18 }, agoMs: o.agoMs, observed: { run: 'run', pagesSharing: 50_000, fullScans: 10 } })],
  );

test('not paying: less merged than minGainMiBPerCpuSecond per ksmd CPU-second over the window stops ksmd', () => {
  // 180 s at 50 % CPU = 90 CPU-s; 5120 pages = 20 MiB → 0.2 MiB per CPU-second < 1
  const { d, plan } = planFor(merging({ gainedPages: 5120, cpuPercent: 50, agoMs: 180_000 }));
  assert.equal(d.kind, 'not-paying');
  assert.deepEqual(plan.jobs[0]?.action, { type: 'set-ksm', run: 'stop' });
  assert.equal(d.inputs['gainMiBPerCpuSecond'], 0.2);
  assert.deepEqual(d.inputs['gain'], { gainMiB: 20, cpuSeconds: 90, spanSec: 180, fullScans: 5 });
  assert.match(d.reason, /0\.2 MiB per ksmd CPU-second over 180 s \(below 1\)/);
});

test('not paying: a good gain runs on; a short span, too few full scans or no CPU figure are not judged', () => {
  const paying = planFor(merging({ gainedPages: 512_000, cpuPercent: 50, agoMs: 180_000 })); // 2000 MiB / 90 CPU-s
  assert.equal(paying.d.kind, 'run');
  assert.equal(paying.d.inputs['gainMiBPerCpuSecond'], 22.2);
  const early = planFor(merging({ gainedPages: 0, cpuPercent: 50, agoMs: 60_000 }));
  assert.equal(early.d.kind, 'run');
  assert.match(String((early.d.inputs['gain'] as { why: string }).why), /measuring since job start: 60 of 120 s/);
  assert.equal(planFor(merging({ gainedPages: 0, cpuPercent: 50, agoMs: 180_000, scans: 1 })).d.kind, 'run');
  const idleCpu = planFor(merging({ gainedPages: 0, cpuPercent: 0, agoMs: 180_000 }));
  assert.equal(idleCpu.d.kind, 'run', 'ksmd that used no CPU costs nothing');
  assert.equal(planFor(merging({ gainedPages: 0, cpuPercent: 50, agoMs: 180_000 }), { host: { minGainMiBPerCpuSecond: 0 } }).d.kind, 'run');
  const noJob = planFor(snap([ksmHost({ freeMiB: ON - 500, ksm: { run: 'run', pagesToScan: 296, sleepMillisecs: 18, ksmdCpuPercent: 90 } })]));
  assert.equal(noJob.d.kind, 'run');
  assert.match(String((noJob.d.inputs['gain'] as { why: string }).why), /no finished set-ksm job/);
});

test('not paying: after the policy stopped ksmd it stays stopped for minOffMs, whatever the pressure; a stop by hand does not count', () => {
  const after = (agoMs: number, source: 'policy' | 'manual' = 'policy') =>
    planFor(snap([ksmHost({ freeMiB: ON - 500 })], [ksmJob({ action: { run: 'stop' }, agoMs, source })]));
  const cooling = after(60_000);
  assert.equal(cooling.d.kind, 'cooldown');
  assert.equal(cooling.plan.jobs.length, 0);
  assert.match(cooling.d.reason, /stopped ksmd 60 s ago: it stays stopped for minOffMs \(300 s\)/);
  assert.equal(after(300_001).d.kind, 'start');
  assert.equal(after(60_000, 'manual').d.kind, 'start');
});

// ---- no job when equal, no figures, in flight ------------------------------------------------------

test('equal: no job when the collected settings are the target', () => {
  const { d, plan } = planFor(snap([ksmHost({ freeMiB: ON - 1, ksm: { run: 'run', pagesToScan: 64, sleepMillisecs: 20 } })]));
  assert.equal(d.kind, 'run');
  assert.equal(plan.jobs.length, 0);
  assert.deepEqual(d.inputs['target'], { run: 'run', pagesToScan: 64, sleepMillisecs: 20 });
});

test('in flight: a job on its way counts as the settings; nothing is planned again', () => {
  const inFlight = ksmJob({ action: { run: 'run', pagesToScan: 64, sleepMillisecs: 20 }, state: 'queued', inFlight: true });
  const { d, plan } = planFor(snap([ksmHost({ freeMiB: ON - 1 })], [inFlight]));
  assert.equal(d.kind, 'run');
  assert.equal(plan.jobs.length, 0);
  assert.deepEqual(d.inputs['planned'], { run: 'run', pagesToScan: 64, sleepMillisecs: 20 });
});

test('in flight rule: settled once the collected KSM shows every field the job set', () => {
  const job = ksmJob({ action: { run: 'run', pagesToScan: 64 } });
  const s = (ksm: HostOpts['ksm']) => snap([ksmHost({ ksm })]);
  assert.equal(ksmInFlightRule.settled(job, s({ run: 'run', pagesToScan: 64 })), true);
  assert.equal(ksmInFlightRule.settled(job, s({ run: 'stop', pagesToScan: 64 })), false);
  assert.equal(ksmInFlightRule.settled(job, s({ run: 'run', pagesToScan: 100 })), false);
  assert.equal(ksmInFlightRule.settled(job, s(null)), true, 'nothing to wait for');
});

test('no KSM figures: no job, and the decision says why', () => {
  const none = planFor(snap([ksmHost({ freeMiB: 10, ksm: null })]));
  assert.equal(none.d.kind, 'unknown');
  assert.equal(none.plan.jobs.length, 0);
  assert.match(none.d.reason, /no KSM figures for this host/);
  const remote = planFor(snap([ksmHost({ freeMiB: 10, ksm: { run: undefined } })]));
  assert.equal(remote.d.kind, 'unknown');
  assert.equal(remote.plan.jobs.length, 0);
  assert.match(remote.d.reason, /run state cannot be read/);
});

// ---- which hosts -----------------------------------------------------------------------------------

test('allowlist: only the hosts listed are managed (hosts sharing a kernel: list one)', () => {
  const hosts = [ksmHost({ hostId: 'h1', freeMiB: 10 }), ksmHost({ hostId: 'h2', freeMiB: 10 })];
  const all = planFor(snap(hosts)).plan;
  assert.deepEqual(all.jobs.map((j) => j.hostId), ['h1', 'h2'], 'default: every host');
  const { plan } = planFor(snap(hosts), { hosts: ['h1'] });
  assert.deepEqual(plan.jobs.map((j) => j.hostId), ['h1']);
  const h2 = plan.decisions.find((d) => d.hostId === 'h2');
  assert.equal(h2?.kind, 'unmanaged');
  assert.match(h2?.reason ?? '', /not in the policy's hosts \(h1\)/);
});

test('per-host automation: off leaves the host alone, recommend decides without a job', () => {
  const hosts = [ksmHost({ hostId: 'h1', freeMiB: 10 }), ksmHost({ hostId: 'h2', freeMiB: 10 })];
  const { plan } = planFor(snap(hosts), { overrides: { h1: { automation: 'off' }, h2: { automation: 'recommend' } } });
  assert.equal(plan.jobs.length, 0);
  assert.equal(plan.decisions.find((d) => d.hostId === 'h1')?.kind, 'unmanaged');
  const h2 = plan.decisions.find((d) => d.hostId === 'h2');
  assert.equal(h2?.kind, 'start');
  assert.match(h2?.reason ?? '', /automation recommend: not applied/);
});

test('decision inputs carry free memory, the lines, pages_sharing, the gain and the chosen settings', () => {
  const { d } = planFor(snap([ksmHost({ freeMiB: ON - 500, ksm: { run: 'run', pagesToScan: 296, sleepMillisecs: 18, pagesShared: 10, pagesSharing: 2560, ksmdCpuPercent: 12.5 } })]));
  for (const k of ['freeMiB', 'onLineMiB', 'offLineMiB', 'pagesSharing', 'savedMiB', 'gainMiBPerCpuSecond', 'ksmdCpuPercent', 'target']) assert.ok(k in d.inputs, k);
  assert.equal(d.inputs['savedMiB'], 10);
  assert.equal(d.inputs['ksmdCpuPercent'], 12.5);
  assert.ok(NOW_MS > 0);
});
