import type { Redis } from 'ioredis';
import { Mutex } from 'redis-semaphore';
import type { Logger } from 'pino';

/**
 * The cluster-wide lease: policies that decide for the whole cluster (cluster-balance) run only on the
 * engine that holds it. A Redis mutex (redis-semaphore) with a TTL, refreshed in the background; another
 * replica takes it over once the holder stops refreshing (crash: after the TTL).
 */
export class ClusterLease {
  private readonly mutex: Mutex;
  private held = false;

  constructor(
    redis: Redis,
    private readonly o: { ttlMs: number; identifier: string; log: Logger },
  ) {
    this.mutex = new Mutex(redis, 'ballast:cluster-lease', {
      lockTimeout: o.ttlMs,
      refreshInterval: Math.max(100, Math.floor(o.ttlMs / 3)),
      acquireAttemptsLimit: 1,
      identifier: o.identifier,
      onLockLost: (err) => {
        this.held = false;
        o.log.warn({ err: err.message }, 'lost the cluster lease: cluster-wide policies stop here until it is held again');
      },
    });
  }

  /** Holds the lease after this call, or not; says so when that changes. */
  async ensure(): Promise<boolean> {
    if (this.held && this.mutex.isAcquired) return true;
    const got = await this.mutex.tryAcquire().catch(() => false);
    if (got !== this.held) this.o.log.info({ lease: got }, got ? 'holds the cluster lease: cluster-wide policies run here' : 'another engine holds the cluster lease');
    this.held = got;
    return got;
  }

  get isHeld(): boolean {
    return this.held;
  }

  async release(): Promise<void> {
    if (this.held) await this.mutex.release().catch(() => undefined);
    this.held = false;
  }
}
