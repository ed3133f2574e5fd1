import type { Redis } from 'ioredis';
import type { MigrationRecord } from '@ballast/domain';
import { MIGRATION_HISTORY_MS } from '@ballast/cycle';

const KEY = 'ballast:migrations';

/**
 * The moves of VMs between hosts the engine saw, kept in Redis (a sorted set by time) for 24 h, so the
 * cluster policy's cool-downs survive an engine restart.
 */
export class MigrationHistory {
  constructor(private readonly redis: Redis) {}

  async load(nowMs: number): Promise<MigrationRecord[]> {
    await this.redis.zremrangebyscore(KEY, '-inf', String(nowMs - MIGRATION_HISTORY_MS));
    const raw = await this.redis.zrange(KEY, '0', '-1');
    return raw.map((r) => JSON.parse(r) as MigrationRecord);
  }

  async add(m: MigrationRecord): Promise<void> {
    await this.redis.zadd(KEY, m.atMs, JSON.stringify(m));
    await this.redis.zremrangebyscore(KEY, '-inf', String(m.atMs - MIGRATION_HISTORY_MS));
  }
}
