/**
 * Records every HostReport the engine ingests into a Redis stream per host, for what-if replay
 * (docs/replay.md) and for other engine replicas to read. The layout, which readers rely on:
 *
 *   key     ballast:samples:<hostId>       one stream per host
 *   id      <ms>-<seq> set by Redis (`*`)  the time the engine appended it (≈ received), Redis's clock
 *   fields  k <tag>  z <bytes>             a keyframe: the report as the proto message ballast.v1.HostSample
 *                                          (proto/ballast/v1/sample.proto), raw-deflated (zlib deflateRaw);
 *                                          `tag`: 8 hex digits naming it
 *           k <tag>  d <bytes>             a delta: the report's HostSample raw-deflated with the proto bytes
 *                                          of keyframe `tag` (an earlier entry of the same stream) as the
 *                                          deflate dictionary — inflateRaw(d, {dictionary: keyframe's proto})
 *           w <replica>                    (after either) the engine replica that wrote it: a replica tailing
 *                                          the streams (sample-tail.ts) skips its own entries. A delta refers
 *                                          only to a keyframe of the same writer.
 *
 * A keyframe starts every `keyframeEvery` reports of a host (default 30: a minute at 2 s), and after a failed
 * append. Consecutive reports of a host share most of their bytes (UUIDs, names, configuration, pins), so a
 * delta is ~2.5× smaller than a report deflated alone (docs/replay.md has the figures).
 *
 * Retention is by time: each append trims the stream with `MINID ~ <now − retention>` (approximate: Redis
 * drops whole stream nodes, so some entries older than the bound may remain), and the key expires
 * `retention` after its last append (a host that stops reporting leaves nothing behind). Trimming can drop
 * the keyframe of the oldest deltas: readers skip those (and count them).
 *
 * Appends never block ingest: record() only queues the report; a flush (at most every `flushMs`, or at once
 * when `maxBatch` are queued) encodes the batch's protos (a few hundred µs for a report of 20 VMs), deflates
 * them on libuv's thread pool (zlib's async calls, off the event loop) and sends them in one pipeline. A failure is counted and logged
 * (once a minute at most); the batch is dropped, and ingest carries on.
 */
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { HostReport } from '@ballast/domain';
import { HostSample, hostReportFromProto, hostSampleFromReport } from '@ballast/proto';
import type { Redis } from 'ioredis';

export const SAMPLE_STREAM_PREFIX = 'ballast:samples:';
/** Stream fields: the keyframe tag, a keyframe's bytes, a delta's bytes. */
export const SAMPLE_FIELDS = { tag: 'k', keyframe: 'z', delta: 'd', writer: 'w' } as const;

export const sampleStreamKey = (hostId: string): string => `${SAMPLE_STREAM_PREFIX}${hostId}`;
/**
 * The hosts with a sample stream, scored by when their last sample was recorded (ms): how the replicas find the
 * streams (SampleTail, replay) without a SCAN of the whole keyspace, where the BullMQ jobs kept for a week are
 * most of the keys. Members older than the retention are dropped as samples are recorded.
 */
export const SAMPLE_HOSTS_KEY = 'ballast:sample-hosts';

/** A report's HostSample proto bytes. */
export const sampleProto = (report: HostReport): Buffer => Buffer.from(HostSample.encode(hostSampleFromReport(report)).finish());

/** The stored bytes of a report: alone (a keyframe), or against a keyframe's proto bytes (a delta). */
export function encodeSample(proto: Uint8Array, keyframe?: Uint8Array): Buffer {
  return keyframe ? deflateRawSync(proto, { dictionary: keyframe }) : deflateRawSync(proto);
}

const deflateRawAsync = promisify(deflateRaw);

/** encodeSample on libuv's thread pool. */
export function encodeSampleAsync(proto: Uint8Array, keyframe?: Uint8Array): Promise<Buffer> {
  return keyframe ? deflateRawAsync(proto, { dictionary: keyframe }) : deflateRawAsync(proto);
}

/** The proto bytes of a stored entry (`keyframe`: the proto bytes of its keyframe, for a delta). */
export function inflateSample(bytes: Uint8Array, keyframe?: Uint8Array): Buffer {
  return keyframe ? inflateRawSync(bytes, { dictionary: keyframe }) : inflateRawSync(bytes);
}

export const decodeProto = (proto: Uint8Array): HostReport => hostReportFromProto(HostSample.decode(proto));

export interface SampleRecorderOptions {
  /** Entries older than this are trimmed; 0 disables recording (record() does nothing). */
  retentionMs: number;
  now?: () => number;
  /** Longest a report waits in the queue; default 200 ms. */
  flushMs?: number;
  /** A flush starts at once when this many are queued; default 500. */
  maxBatch?: number;
  /** A host's reports between keyframes; default 30. */
  keyframeEvery?: number;
  /** Reports waiting (queued, or in a flush not answered yet) beyond this are dropped (Redis unreachable for long); default 5,000. */
  maxQueued?: number;
  log?: { warn(obj: object, msg: string): void };
  /** This engine replica's id, written with each entry (field `w`); none: not written. */
  writer?: string;
}

