import type { Redis } from 'ioredis';

const KEY = 'ballast:maintenance';

export interface MaintenanceEntry {
  hostId: string;
  sinceMs: number;
  reason: string;
}

/**
 * Hosts in maintenance mode, kept in Redis (a hash: host id → {sinceMs, reason}) so they survive an engine
 * restart and every engine replica sees them; read back each cycle. The cluster policy evacuates such a host
 * and moves nothing onto it.
 */
export class MaintenanceStore {
  private entries = new Map<string, MaintenanceEntry>();

  constructor(private readonly redis: Redis) {}

  async refresh(): Promise<void> {
    const raw = await this.redis.hgetall(KEY);
    this.entries = new Map(Object.entries(raw).map(([h, v]) => [h, { hostId: h, ...(JSON.parse(v) as { sinceMs: number; reason: string }) }]));
  }

  maintenance(hostId: string): boolean {
    return this.entries.has(hostId);
  }

  get(hostId: string): MaintenanceEntry | undefined {
    return this.entries.get(hostId);
  }

  async set(hostId: string, on: boolean, reason: string, nowMs: number): Promise<MaintenanceEntry | undefined> {
    if (on) {
      const e = this.entries.get(hostId) ?? { hostId, sinceMs: nowMs, reason };
      e.reason = reason || e.reason;
      await this.redis.hset(KEY, hostId, JSON.stringify({ sinceMs: e.sinceMs, reason: e.reason }));
      this.entries.set(hostId, e);
      return e;
    }
    await this.redis.hdel(KEY, hostId);
    this.entries.delete(hostId);
    return undefined;
  }
}
