/**
 * Reads recorded reports back (layout: sample-recorder.ts), every host's stream merged in time order, a
 * slice of the window at a time so a long window never sits in memory whole.
 */
import type { HostReport } from '@ballast/domain';
import type { Redis } from 'ioredis';
import { decodeProto, inflateSample, SAMPLE_FIELDS, SAMPLE_HOSTS_KEY, SAMPLE_STREAM_PREFIX, sampleStreamKey } from './sample-recorder.js';

/** A report and when the engine received it (its stream entry's time). */
export interface RecordedSample {
  atMs: number;
  report: HostReport;
}

export interface ReadWindow {
  fromMs: number;
  toMs: number;
  /** Only these hosts; default every host with a stream. */
  hosts?: readonly string[];
  /** Width of one read (one pipeline of a range per host); default 2 minutes. */
  sliceMs?: number;
}

export type StreamEntry = [Buffer, Buffer[]];
type Entry = StreamEntry;

/** Entries before the window read to find the keyframes its first deltas need. */
export const LOOK_BACK = 200;
/** Keyframes kept per host while reading (several writers may interleave theirs). */
const KEEP_KEYFRAMES = 8;

/**
 * Host ids that have a sample stream: the recorders' index (SAMPLE_HOSTS_KEY), one round trip; a SCAN of the
 * keyspace only when there is no index yet.
 */
export async function recordedHosts(redis: Redis): Promise<string[]> {
  const indexed = await redis.zrange(SAMPLE_HOSTS_KEY, '0', '-1');
  if (indexed.length > 0) return indexed.sort();
  // no index (streams written before it existed, or by hand): the keys themselves
  const hosts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${SAMPLE_STREAM_PREFIX}*`, 'COUNT', 500);
    cursor = next;
    hosts.push(...keys.map((k) => k.slice(SAMPLE_STREAM_PREFIX.length)));
  } while (cursor !== '0');
  return [...new Set(hosts)].sort();
}

/** The replica that wrote an entry (field `w`), if it says. */
export function entryWriter(raw: readonly Buffer[]): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (String(raw[i]) === SAMPLE_FIELDS.writer) return String(raw[i + 1]);
  return undefined;
}

function fieldsOf(fields: Buffer[]): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(String(fields[i]), fields[i + 1] as Buffer);
  return m;
}

/** One host's entries to reports, keeping the keyframes its deltas refer to. */
export class StreamDecoder {
  private readonly keyframes = new Map<string, Buffer>();

  /** Learns a keyframe (an entry read before the window); returns its proto bytes. */
  private keyframe(tag: string, bytes: Buffer): Buffer {
    const proto = inflateSample(bytes);
    this.keyframes.set(tag, proto);
    if (this.keyframes.size > KEEP_KEYFRAMES) this.keyframes.delete(this.keyframes.keys().next().value as string);
    return proto;
  }

  /** Keyframes among entries read before the window. */
  learn(entries: readonly Entry[]): void {
    for (const [, raw] of [...entries].reverse()) {
      const f = fieldsOf(raw);
      const tag = f.get(SAMPLE_FIELDS.tag)?.toString();
      const z = f.get(SAMPLE_FIELDS.keyframe);
      if (tag !== undefined && z) this.keyframe(tag, z);
    }
  }

  /** The report of an entry; throws when it does not decode (e.g. its keyframe was trimmed). */
  decode(raw: Buffer[]): HostReport {
    const f = fieldsOf(raw);
    const tag = f.get(SAMPLE_FIELDS.tag)?.toString() ?? '';
    const z = f.get(SAMPLE_FIELDS.keyframe);
    if (z) return decodeProto(this.keyframe(tag, z));
    const d = f.get(SAMPLE_FIELDS.delta);
    const base = this.keyframes.get(tag);
    if (!d || !base) throw new Error(`no keyframe ${tag}`);
    return decodeProto(inflateSample(d, base));
  }
}

export const msOf = (id: Buffer) => Number(id.toString().split('-')[0]);

/** The recorded reports of [fromMs, toMs], oldest first; an entry that does not decode is skipped and counted. */
export async function* readSamples(redis: Redis, w: ReadWindow, onBad: () => void = () => {}): AsyncGenerator<RecordedSample> {
  const hosts = w.hosts ?? (await recordedHosts(redis));
  const decoders = new Map<string, StreamDecoder>();
  for (const host of hosts) {
    const d = new StreamDecoder();
    d.learn(await redis.xrevrangeBuffer(sampleStreamKey(host), String(w.fromMs - 1), '-', 'COUNT', LOOK_BACK));
    decoders.set(host, d);
  }
  const slice = w.sliceMs ?? 120_000;
  for (let start = w.fromMs; start <= w.toMs; start += slice) {
    const end = Math.min(w.toMs, start + slice - 1);
    const p = redis.pipeline();
    for (const host of hosts) p.xrangeBuffer(sampleStreamKey(host), String(start), String(end));
    const ranges = (await p.exec()) ?? [];
    const out: RecordedSample[] = [];
    hosts.forEach((host, i) => {
      const [err, entries] = ranges[i] ?? [null, []];
      if (err) throw err;
      const decoder = decoders.get(host) as StreamDecoder;
      for (const [id, raw] of entries as Entry[]) {
        try {
          out.push({ atMs: msOf(id), report: decoder.decode(raw) });
        } catch {
          onBad();
        }
      }
    });
    out.sort((a, b) => a.atMs - b.atMs || a.report.hostId.localeCompare(b.report.hostId));
    yield* out;
  }
}
