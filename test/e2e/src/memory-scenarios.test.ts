/**
 * Issue 3's lab scenarios: the memory coordinator (memory-balloon, automation auto, budget 3072 MiB) on
 * the four real guests, driven by `ballast lab mem`, checked every 2 s against `virsh dommemstat`,
 * `virsh nodememstats` and `ballast lab health` (memory-checks.ts: no panic, no OOM kill without a
 * `starved` decision, no balloon < 200 MiB, host free ≥ floor, Σ balloons ≤ budget, unused back ≥ 100 MiB
 * within two cycles, release steps ≤ 100 MiB). Each run's table and decisions go to
 * $TMPDIR/ballast-e2e/<scenario>.txt.
 */
import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { actualAt, peakActual, unusedAt } from './memory-checks.js';
import { consume, consumersDone, LAB_VMS, labMem, resetGuests, runScenario, sleep, type ScenarioRun } from './memory-lab.js';
import type { LabSample, MemoryWatch } from './memory-watch.js';

const LAB = process.env.BALLAST_LAB === '1';
const BUDGET = 3072;

function report(t: TestContext, run: ScenarioRun): void {
  t.diagnostic(`run log: ${run.logFile}`);
  assert.deepEqual(run.violations, [], `${run.violations.join('\n')}\n${run.table}`);
}

/** The job of the newest release decision of `vm` that has finished, as GET /v1/jobs/:id reports it. */
async function releaseJobOf(w: MemoryWatch, vm: string): Promise<{ state: string; type: string; policy?: string } | undefined> {
  const r = (await (await w.stack.api(`/v1/decisions?vm=${vm}&kind=release&limit=20`)).json()) as { decisions: { jobs?: { id?: string; state?: string }[] }[] };
  const id = r.decisions.flatMap((d) => d.jobs ?? []).find((j) => j.id !== undefined && j.state === 'succeeded')?.id;
  if (id === undefined) return undefined;
  const j = (await (await w.stack.api(`/v1/jobs/${id}`)).json()) as { state: string; type: string; policy?: string };
  return { state: j.state, type: j.type, ...(j.policy !== undefined ? { policy: j.policy } : {}) };
}

const sum = (s: LabSample): number => LAB_VMS.reduce((a, v) => a + (s.vms[v]?.actualMiB ?? 0), 0);

