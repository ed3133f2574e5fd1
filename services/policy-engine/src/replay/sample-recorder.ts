/**
 * Records every HostReport the engine ingests into a Redis stream per host, for what-if replay
 * (docs/replay.md) and for other engine replicas to read. The layout, which readers rely on:
 *
 *   key     ballast:samples:<hostId>          one stream per host
 *   id      <ms>-<seq> set by Redis (`*`)     the time the engine appended it (≈ received), Redis's clock
 *   field   `z`                               the report as the proto message ballast.v1.HostSample
 *                                             (proto/ballast/v1/sample.proto), binary, raw-deflated
 *                                             (zlib deflateRaw; inflateRaw then HostSample.decode)
 *
 * Retention is by time: each append trims the stream with `MINID ~ <now − retention>` (approximate: Redis
 * drops whole stream nodes, so up to ~100 entries older than the bound may remain), and the key expires
 * `retention` after its last append (a host that stops reporting leaves nothing behind).
 *
 * Appends never block ingest: record() queues the encoded report; a flush (at most every `flushMs`, or at
 * once when `maxBatch` are queued) sends the batch in one pipeline. A failure is counted and logged
 * (once a minute at most); the batch is dropped, and ingest carries on.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { HostReport } from '@ballast/domain';
import { HostSample, hostReportFromProto, hostSampleFromReport } from '@ballast/proto';
import type { Redis } from 'ioredis';

export const SAMPLE_STREAM_PREFIX = 'ballast:samples:';
/** The stream field holding the deflated proto HostSample. */
export const SAMPLE_FIELD = 'z';

export const sampleStreamKey = (hostId: string): string => `${SAMPLE_STREAM_PREFIX}${hostId}`;

/** A report as stored in a stream entry's `z` field. */
export function encodeSample(report: HostReport): Buffer {
  return deflateRawSync(HostSample.encode(hostSampleFromReport(report)).finish());
}

/** The report a stream entry's `z` field holds. */
export function decodeSample(bytes: Uint8Array): HostReport {
  return hostReportFromProto(HostSample.decode(inflateRawSync(bytes)));
}

export interface SampleRecorderOptions {
  /** Entries older than this are trimmed; 0 disables recording (record() does nothing). */
  retentionMs: number;
  now?: () => number;
  /** Longest a report waits in the queue; default 200 ms. */
  flushMs?: number;
  /** A flush starts at once when this many are queued; default 500. */
  maxBatch?: number;
  /** Reports queued beyond this are dropped (Redis unreachable for long); default 20,000. */
  maxQueued?: number;
  log?: { warn(obj: object, msg: string): void };
}

interface Pending {
  hostId: string;
  bytes: Buffer;
}

export class SampleRecorder {
  /** Reports appended, and bytes of their `z` fields. */
  recorded = 0;
  bytes = 0;
  /** Reports lost: a failed append, or dropped because too many were queued. */
  errors = 0;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private lastWarnMs = -Infinity;
  private readonly now: () => number;

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
    if (this.queue.length >= (this.opts.maxQueued ?? 20_000)) {
      this.fail(new Error('too many reports queued'), 1);
      return;
    }
    try {
      this.queue.push({ hostId: report.hostId, bytes: encodeSample(report) });
    } catch (e) {
      this.fail(e as Error, 1);
      return;
    }
    if (this.queue.length >= (this.opts.maxBatch ?? 500)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs ?? 200);
  }

  /** Sends what is queued (after any flush under way); resolves when Redis has answered. Never rejects. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.flushing.then(() => (batch.length > 0 ? this.send(batch) : undefined));
    return this.flushing;
  }

  private async send(batch: Pending[]): Promise<void> {
    const retention = this.opts.retentionMs;
    const minId = String(Math.max(0, Math.floor(this.now() - retention)));
    const p = this.redis.pipeline();
    const keys = new Set<string>();
    for (const s of batch) {
      const key = sampleStreamKey(s.hostId);
      keys.add(key);
      p.xadd(key, 'MINID', '~', minId, '*', SAMPLE_FIELD, s.bytes);
    }
    for (const key of keys) p.pexpire(key, retention);
    try {
      const results = (await p.exec()) ?? [];
      const failed = results.filter(([err]) => err !== null);
      if (failed.length > 0) this.fail(failed[0]?.[0] as Error, Math.min(failed.length, batch.length));
      const ok = batch.length - Math.min(failed.length, batch.length);
      this.recorded += ok;
      this.bytes += batch.reduce((n, s) => n + s.bytes.length, 0);
    } catch (e) {
      this.fail(e as Error, batch.length);
    }
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
