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
}

export interface IntervalLoop {
  /** Stops ticking and resolves when the round in progress (if any) has settled. */
  stop(): Promise<void>;
  /**
   * Runs a round now, out of turn (something happened that should not wait for the next tick, e.g. a VM
   * crashed). During a round, the next one starts as soon as it ends (once, however often this is called).
   */
  runNow(): void;
  /** Ticks skipped because the previous round was still running. */
  readonly skipped: number;
  readonly stopped: boolean;
}

/**
 * Runs `run` every `intervalMs`, never two rounds at once; an error or rejection is logged, never thrown.
 *
 *   const loop = startIntervalLoop({ name: 'policy cycle', intervalMs: config.cycleMs, run: () => cycle.run(), log });
 *   shutdown.add('policy cycle', () => loop.stop());
 */
export function startIntervalLoop(o: IntervalLoopOptions): IntervalLoop {
  let current: Promise<void> | undefined;
  let skipped = 0;
  let stopped = false;
  let again = false;
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
  const timer = setInterval(tick, o.intervalMs);
  if (o.runAtStart) tick();
  return {
    runNow() {
      if (current) again = true;
      else tick();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
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