describe('memory coordinator on the lab guests (auto, budget 3072 MiB)', { skip: LAB ? false : 'needs the lab: run via `make test` or `make e2e`' }, () => {
  after(async () => {
    await resetGuests();
  });

  test('1: only lab-vm1 consumes (20 MiB/s) then frees: it gets what it needs, the others keep ≥ 100 MiB unused, it gives back in steps ≤ 100 MiB', { timeout: 300000 }, async (t) => {
    let peak = 0;
    let releasedJob: { state: string; type: string; policy?: string } | undefined;
    const run = await runScenario('scenario-1', async (w) => {
      await consume('lab-vm1', 500);
      await consumersDone(['lab-vm1'], 60000);
      w.mark('consumed');
      await sleep(8000);
      peak = peakActual(w.samples, 'lab-vm1');
      w.mark('free');
      await labMem('lab-vm1', '--free');
      await w.until('lab-vm1 to give back 300 MiB', 90000, (s) => (s.vms['lab-vm1']?.actualMiB ?? Infinity) <= peak - 300);
      await sleep(4000);
      releasedJob = await releaseJobOf(w, 'lab-vm1');
    });
    const w = run.watch;
    // 500 MiB written on top of ~116 MiB in use: its need is ≥ 716 MiB (used + 100 unused)
    assert.ok(peak >= 716, `lab-vm1 peaked at ${peak} MiB\n${run.table}`);
    for (const vm of ['lab-vm2', 'lab-vm3', 'lab-vm4']) {
      const low = w.samples.filter((s) => (s.vms[vm]?.unusedMiB ?? Infinity) < 100);
      assert.equal(low.length, 0, `${vm} went below 100 MiB unused\n${run.table}`);
    }
    const releases = w.allDecisions().filter((d) => d.vm === 'lab-vm1' && d.kind === 'release' && d.atMs >= w.markAt('free'));
    assert.ok(releases.length >= 3, `lab-vm1 gave back in ${releases.length} release steps\n${run.table}`);
    // outcomes flow back: each release decision names the job it made, and the engine records how it ended
    const done = releases.flatMap((d) => d.jobs).filter((j) => j.id !== undefined && j.state === 'succeeded');
    assert.ok(done.length >= 2, `release decisions with a succeeded job: ${JSON.stringify(releases.map((d) => d.jobs))}`);
    assert.deepEqual(releasedJob, { state: 'succeeded', type: 'set-memory', policy: 'memory-balloon' });
    report(t, run);
  });

  test('2: all four consume past the budget then free: all grow, the budget holds, similar sizes (within 15 %), all give back', { timeout: 300000 }, async (t) => {
    let plateau: LabSample | undefined;
    const run = await runScenario('scenario-2', async (w) => {
      await Promise.all(LAB_VMS.map((v) => consume(v, 560)));
      await consumersDone(LAB_VMS, 90000);
      w.mark('consumed');
      await sleep(10000);
      plateau = w.latest();
      w.mark('free');
      await Promise.all(LAB_VMS.map((v) => labMem(v, '--free')));
      const top = Object.fromEntries(LAB_VMS.map((v) => [v, plateau?.vms[v]?.actualMiB ?? 0]));
      await w.until('every guest to give back 200 MiB', 90000, (s) => LAB_VMS.every((v) => (s.vms[v]?.actualMiB ?? Infinity) <= (top[v] ?? 0) - 200));
      await sleep(2000);
    });
    const w = run.watch;
    assert.ok(plateau, 'no sample at the plateau');
    const sizes = LAB_VMS.map((v) => plateau?.vms[v]?.actualMiB ?? 0);
    for (const [i, v] of LAB_VMS.entries()) assert.ok((sizes[i] ?? 0) >= 700, `${v} grew only to ${sizes[i]} MiB\n${run.table}`);
    const spread = Math.max(...sizes) / Math.min(...sizes);
    assert.ok(spread <= 1.15, `balloon sizes ${sizes.join(', ')} MiB differ by ${((spread - 1) * 100).toFixed(1)} % (> 15 %)\n${run.table}`);
    // demand was past the budget: the budget was used up, and the engine said so
    assert.ok(sum(plateau) >= BUDGET - 64, `Σ ${sum(plateau)} MiB at the plateau: the budget was not reached\n${run.table}`);
    const starved = w.allDecisions().filter((d) => d.kind === 'starved' && d.atMs >= w.markAt('start') && d.atMs <= w.markAt('free'));
    assert.ok(starved.length > 0, `no 'starved' decision while the demand was past the budget\n${run.table}`);
    report(t, run);
  });

  test('3: all consume; lab-vm1/2 free while lab-vm3/4 keep consuming: memory moves from vm1/vm2 to vm3/vm4', { timeout: 300000 }, async (t) => {
    const run = await runScenario('scenario-3', async (w) => {
      // vm3 and vm4 write 800 MiB in one go, so they are still consuming when vm1 and vm2 (300 MiB) free
      await Promise.all([consume('lab-vm1', 300), consume('lab-vm2', 300), consume('lab-vm3', 800), consume('lab-vm4', 800)]);
      await consumersDone(['lab-vm1', 'lab-vm2'], 90000);
      await sleep(4000);
      w.mark('switch');
      await Promise.all([labMem('lab-vm1', '--free'), labMem('lab-vm2', '--free')]);
      await consumersDone(['lab-vm3', 'lab-vm4'], 90000);
      await sleep(10000);
      w.mark('end');
    });
    const w = run.watch;
    const sw = w.markAt('switch');
    const end = w.markAt('end');
    const before = Object.fromEntries(LAB_VMS.map((v) => [v, actualAt(w.samples, v, sw)]));
    const after = Object.fromEntries(LAB_VMS.map((v) => [v, actualAt(w.samples, v, end)]));
    const table = `${JSON.stringify({ before, after })}\n${run.table}`;
    // what vm3/vm4 hold at the end the budget could only give them out of what vm1/vm2 held at the switch
    const grown = (after['lab-vm3'] ?? 0) + (after['lab-vm4'] ?? 0);
    const freeAtSwitch = BUDGET - LAB_VMS.reduce((a, v) => a + (before[v] ?? 0), 0);
    assert.ok(grown - (before['lab-vm3'] ?? 0) - (before['lab-vm4'] ?? 0) > freeAtSwitch + 100, `vm3/vm4 grew within what the budget had free at the switch (${freeAtSwitch} MiB)\n${table}`);
    // vm1/vm2 gave back what they no longer use: at least 100 MiB each, ending with no more unused than the
    // policy's donor line (300 MiB) plus its hysteresis (16) and one report's drift; how much more they give
    // depends on how far they had grown at the switch (a fixed 200 MiB failed at 195 with 287 unused left)
    for (const v of ['lab-vm1', 'lab-vm2']) {
      const kept = unusedAt(w.samples, v, end);
      assert.ok((after[v] ?? 0) <= (before[v] ?? 0) - 100 && kept <= 300 + 16 + 20, `${v} did not give memory back (${kept} MiB unused at the end)\n${table}`);
    }
    // each gets what it needs: it keeps growing, or — one may have grown ahead of the other before the switch and
    // finished its 800 MiB soon after (on CI: at the switch 979 MiB, done at 1127 with 209 MiB unused) — it ends
    // with at least 100 MiB unused; together they got more than the budget had free at the switch (asserted above)
    const unusedEnd = (v: string): number => {
      let u = NaN;
      for (const smp of w.samples) if (smp.atMs <= end) u = smp.vms[v]?.unusedMiB ?? NaN;
      return u;
    };
    for (const v of ['lab-vm3', 'lab-vm4']) {
      assert.ok((after[v] ?? 0) >= (before[v] ?? 0) + 150 || unusedEnd(v) >= 100, `${v} did not get the memory (unused at the end ${unusedEnd(v)} MiB)\n${table}`);
    }
    report(t, run);
  });

  test('4: different rates at once (vm2 40 MiB/s, vm3 5 MiB/s), vm2 frees while vm3 goes on: both get what they need, vm2 gives back', { timeout: 300000 }, async (t) => {
    let peak2 = 0;
    const run = await runScenario('scenario-4', async (w) => {
      await Promise.all([consume('lab-vm2', 600, 40), consume('lab-vm3', 150, 5)]);
      await consumersDone(['lab-vm2'], 60000);
      await sleep(6000);
      peak2 = peakActual(w.samples, 'lab-vm2');
      w.mark('free');
      await labMem('lab-vm2', '--free');
      await consumersDone(['lab-vm3'], 60000);
      await w.until('lab-vm2 to give back 300 MiB', 90000, (s) => (s.vms['lab-vm2']?.actualMiB ?? Infinity) <= peak2 - 300);
      await sleep(4000);
    });
    const w = run.watch;
    assert.ok(peak2 >= 116 + 600 + 100, `lab-vm2 peaked at ${peak2} MiB\n${run.table}`);
    assert.ok(peakActual(w.samples, 'lab-vm3') >= 116 + 150 + 100, `lab-vm3 peaked at ${peakActual(w.samples, 'lab-vm3')} MiB\n${run.table}`);
    report(t, run);
  });
});
