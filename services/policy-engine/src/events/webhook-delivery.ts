/**
 * Webhook delivery. While there are webhooks, a dispatcher follows the event stream and, for each event, adds one
 * BullMQ job per webhook that wants its type and existed when it was published to the queue `ballast-webhooks`; a
 * worker POSTs it, signed (webhook-signature.ts). A 2xx is success; anything else (another status, a timeout, a refused
 * connection) is retried with exponential backoff, up to `attempts` tries in all. The jobs live in Redis, so
 * retries survive an engine restart; the dispatcher keeps its place in the stream in Redis too, so events
 * published while no engine ran are still delivered when one starts (while the replay buffer holds them).
 * Job ids are `<webhook>-<event id>`: engine replicas that dispatch the same event add one job, not two.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { QUEUE_PREFIX } from '@ballast/queue';
import type { EventStream } from './event-stream.js';
import { compareEventIds, eventJson, type BallastEvent } from './event-types.js';
import { signWebhook } from './webhook-signature.js';
import type { Webhook, WebhookStore } from './webhook-store.js';

export const WEBHOOK_QUEUE = 'ballast-webhooks';
const CURSOR_KEY = 'ballast:webhooks:cursor';
/**
 * The dispatcher reads the webhook list at most this often and saves its place in the stream at most this often (and
 * at close). It used to do both for every event, two Redis round trips each: at 60 hosts a replica publishes
 * thousands of events a cycle, and this was 9 % of its CPU. A webhook created or deleted through this replica is seen
 * at once, through another replica within this time; after a crash
 * the events since the last saved place are dispatched again, and their job ids (`<webhook>-<event id>`) make that
 * add nothing twice.
 */
export const DISPATCH_REFRESH_MS = 500;

export interface WebhookDeliveryOptions {
  /** Tries per delivery, the first included (default 8). */
  attempts?: number;
  /** The first retry's delay; each next one doubles (default 5000 ms: 5 s, 10 s, 20 s … ~10 min in all). */
  backoffMs?: number;
  /** Per request (default 10,000 ms). */
  timeoutMs?: number;
  concurrency?: number;
  registry: Registry;
  log: Pick<Logger, 'warn' | 'info'>;
}

interface DeliveryData {
  webhookId: string;
  event: ReturnType<typeof eventJson>;
}

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'dropped';

