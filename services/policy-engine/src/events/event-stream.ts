/**
 * The event bus: events are appended to one Redis stream (`ballast:events`, capped at about `maxLen`
 * entries with XADD MAXLEN ~), which is also the replay buffer. One reader per engine tails the stream
 * (XREAD BLOCK on a connection of its own) and fans each event out to the local subscribers (SSE streams,
 * gRPC WatchEvents calls, the webhook dispatcher). Because the stream is in Redis, every engine replica
 * serves the same events with the same ids, and a client can resume after an engine restart.
 *
 * Resuming: a subscriber with `afterId` is first fed the stream's entries after that id (XRANGE), while
 * live events are buffered; then the buffer, less what it already got. No gap, no repeat.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { compareEventIds, type BallastEvent, type EventInput, type EventType } from './event-types.js';

export const EVENTS_KEY = 'ballast:events';

export interface EventStreamOptions {
  key?: string;
  /** About how many events the stream keeps (the replay buffer); default 10,000. */
  maxLen?: number;
  /** How long one XREAD blocks, ms; default 5000. */
  blockMs?: number;
  log?: Pick<Logger, 'warn'>;
}

export interface Subscription {
  /** Only these types; every type when absent. */
  types?: ReadonlySet<EventType>;
  /** Replay the events after this id first (from the buffer). */
  afterId?: string;
}

interface Subscriber {
  types: ReadonlySet<EventType> | undefined;
  deliver: (e: BallastEvent) => void;
  /** Called when the stream closes (engine shutdown): the subscriber ends its client's stream. */
  onEnd: (() => void) | undefined;
  /** The id of the last event it got (or saw: filtered ones count too). */
  lastId: string | undefined;
  /** Live events held while it catches up; undefined once live. */
  held: BallastEvent[] | undefined;
}

type StreamEntry = [id: string, fields: string[]];

const PAGE = 1000;

export class EventStream {
  private readonly key: string;
  private readonly maxLen: number;
  private readonly blockMs: number;
  private readonly subs = new Set<Subscriber>();
  private reader: Redis | undefined;
  private tail: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly o: EventStreamOptions = {},
  ) {
    this.key = o.key ?? EVENTS_KEY;
    this.maxLen = o.maxLen ?? 10_000;
    this.blockMs = o.blockMs ?? 5000;
  }

  /** Appends events in order; returns their ids. */
  async publish(events: readonly EventInput[]): Promise<string[]> {
    if (events.length === 0) return [];
    const p = this.redis.pipeline();
    for (const e of events) p.xadd(this.key, 'MAXLEN', '~', String(this.maxLen), '*', 'e', JSON.stringify(e));
    const out = (await p.exec()) ?? [];
    return out.map(([err, id]) => {
      if (err) throw err;
      return id as string;
    });
  }

  /** The events after `afterId` (exclusive), oldest first, at most `count`. */
  async range(afterId: string, count = PAGE): Promise<BallastEvent[]> {
    const entries = (await this.redis.xrange(this.key, `(${afterId}`, '+', 'COUNT', count)) as StreamEntry[];
    return entries.flatMap((e) => decode(e));
  }

  /** The id of the newest event in the stream, or `0-0` when it is empty. */
  async lastId(): Promise<string> {
    const [newest] = (await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)) as StreamEntry[];
    return newest?.[0] ?? '0-0';
  }

  /** Local subscribers now (SSE streams, gRPC watchers, the webhook dispatcher while there are webhooks). */
  get subscribers(): number {
    return this.subs.size;
  }

  /** Starts tailing the stream (from its newest entry) on a connection of its own. */
  async start(): Promise<void> {
    if (this.tail) return;
    const from = await this.lastId();
    this.reader = this.redis.duplicate();
    this.reader.on('error', () => undefined);
    this.tail = this.follow(this.reader, from);
  }

  /**
   * Calls `deliver` with each event the subscription asks for, in id order, until the returned function is
   * called. Resolves once a resume (`afterId`) has been replayed. `onEnd` is called if the bus closes first.
   */
  async subscribe(s: Subscription, deliver: (e: BallastEvent) => void, onEnd?: () => void): Promise<() => void> {
    const sub: Subscriber = { types: s.types, deliver, onEnd, lastId: s.afterId, held: s.afterId !== undefined ? [] : undefined };
    this.subs.add(sub);
    const stop = () => void this.subs.delete(sub);
    if (s.afterId === undefined) return stop;
    try {
      for (;;) {
        const page = await this.range(sub.lastId as string);
        for (const e of page) this.offer(sub, e);
        if (page.length < PAGE || !this.subs.has(sub)) break;
      }
    } catch (e) {
      stop();
      throw e;
    }
    const held = sub.held ?? [];
    sub.held = undefined;
    for (const e of held) this.offer(sub, e);
    return stop;
  }

  async close(): Promise<void> {
    this.closed = true;
    const subs = [...this.subs];
    this.subs.clear();
    for (const sub of subs) sub.onEnd?.();
    this.reader?.disconnect();
    await this.tail;
  }

  private offer(sub: Subscriber, e: BallastEvent): void {
    if (sub.lastId !== undefined && compareEventIds(e.id, sub.lastId) <= 0) return;
    sub.lastId = e.id;
    if (!sub.types || sub.types.has(e.type)) sub.deliver(e);
  }

  private dispatch(e: BallastEvent): void {
    for (const sub of this.subs) {
      if (sub.held) sub.held.push(e);
      else this.offer(sub, e);
    }
  }

  private async follow(reader: Redis, from: string): Promise<void> {
    let last = from;
    while (!this.closed) {
      try {
        const r = (await reader.xread('COUNT', PAGE, 'BLOCK', this.blockMs, 'STREAMS', this.key, last)) as [string, StreamEntry[]][] | null;
        for (const entry of r?.[0]?.[1] ?? []) {
          last = entry[0];
          // no subscriber (no SSE client, no webhook): nothing to decode (a replica sees every replica's events)
          if (this.subs.size > 0) for (const e of decode(entry)) this.dispatch(e);
        }
      } catch (err) {
        if (this.closed) return;
        this.o.log?.warn({ err: (err as Error).message }, 'events: reading the stream failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}

function decode([id, fields]: StreamEntry): BallastEvent[] {
  const i = fields.indexOf('e');
  const raw = i >= 0 ? fields[i + 1] : undefined;
  if (raw === undefined) return [];
  try {
    return [{ ...(JSON.parse(raw) as EventInput), id }];
  } catch {
    return [];
  }
}
