/**
 * Webhook subscriptions, kept in Redis (one hash, id → JSON) so every engine replica delivers to the same
 * ones and they survive a restart. The secret is kept as given (it keys the HMAC of every delivery, so it
 * cannot be stored hashed); the API shows it once, at creation, and never lists it.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EventType } from './event-types.js';

export const WEBHOOKS_KEY = 'ballast:webhooks';

export interface Webhook {
  id: string;
  url: string;
  types: EventType[];
  secret: string;
  createdAtMs: number;
  /** The token id that created it. */
  createdBy: string;
  /**
   * The id of the newest event in the stream when it was created: it gets the events after that one only (a
   * dispatcher resuming from an older place does not send it what happened before it existed). Absent on webhooks
   * made before this field: they get every event dispatched.
   */
  afterEventId?: string;
}

/** A webhook as the API lists it: everything but the secret. */
export function webhookJson(w: Webhook) {
  return { id: w.id, url: w.url, types: w.types, createdAt: new Date(w.createdAtMs).toISOString(), createdBy: w.createdBy };
}

export class WebhookStore {
  /** Webhooks created or deleted through this store (this replica): the dispatcher reads the list again at once. */
  changes = 0;
  /** Called after a webhook is created or deleted through this store. */
  onChange: (() => void) | undefined;

  /** `position`: the id of the event stream's newest entry (a new webhook's `afterEventId`). */
  constructor(
    private readonly redis: Redis,
    private readonly now: () => number = Date.now,
    private readonly position?: () => Promise<string>,
  ) {}

  async list(): Promise<Webhook[]> {
    const all = Object.values(await this.redis.hgetall(WEBHOOKS_KEY)).map((v) => JSON.parse(v) as Webhook);
    return all.sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<Webhook | undefined> {
    const v = await this.redis.hget(WEBHOOKS_KEY, id);
    return v ? (JSON.parse(v) as Webhook) : undefined;
  }

  /** Stores a new webhook; without a secret, one is generated (returned here, shown once). */
  async create(w: { url: string; types: EventType[]; secret?: string }, createdBy: string): Promise<Webhook> {
    const hook: Webhook = {
      id: `wh_${randomBytes(9).toString('base64url')}`,
      url: w.url,
      types: w.types,
      secret: w.secret ?? `whsec_${randomBytes(24).toString('base64url')}`,
      createdAtMs: this.now(),
      createdBy,
    };
    if (this.position) hook.afterEventId = await this.position();
    await this.redis.hset(WEBHOOKS_KEY, hook.id, JSON.stringify(hook));
    this.changes++;
    this.onChange?.();
    return hook;
  }

  /** True when it existed. */
  async delete(id: string): Promise<boolean> {
    const deleted = (await this.redis.hdel(WEBHOOKS_KEY, id)) === 1;
    this.changes++;
    this.onChange?.();
    return deleted;
  }
}
