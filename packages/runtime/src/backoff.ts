export interface BackoffOptions {
  /** First delay, and the floor of every delay. */
  minMs: number;
  /** Ceiling of every delay. */
  maxMs: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
  /** Fraction of each delay drawn at random (0 = none, 0.5 = up to half shorter). Default 0.2. */
  jitter?: number;
  /** Default Math.random; tests pass a fixed one. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter: `next()` gives the delay before the next attempt (minMs, then growing by
 * `factor` up to maxMs, each shortened by a random part of up to `jitter` so that many clients do not retry
 * in step); `reset()` after a success starts again from minMs.
 *
 *   const backoff = new Backoff({ minMs: 500, maxMs: 10_000 });
 *   setTimeout(retry, backoff.next());   // on failure
 *   backoff.reset();                     // on success
 */
export class Backoff {
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(private readonly o: BackoffOptions) {
    if (!(o.minMs > 0) || !(o.maxMs >= o.minMs)) throw new RangeError(`backoff: need 0 < minMs <= maxMs (got ${o.minMs}, ${o.maxMs})`);
    this.factor = o.factor ?? 2;
    this.jitter = Math.min(Math.max(o.jitter ?? 0.2, 0), 1);
    this.random = o.random ?? Math.random;
  }

  /** The delay (ms) before the next attempt; each call counts one more failed attempt. */
  next(): number {
    const baseMs = Math.min(this.o.maxMs, this.o.minMs * this.factor ** this.failures);
    this.failures++;
    return Math.round(Math.max(this.o.minMs, baseMs * (1 - this.jitter * this.random())));
  }

  /** Back to the first delay (after a success). */
  reset(): void {
    this.failures = 0;
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.failures;
  }
}