export class WebhookDelivery {
  private readonly queue: Queue<DeliveryData>;
  private worker: Worker<DeliveryData> | undefined;
  private unsubscribe: (() => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  private syncing: Promise<void> = Promise.resolve();
  private events: EventStream | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private hooks: { readAtMs: number; changes: number; list: Webhook[] } | undefined;
  private cursor: { id: string; savedAtMs: number; saved: boolean } | undefined;
  private readonly counter: Counter<'outcome'>;
  private readonly o: Required<Omit<WebhookDeliveryOptions, 'registry' | 'log'>> & Pick<WebhookDeliveryOptions, 'log'>;

  constructor(
    private readonly redis: Redis,
    private readonly store: WebhookStore,
    o: WebhookDeliveryOptions,
  ) {
    this.o = { attempts: 8, backoffMs: 5000, timeoutMs: 10_000, concurrency: 4, ...o };
    this.queue = new Queue<DeliveryData>(WEBHOOK_QUEUE, { connection: redis, prefix: QUEUE_PREFIX });
    // Without a listener BullMQ prints each error (Redis away) to stderr, stack and all; they are the
    // client's errors, which the engine's 'redis error' line logs already.
    this.queue.on('error', () => {});
    this.counter = new Counter({
      name: 'ballast_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: delivered (2xx), retrying (failed, will retry), failed (gave up after the last attempt), dropped (its webhook was deleted).',
      labelNames: ['outcome'],
      registers: [o.registry],
    });
  }

  get attempts(): number {
    return this.o.attempts;
  }

  /**
   * Starts the worker, and the dispatcher while there are webhooks: it follows the stream (from where the last one
   * stopped) only then, so an engine with no webhook does not decode every event of every replica. The list is
   * read every DISPATCH_REFRESH_MS, and at once after a change through this replica.
   */
  async start(events: EventStream): Promise<void> {
    this.worker = new Worker<DeliveryData>(WEBHOOK_QUEUE, (job) => this.deliver(job), { connection: this.redis, prefix: QUEUE_PREFIX, concurrency: this.o.concurrency });
    this.worker.on('error', (e) => this.o.log.warn({ err: e.message }, 'webhooks: worker error'));
    this.events = events;
    this.store.onChange = () => void this.sync();
    await this.sync();
    this.timer = setInterval(() => void this.sync(), DISPATCH_REFRESH_MS);
    this.timer.unref();
  }

  /** True while the dispatcher follows the stream (there are webhooks). */
  get following(): boolean {
    return this.unsubscribe !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.store.onChange = undefined;
    await this.syncing;
    this.unsubscribe?.();
    await this.chain;
    await this.saveCursor().catch(() => undefined);
    await this.worker?.close();
    await this.queue.close();
  }

  /** Reads the webhook list; follows the stream from the saved place when there are webhooks, stops when none. */
  private sync(): Promise<void> {
    this.syncing = this.syncing
      .then(async () => {
        if (this.closed || !this.events) return;
        const changes = this.store.changes;
        const list = await this.store.list();
        this.hooks = { readAtMs: Date.now(), changes, list };
        if (list.length > 0 && !this.unsubscribe && !this.closed) {
          const from = resumeAfter(await this.redis.get(CURSOR_KEY), list);
          this.unsubscribe = await this.events.subscribe(from ? { afterId: from } : {}, (e) => {
            this.chain = this.chain.then(() => this.dispatch(e)).catch((err: Error) => this.o.log.warn({ err: err.message, event: e.id }, 'webhooks: could not queue a delivery'));
          });
        } else if (list.length === 0 && this.unsubscribe) {
          this.unsubscribe();
          this.unsubscribe = undefined;
          await this.chain;
          await this.saveCursor();
        }
      })
      .catch((err: Error) => this.o.log.warn({ err: err.message }, 'webhooks: could not read the webhook list'));
    return this.syncing;
  }

  /** Queues the event for every webhook that wants its type. */
  async dispatch(e: BallastEvent, nowMs = Date.now()): Promise<void> {
    if (!this.hooks || this.hooks.changes !== this.store.changes || nowMs - this.hooks.readAtMs >= DISPATCH_REFRESH_MS) {
      const changes = this.store.changes;
      this.hooks = { readAtMs: nowMs, changes, list: await this.store.list() };
    }
    // a webhook gets only the events after its creation (a dispatcher resuming from an older place replays those)
    const hooks = this.hooks.list.filter((w) => w.types.includes(e.type) && (w.afterEventId === undefined || compareEventIds(e.id, w.afterEventId) > 0));
    for (const w of hooks) {
      await this.queue.add('deliver', { webhookId: w.id, event: eventJson(e) }, {
        jobId: `${w.id}-${e.id}`,
        attempts: this.o.attempts,
        backoff: { type: 'exponential', delay: this.o.backoffMs },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
      });
    }
    const last = this.cursor?.savedAtMs ?? -Infinity;
    this.cursor = { id: e.id, savedAtMs: last, saved: false };
    if (nowMs - last >= DISPATCH_REFRESH_MS) {
      this.cursor.savedAtMs = nowMs;
      await this.saveCursor();
    }
  }

  /** Saves the place of the last event dispatched, when not saved yet. */
  private async saveCursor(): Promise<void> {
    const c = this.cursor;
    if (!c || c.saved) return;
    c.saved = true;
    await this.redis.set(CURSOR_KEY, c.id);
  }

  private async deliver(job: Job<DeliveryData>): Promise<DeliveryOutcome> {
    const hook = await this.store.get(job.data.webhookId);
    if (!hook) return this.count('dropped');
    try {
      await post(hook, job, this.o.timeoutMs);
      return this.count('delivered');
    } catch (e) {
      const last = job.attemptsMade + 1 >= this.o.attempts;
      this.count(last ? 'failed' : 'retrying');
      if (last) this.o.log.warn({ webhook: hook.id, url: hook.url, delivery: job.id, err: (e as Error).message }, `webhooks: gave up after ${this.o.attempts} attempts`);
      throw e;
    }
  }

  private count(outcome: DeliveryOutcome): DeliveryOutcome {
    this.counter.inc({ outcome });
    return outcome;
  }
}

/**
 * Where the dispatcher resumes: after the saved place, or after the oldest webhook's creation when that is later
 * (what came before it concerns no webhook); with no saved place, from the oldest webhook's creation; from now when
 * neither is known (webhooks made before `afterEventId` existed, no place saved).
 */
export function resumeAfter(cursor: string | null, hooks: readonly Webhook[]): string | undefined {
  const since = hooks.some((w) => w.afterEventId === undefined) ? undefined : hooks.map((w) => w.afterEventId as string).sort(compareEventIds)[0];
  if (!cursor) return since;
  return since !== undefined && compareEventIds(since, cursor) > 0 ? since : cursor;
}

/** One signed POST; throws unless the answer is a 2xx (redirects are not followed). */
async function post(hook: Webhook, job: Job<DeliveryData>, timeoutMs: number): Promise<void> {
  const body = JSON.stringify(job.data.event);
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(hook.url, {
    method: 'POST',
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: {
      'content-type': 'application/json',
      'user-agent': 'ballast-webhooks/1',
      'x-ballast-event': `${job.data.event.type}.${job.data.event.action}`,
      'x-ballast-delivery': job.id ?? '',
      'x-ballast-timestamp': String(ts),
      'x-ballast-signature': signWebhook(hook.secret, ts, body),
    },
  });
  await res.body?.cancel();
  if (res.status < 200 || res.status >= 300) throw new Error(`${hook.url} answered HTTP ${res.status}`);
}
