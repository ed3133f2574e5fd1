import type { Redis } from 'ioredis';

export interface Hold {
  resource: string;
  untilMs: number;
  jobId?: string;
}

const KEY = 'ballast:holds';

/**
 * Manual jobs hold a VM's resource against policies for a while. Kept in memory for the cycle's
 * reads and written through to Redis (when given) so a restart of the engine keeps them.
 */
export class HoldStore {
  private readonly holds = new Map<string, Hold>();

  constructor(private readonly redis?: Redis) {}

  async load(now: number): Promise<void> {
    if (!this.redis) return;
    const all = await this.redis.hgetall(KEY);
    const expired: string[] = [];
    for (const [field, json] of Object.entries(all)) {
      const h = JSON.parse(json) as Hold;
      if (h.untilMs > now) this.holds.set(field, h);
      else expired.push(field);
    }
    if (expired.length) await this.redis.hdel(KEY, ...expired);
  }

  async add(vmUuid: string, hold: Hold): Promise<void> {
    const field = `${vmUuid}/${hold.resource}`;
    this.holds.set(field, hold);
    if (this.redis) await this.redis.hset(KEY, field, JSON.stringify(hold));
  }

  active(vmUuid: string, now: number): { resource: string; untilMs: number }[] {
    const out: { resource: string; untilMs: number }[] = [];
    for (const [field, h] of this.holds) {
      if (field.startsWith(`${vmUuid}/`) && h.untilMs > now) out.push({ resource: h.resource, untilMs: h.untilMs });
    }
    return out.sort((a, b) => a.resource.localeCompare(b.resource));
  }

  isHeld(vmUuid: string, resource: string, now: number): boolean {
    const h = this.holds.get(`${vmUuid}/${resource}`);
    return h !== undefined && h.untilMs > now;
  }
}