interface Pending {
  hostId: string;
  tag: string;
  proto: Buffer;
  /** A delta's keyframe proto (the deflate dictionary); none for a keyframe. */
  keyframe?: Buffer;
}

interface Keyframe {
  tag: string;
  proto: Buffer;
  /** Reports stored against it so far, itself included. */
  count: number;
}

export class SampleRecorder {
  /** Reports appended, and bytes of their `z` / `d` fields. */
  recorded = 0;
  bytes = 0;
  /** Reports lost: a failed append, or dropped because too many were queued. */
  errors = 0;
  private queue: HostReport[] = [];
  /** Reports in flushes not answered yet. */
  private sending = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private lastWarnMs = -Infinity;
  private readonly now: () => number;
  private readonly keyframes = new Map<string, Keyframe>();

  constructor(
    private readonly redis: Redis,
    private readonly opts: SampleRecorderOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.opts.retentionMs > 0;
  }

  /** Queues a report for its host's stream; returns at once. */
  record(report: HostReport): void {
    if (!this.enabled) return;
    if (this.queue.length + this.sending >= (this.opts.maxQueued ?? 5_000)) {
      this.fail(new Error('too many reports queued'), 1);
      return;
    }
    this.queue.push(report);
    if (this.queue.length >= (this.opts.maxBatch ?? 500)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs ?? 200);
  }

  /** The entry of a report: a delta against its host's keyframe, or a new keyframe. */
  private entry(report: HostReport): Pending {
    const proto = sampleProto(report);
    const k = this.keyframes.get(report.hostId);
    if (k && k.count < (this.opts.keyframeEvery ?? 30)) {
      k.count++;
      return { hostId: report.hostId, tag: k.tag, proto, keyframe: k.proto };
    }
    const tag = randomBytes(4).toString('hex');
    this.keyframes.set(report.hostId, { tag, proto, count: 1 });
    return { hostId: report.hostId, tag, proto };
  }

  /** Sends what is queued (after any flush under way); resolves when Redis has answered. Never rejects. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return this.flushing;
    this.sending += batch.length;
    this.flushing = this.flushing.then(() => this.send(batch)).finally(() => (this.sending -= batch.length));
    return this.flushing;
  }

  private async send(reports: HostReport[]): Promise<void> {
    const retention = this.opts.retentionMs;
    const nowMs = this.now();
    const minId = String(Math.max(0, Math.floor(nowMs - retention)));
    const batch: Pending[] = [];
    for (const r of reports) {
      try {
        batch.push(this.entry(r));
      } catch (e) {
        this.fail(e as Error, 1);
      }
    }
    try {
      const bytes = await Promise.all(batch.map((s) => encodeSampleAsync(s.proto, s.keyframe)));
      const p = this.redis.pipeline();
      const keys = new Set<string>();
      batch.forEach((s, i) => {
        const key = sampleStreamKey(s.hostId);
        keys.add(key);
        const writer = this.opts.writer !== undefined ? [SAMPLE_FIELDS.writer, this.opts.writer] : [];
        p.xadd(key, 'MINID', '~', minId, '*', SAMPLE_FIELDS.tag, s.tag, s.keyframe ? SAMPLE_FIELDS.delta : SAMPLE_FIELDS.keyframe, bytes[i] as Buffer, ...writer);
      });
      for (const key of keys) p.pexpire(key, retention);
      // after the XADDs (whose results are read by position below): the hosts indexed, the expired ones dropped
      p.zadd(SAMPLE_HOSTS_KEY, ...[...new Set(batch.map((s) => s.hostId))].flatMap((h) => [nowMs, h]));
      p.zremrangebyscore(SAMPLE_HOSTS_KEY, '-inf', `(${minId}`);
      const results = (await p.exec()) ?? [];
      const ok = batch.map((_, i) => results[i]?.[0] == null);
      const failed = batch.filter((_, i) => !ok[i]);
      if (failed.length > 0) this.lost(failed, results.find(([err]) => err != null)?.[0] as Error);
      this.recorded += batch.length - failed.length;
      this.bytes += bytes.reduce((n, b, i) => n + (ok[i] ? b.length : 0), 0);
    } catch (e) {
      this.lost(batch, e as Error);
    }
  }

  /** Entries that did not reach Redis: their hosts start a new keyframe (the deltas after them would lack it). */
  private lost(entries: Pending[], err: Error): void {
    for (const e of entries) this.keyframes.delete(e.hostId);
    this.fail(err, entries.length);
  }

  private fail(err: Error, count: number): void {
    this.errors += count;
    const t = this.now();
    if (t - this.lastWarnMs < 60_000) return;
    this.lastWarnMs = t;
    this.opts.log?.warn({ err: err.message, lost: this.errors }, 'could not record samples for replay');
  }

  /** Sends what is queued; for shutdown. */
  close(): Promise<void> {
    return this.flush();
  }
}
