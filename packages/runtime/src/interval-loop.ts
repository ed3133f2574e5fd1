/** The logger method the loop uses; a pino Logger fits. */
export interface IntervalLoopLogger {
  error(obj: object, msg?: string): void;
}

export interface IntervalLoopOptions {
  /** Names the loop in log lines, e.g. 'collection' or 'policy cycle'. */
  name: string;
  intervalMs: number;
  /** One round of work. A round still running when the next tick comes makes that tick a no-op. */
  run: () => unknown;
  /** Where a failed round is reported (`<name> failed`); the loop goes on. */
  log: IntervalLoopLogger;
  /** Run once at once instead of waiting for the first interval. Default false. */
  runAtStart?: boolean;
  /** Wall-clock time, ms; default Date.now (a test's clock that runs behind the timers). */
  now?: () => number;
}

export interface IntervalLoop {
  /** Stops ticking and resolves when the round in progress (if any) has settled. */
  stop(): Promise<void>;
  /**
   * Runs a round now, out of turn (something happened that should not wait for the next tick, e.g. a VM
   * crashed). During a round, the next one starts as soon as it ends (once, however often this is called).
   */
  runNow(): void;
  /**
   * Moves the ticks to the wall-clock times t with (t − offsetMs) mod intervalMs = 0, from the next one on, so
   * processes on the same interval can take turns (the engine's replicas: docs/replicas.md). The first tick at the
   * new place comes at least half an interval after the last one: a move never makes two rounds close together.
   */
  phase(offsetMs: number): void;
  /** Where the ticks are now: ms past each multiple of the interval (wall clock). */
  readonly offsetMs: number;
  /** Ticks skipped because the previous round was still running. */
  readonly skipped: number;
  readonly stopped: boolean;
}

/**
 * The next tick of a loop ticking at (t − offsetMs) mod intervalMs = 0: the first such time after `now` and at
 * least half an interval after `lastTickMs` (after a move of the offset: the last tick; else -Infinity).
 */
export function nextTickAt(now: number, offsetMs: number, intervalMs: number, lastTickMs = -Infinity): number {
  const off = ((offsetMs % intervalMs) + intervalMs) % intervalMs;
  let at = Math.floor((now - off) / intervalMs) * intervalMs + off;
  while (at <= now || at - lastTickMs < intervalMs / 2) at += intervalMs;
  return at;
}

/**
 * Runs `run` every `intervalMs`, never two rounds at once; an error or rejection is logged, never thrown. The ticks
 * keep to the wall clock (no drift), and `phase()` moves them to a given place in the interval.
 *
 *   const loop = startIntervalLoop({ name: 'policy cycle', intervalMs: config.cycleMs, run: () => cycle.run(), log });
 *   shutdown.add('policy cycle', () => loop.stop());
 */
export function startIntervalLoop(o: IntervalLoopOptions): IntervalLoop {
  let current: Promise<void> | undefined;
  let skipped = 0;
  let stopped = false;
  let again = false;
  const now = o.now ?? Date.now;
  const started = now();
  // Without a phase() the ticks keep their place from the start: every interval after it, as setInterval would.
  let offsetMs = started % o.intervalMs;
  let lastTickMs = started;
  // The next tick comes after the one just due, even when the timer fires a little before it by `now`'s clock
  let dueMs = started;
  // After a move of the offset only: the next tick comes at least half an interval after the last one
  let guardMs = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    const t = now();
    const at = nextTickAt(Math.max(t, dueMs), offsetMs, o.intervalMs, guardMs);
    timer = setTimeout(() => {
      dueMs = at;
      guardMs = -Infinity;
      lastTickMs = now();
      tick();
      schedule();
    }, at - t);
  };
  const tick = () => {
    if (stopped) return;
    if (current) {
      skipped++;
      return;
    }
    current = Promise.resolve()
      .then(o.run)
      .then(
        () => undefined,
        (err: unknown) => o.log.error({ err: err instanceof Error ? err.message : String(err), loop: o.name }, `${o.name} failed`),
      )
      .finally(() => {
        current = undefined;
        if (again) {
          again = false;
          tick();
        }
      });
  };
  schedule();
  if (o.runAtStart) tick();
  return {
    phase(ms) {
      const off = ((ms % o.intervalMs) + o.intervalMs) % o.intervalMs;
      if (off === offsetMs || stopped) return;
      offsetMs = off;
      guardMs = lastTickMs;
      clearTimeout(timer);
      schedule();
    },
    get offsetMs() {
      return offsetMs;
    },
    runNow() {
      if (current) again = true;
      else tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
    get skipped() {
      return skipped;
    },
    get stopped() {
      return stopped;
    },
  };
}
