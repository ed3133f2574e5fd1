/**
 * Every engine replica sees every host: the reports a collector streams to one replica are recorded in
 * Redis (sample-recorder.ts, a stream per host), and each replica tails all those streams and ingests the
 * reports it did not receive itself. So the API answers the same on every replica, and the hosts can be
 * divided among the replicas whatever engine each collector streams to (docs/replicas.md).
 *
 * At start (and for each host's stream found later) the newest `backfill` entries are ingested, oldest first,
 * with the times they were received: a restarted or new replica starts with full sample windows rather than
 * warming up. Then one XREAD BLOCK over every stream, on a connection of its own, returns what was appended
 * since; new streams are looked for every `discoverMs` (recordedHosts: the recorders' index, one ZRANGE).
 */
import type { HostReport } from '@ballast/domain';
import type { Redis } from 'ioredis';
import { entryWriter, LOOK_BACK, msOf, recordedHosts, StreamDecoder, type StreamEntry } from './sample-reader.js';
import { sampleStreamKey } from './sample-recorder.js';

export interface SampleTailOptions {
  /** This replica's id: entries it wrote itself (field `w`) are skipped, it ingested them on receipt. */
  self: string;
  /** Entries of each stream ingested when it is first seen (the sample window); 0: none. */
  backfill: number;
  /** Called with each report read, and when it was received (its entry's time). */
  onReport(report: HostReport, receivedAtMs: number): void;
  /** How often new hosts' streams are looked for; default 2 s. */
  discoverMs?: number;
  /** Longest one XREAD waits; default 1 s. */
  blockMs?: number;
  /** Entries one XREAD returns at most per stream; default 1,000. */
  count?: number;
  now?: () => number;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

interface Tailed {
  lastId: string;
  decoder: StreamDecoder;
}

export class SampleTail {
  /** Reports ingested from the streams (not received here), entries that did not decode, read errors. */
  ingested = 0;
  undecodable = 0;
  errors = 0;
  private readonly streams = new Map<string, Tailed>();
  private reader: Redis | undefined;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private lastDiscoverMs = -Infinity;
  /** When tailing started (streams found later are read from then on). */
  private startedAtMs = Infinity;
  private lastWarnMs = -Infinity;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly o: SampleTailOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  /** The hosts whose streams are tailed. */
  hosts(): string[] {
    return [...this.streams.keys()];
  }

  /** Reads the streams there are (their backfill ingested), then tails them in the background. */
  async start(): Promise<void> {
    await this.discover();
    this.startedAtMs = this.now();
    this.reader = this.redis.duplicate();
    this.running = true;
    this.loop = this.run();
  }

  /** Looks for streams not tailed yet; each new one's newest `backfill` entries are ingested. */
  async discover(): Promise<void> {
    this.lastDiscoverMs = this.now();
    const hosts = await recordedHosts(this.redis);
    const seen = new Set(hosts);
    for (const h of this.streams.keys()) if (!seen.has(h)) this.streams.delete(h);
    // all new streams at once: one by one, a replica starting among 1,000 hosts waited for each in turn
    await Promise.all(hosts.filter((h) => !this.streams.has(h)).map((h) => this.add(h)));
  }

  /**
   * A stream to tail: its newest `backfill` entries are ingested, oldest first (the window; this replica's own
   * too: it may have restarted), and for a stream found after the start, also every entry since the start.
   */
  private async add(hostId: string): Promise<void> {
    const decoder = new StreamDecoder();
    const newest = (await this.redis.xrevrangeBuffer(sampleStreamKey(hostId), '+', '-', 'COUNT', Math.max(LOOK_BACK, this.o.backfill))) as StreamEntry[];
    decoder.learn(newest);
    this.streams.set(hostId, { lastId: newest[0]?.[0].toString() ?? '0-0', decoder });
    const wanted = newest.filter(([id], i) => i < this.o.backfill || msOf(id) >= this.startedAtMs);
    for (const [id, raw] of wanted.reverse()) this.ingest(decoder, id, raw, true);
  }

  private ingest(decoder: StreamDecoder, id: Buffer, raw: Buffer[], own: boolean): void {
    if (!own && entryWriter(raw) === this.o.self) return;
    let report: HostReport;
    try {
      report = decoder.decode(raw);
    } catch {
      this.undecodable++;
      return;
    }
    this.ingested++;
    this.o.onReport(report, Math.min(msOf(id), this.now()));
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (this.now() - this.lastDiscoverMs >= (this.o.discoverMs ?? 2_000)) await this.discover();
        await this.readOnce();
      } catch (e) {
        if (!this.running) return;
        this.fail(e as Error);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  /** One XREAD over every stream tailed (waits up to blockMs for something new). */
  private async readOnce(): Promise<void> {
    const hosts = [...this.streams.keys()];
    if (hosts.length === 0) {
      await new Promise((r) => setTimeout(r, Math.min(this.o.discoverMs ?? 2_000, 500)));
      return;
    }
    const ids = hosts.map((h) => (this.streams.get(h) as Tailed).lastId);
    const block = String(this.o.blockMs ?? 1_000);
    const res = (await (this.reader as Redis).xreadBuffer('COUNT', this.o.count ?? 1_000, 'BLOCK', block, 'STREAMS', ...hosts.map(sampleStreamKey), ...ids)) as [Buffer, StreamEntry[]][] | null;
    for (const [key, entries] of res ?? []) {
      const t = this.streams.get(key.toString().slice(sampleStreamKey('').length));
      if (!t) continue;
      for (const [id, raw] of entries) {
        t.lastId = id.toString();
        this.ingest(t.decoder, id, raw, false);
      }
    }
  }

  private fail(err: Error): void {
    this.errors++;
    const t = this.now();
    if (t - this.lastWarnMs < 60_000) return;
    this.lastWarnMs = t;
    this.o.log?.warn({ err: err.message, errors: this.errors }, 'could not read the sample streams of other replicas; retrying');
  }

  async close(): Promise<void> {
    this.running = false;
    this.reader?.disconnect();
    await this.loop;
  }
}
