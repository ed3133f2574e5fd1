import type { Redis } from 'ioredis';
import { Mutex } from 'redis-semaphore';

/** What host ownership logs. */
export interface LeaseLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface HostLeasesOptions {
  /** This replica's name in Redis (unique per process). */
  replicaId: string;
  /** A lease lives this long without a refresh: a dead replica's hosts are free again after it. */
  ttlMs: number;
  now: () => number;
  log: LeaseLog;
}

export const ENGINES_KEY = 'ballast:engines';
const leaseKey = (hostId: string) => `ballast:host-lease:${hostId}`;

/**
 * Which hosts this engine replica decides for. Each host has a lease in Redis (a redis-semaphore mutex with a
 * TTL, refreshed in the background). A replica decides for the hosts whose samples it receives (a collector
 * streams to one replica at a time, docs/replicas.md): it takes the lease of each such host that is free,
 * and gives back those it no longer hears from, so the replica their collector moved to takes them at once.
 * When two replicas hear from a host (a collector that just moved), the lease keeps one decider; a replica
 * that dies stops refreshing, and its leases lapse after `ttlMs`. The replicas alive beat in the sorted set
 * `ballast:engines` (for /healthz and the operator).
 */
export class HostLeases {
  private readonly held = new Map<string, Mutex>();

  constructor(
    private readonly redis: Redis,
    private readonly o: HostLeasesOptions,
  ) {}

  /** The hosts this replica holds now. */
  owned(): ReadonlySet<string> {
    return new Set([...this.held].filter(([, m]) => m.isAcquired).map(([h]) => h));
  }

  owns(hostId: string): boolean {
    return this.held.get(hostId)?.isAcquired === true;
  }

  /** The replicas alive now (their heartbeat within the TTL), this one included once it has beaten. */
  async replicas(): Promise<string[]> {
    return this.redis.zrangebyscore(ENGINES_KEY, this.o.now() - this.o.ttlMs, '+inf');
  }

  /**
   * One round (every cycle), with the hosts this replica has fresh samples of: beat, drop leases lost, give
   * back those of other hosts, take the free ones of these. Returns the hosts held after it.
   */
  async balance(hostIds: readonly string[]): Promise<ReadonlySet<string>> {
    const now = this.o.now();
    await this.redis.multi().zadd(ENGINES_KEY, now, this.o.replicaId).zremrangebyscore(ENGINES_KEY, '-inf', now - 10 * this.o.ttlMs).exec();
    for (const [h, m] of this.held) if (!m.isAcquired) this.drop(h, 'lost');
    const heard = new Set(hostIds);
    for (const h of [...this.held.keys()].filter((x) => !heard.has(x))) await this.release(h, 'no fresh samples of it here');
    for (const h of hostIds) {
      if (this.held.has(h)) continue;
      const m = this.mutex(h);
      if (await m.tryAcquire().catch(() => false)) {
        this.held.set(h, m);
        this.o.log.info({ hostId: h, replica: this.o.replicaId }, `decides for host ${h} now`);
      }
    }
    return this.owned();
  }

  /** Gives every lease back (shutdown): the other replicas take the hosts at once. */
  async releaseAll(): Promise<void> {
    for (const h of [...this.held.keys()]) await this.release(h, 'shutting down');
    await this.redis.zrem(ENGINES_KEY, this.o.replicaId).catch(() => 0);
  }

  private mutex(hostId: string): Mutex {
    return new Mutex(this.redis, leaseKey(hostId), {
      lockTimeout: this.o.ttlMs,
      refreshInterval: Math.max(100, Math.floor(this.o.ttlMs / 3)),
      acquireAttemptsLimit: 1,
      identifier: `${this.o.replicaId}:${hostId}`,
      onLockLost: (err) => this.o.log.warn({ hostId, err: err.message }, `lost the lease of host ${hostId}: another replica decides for it`),
    });
  }

  private async release(hostId: string, why: string): Promise<void> {
    const m = this.held.get(hostId);
    this.held.delete(hostId);
    if (m?.isAcquired) await m.release().catch(() => undefined);
    this.o.log.info({ hostId, why }, `gave up host ${hostId}: ${why}`);
  }

  private drop(hostId: string, why: string): void {
    this.held.delete(hostId);
    this.o.log.info({ hostId, why }, `no longer decides for host ${hostId}: ${why}`);
  }
}
