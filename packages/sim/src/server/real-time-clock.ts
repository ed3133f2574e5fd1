/**
 * Makes a SimCluster's clock follow real time: every tickMs it advances the cluster to
 * `now() − cluster.epochSec·1000`, so the simulated wall clock (SimCluster.wallClockMs, what guests stamp their
 * balloon stats with) is the real one. Build the cluster with epochSec = the start time in seconds. A tick
 * that falls behind (a slow step) catches up on the next; ticks never overlap.
 */
import type { SimCluster } from '../sim-cluster.js';

export interface RealTimeClockOptions {
  /** How often the cluster catches up with real time, ms. */
  tickMs: number;
  /** Real time, ms since the epoch; default Date.now. */
  now?: () => number;
  /** A tick that threw (an event listener failed); the clock runs on. */
  onError?: (err: unknown) => void;
}

export class RealTimeClock {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly now: () => number;

  constructor(
    private readonly cluster: SimCluster,
    private readonly opts: RealTimeClockOptions,
  ) {
    if (!(opts.tickMs > 0)) throw new RangeError('tickMs must be > 0');
    this.now = opts.now ?? Date.now;
  }

  /** How far the cluster's clock is behind real time, ms (0 when it is up to date). */
  get lagMs(): number {
    return Math.max(0, this.now() - this.cluster.wallClockMs);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Advances the cluster to real time now (also what each tick does). */
  catchUp(): void {
    const behindMs = Math.floor(this.now() - this.cluster.wallClockMs);
    if (behindMs > 0) this.cluster.advance(behindMs);
  }

  private tick(): void {
    try {
      this.catchUp();
    } catch (err) {
      this.opts.onError?.(err);
    }
    if (this.running) this.timer = setTimeout(() => this.tick(), this.opts.tickMs);
  }
}
