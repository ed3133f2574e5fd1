import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { nextTickAt, startIntervalLoop, type IntervalLoopLogger } from './interval-loop.js';

/** Waits until `cond` holds (at most 5 s): on a loaded machine timers fire late, so tests wait for counts, not for fixed times. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond() && Date.now() < deadline) await sleep(5);
}

function recorder(): IntervalLoopLogger & { errors: { obj: object; msg?: string }[] } {
  const errors: { obj: object; msg?: string }[] = [];
  return { errors, error: (obj, msg) => void errors.push({ obj, msg }) };
}

describe('startIntervalLoop', () => {
  it('runs every interval; stop() ends it', async () => {
    let runs = 0;
    const t0 = Date.now();
    const loop = startIntervalLoop({ name: 'tick', intervalMs: 10, run: () => void runs++, log: recorder() });
    await until(() => runs >= 3);
    await loop.stop();
    const atStop = runs;
    assert.ok(atStop >= 3, `ran ${atStop} times`);
    assert.ok(Date.now() - t0 >= 25, 'three runs 10 ms apart take at least 25 ms (the first waits an interval)');
    await sleep(40);
    assert.equal(runs, atStop);
    assert.equal(loop.stopped, true);
  });

  it('runAtStart runs at once; without it the first run waits an interval', async () => {
    let eager = 0;
    let lazy = 0;
    const a = startIntervalLoop({ name: 'eager', intervalMs: 1000, run: () => void eager++, log: recorder(), runAtStart: true });
    const b = startIntervalLoop({ name: 'lazy', intervalMs: 1000, run: () => void lazy++, log: recorder() });
    await sleep(10);
    await Promise.all([a.stop(), b.stop()]);
    assert.deepEqual([eager, lazy], [1, 0]);
  });

  it('never overlaps: ticks while a run is in progress are skipped', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const loop = startIntervalLoop({
      name: 'slow',
      intervalMs: 5,
      log: recorder(),
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(30);
        active--;
        runs++;
      },
    });
    await sleep(100);
    await loop.stop();
    assert.equal(maxActive, 1);
    assert.ok(runs >= 2, `ran ${runs} times`);
    assert.ok(loop.skipped > 0);
  });

  it('errors and rejections are logged, not thrown, and the loop goes on', async () => {
    const log = recorder();
    let n = 0;
    const loop = startIntervalLoop({
      name: 'policy cycle',
      intervalMs: 5,
      log,
      runAtStart: true,
      run: () => {
        n++;
        if (n === 1) throw new Error('sync boom');
        if (n === 2) return Promise.reject(new Error('async boom'));
        return undefined;
      },
    });
    await until(() => n >= 3);
    await loop.stop();
    assert.ok(n >= 3);
    assert.deepEqual(log.errors.slice(0, 2), [
      { obj: { err: 'sync boom', loop: 'policy cycle' }, msg: 'policy cycle failed' },
      { obj: { err: 'async boom', loop: 'policy cycle' }, msg: 'policy cycle failed' },
    ]);
  });

  it('stop() waits for the run in progress', async () => {
    let finished = false;
    const loop = startIntervalLoop({
      name: 'long',
      intervalMs: 1000,
      log: recorder(),
      runAtStart: true,
      run: async () => {
        await sleep(30);
        finished = true;
      },
    });
    await sleep(5);
    await loop.stop();
    assert.equal(finished, true);
  });

  it('runNow runs a round at once; during a round, one more follows it (once), never overlapping', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const loop = startIntervalLoop({
      name: 'on demand',
      intervalMs: 60_000,
      log: recorder(),
      run: () => {
        runs++;
        return new Promise<void>((r) => (release = r));
      },
    });
    loop.runNow();
    await until(() => runs === 1);
    loop.runNow();
    loop.runNow();
    assert.equal(runs, 1, 'not while a round runs');
    release();
    await until(() => runs === 2);
    release();
    await sleep(20);
    assert.equal(runs, 2, 'the calls during the round made one more, not two');
    await loop.stop();
    loop.runNow();
    assert.equal(runs, 2, 'nothing after stop()');
  });

  it('phase() moves the ticks to that place of the interval on the wall clock', async () => {
    const ticks: number[] = [];
    const loop = startIntervalLoop({ name: 'turns', intervalMs: 400, run: () => void ticks.push(Date.now()), log: recorder() });
    loop.phase(-100); // the same place as 300
    assert.equal(loop.offsetMs, 300);
    await until(() => ticks.length >= 3);
    await loop.stop();
    // timers fire late on a loaded machine (and a millisecond early against Date.now): each tick near a time ≡ 300 (mod 400)
    for (const t of ticks) {
      const late = (((t - 300) % 400) + 400) % 400;
      assert.ok(late < 150 || late > 395, `tick at ${t % 400} ms of the interval, not 300`);
    }
    for (let i = 1; i < ticks.length; i++) assert.ok((ticks[i] as number) - (ticks[i - 1] as number) >= 200, 'never two ticks within half an interval');
  });

  it('a timer that fires a little early by the clock, or late, makes no extra tick and skips none', async () => {
    // the loop's clock runs 5 ms behind the timers: each timer fires when it still reads 5 ms before the tick's time
    const ticks: number[] = [];
    const behind = startIntervalLoop({ name: 'early', intervalMs: 200, run: () => void ticks.push(Date.now()), log: recorder(), now: () => Date.now() - 5 });
    await until(() => ticks.length >= 4);
    await behind.stop();
    for (let i = 1; i < ticks.length; i++) assert.ok((ticks[i] as number) - (ticks[i - 1] as number) >= 150, `ticks ${ticks.map((t) => t - (ticks[0] as number)).join(', ')} ms`);
    // a round that blocks the event loop 650 ms makes the next timer fire 250 ms late; the one after keeps its place
    const late: number[] = [];
    const blocking = startIntervalLoop({
      name: 'late',
      intervalMs: 400,
      log: recorder(),
      run: () => {
        late.push(Date.now());
        if (late.length === 1) for (const t0 = Date.now(); Date.now() - t0 < 650; );
      },
    });
    await until(() => late.length >= 3);
    await blocking.stop();
    const [a, , c] = late as [number, number, number];
    assert.ok(c - a < 2 * 400 + 150, `the third tick ${c - a} ms after the first: a slot was skipped`);
  });
});

describe('nextTickAt', () => {
  it('is the next time at the offset, after now', () => {
    assert.equal(nextTickAt(10_050, 0, 1000, 0), 11_000);
    assert.equal(nextTickAt(10_050, 400, 1000, 0), 10_400);
    assert.equal(nextTickAt(10_400, 400, 1000, 0), 11_400, 'not now itself');
    assert.equal(nextTickAt(10_050, -600, 1000, 0), 10_400, 'a negative offset counts from the end');
    assert.equal(nextTickAt(10_050, 2400, 1000, 0), 10_400, 'an offset past the interval wraps');
  });

  it('after a move, comes at least half an interval after the last tick', () => {
    // ticked at 10,000; moved to offset 100: 10,100 is too soon, 11,100 it is
    assert.equal(nextTickAt(10_001, 100, 1000, 10_000), 11_100);
    assert.equal(nextTickAt(10_001, 500, 1000, 10_000), 10_500, 'half an interval later is soon enough');
    assert.equal(nextTickAt(10_001, 0, 1000, 10_000), 11_000, 'the place it had');
  });
});
