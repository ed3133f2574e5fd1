import type { Redis } from 'ioredis';
import { HoldBook, type Hold } from '@ballast/cycle';

const KEY = 'ballast:holds';

/**
 * Manual jobs hold their target's resource against policies for a while. Kept in memory (HoldBook) for
 * the cycle's reads and written through to Redis (when given) so a restart of the engine keeps them, and
 * read back from Redis every cycle (refresh): a manual job sent to one engine replica holds its target on
 * the replica that decides for its host too.
 */
export class HoldStore extends HoldBook {
  /** Bumped by each change made here: a read of Redis that overlaps one does not replace the book (it merges). */
  private changes = 0;

  constructor(private readonly redis?: Redis) {
    super();
  }

  async load(nowMs: number): Promise<void> {
    if (!this.redis) return;
    const before = this.changes;
    const all = await this.redis.hgetall(KEY);
    if (this.changes === before) this.clear();
    for (const [field, json] of Object.entries(all)) this.restore(field, JSON.parse(json) as Hold);
    const expired = this.expire(nowMs);
    if (expired.length) await this.redis.hdel(KEY, ...expired);
  }

  /** The book becomes what Redis holds (every replica adds holds there). */
  refresh(nowMs: number): Promise<void> {
    return this.load(nowMs);
  }

  /** `targetKey`: the VM's UUID, or `host:<id>` (targetKeyOf). */
  async add(targetKey: string, hold: Hold): Promise<void> {
    this.changes++;
    const field = this.set(targetKey, hold);
    if (this.redis) await this.redis.hset(KEY, field, JSON.stringify(hold));
  }

  /** Ends the hold a cancelled job put on its target's resource (not one a later job holds now); true when one ended. */
  async releaseJob(targetKey: string, resource: string, jobId: string): Promise<boolean> {
    this.changes++;
    const field = this.release(targetKey, resource, jobId);
    if (field !== undefined && this.redis) await this.redis.hdel(KEY, field);
    return field !== undefined;
  }
}
