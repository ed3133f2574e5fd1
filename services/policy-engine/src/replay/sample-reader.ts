/**
 * Reads recorded reports back (layout: sample-recorder.ts), every host's stream merged in time order, a
 * slice of the window at a time so a long window never sits in memory whole.
 */
import type { HostReport } from '@ballast/domain';
import type { Redis } from 'ioredis';
import { decodeSample, SAMPLE_FIELD, SAMPLE_STREAM_PREFIX, sampleStreamKey } from './sample-recorder.js';

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
  /** Width of one read; default 10 minutes. */
  sliceMs?: number;
}

/** Host ids that have a sample stream. */
export async function recordedHosts(redis: Redis): Promise<string[]> {
  const hosts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${SAMPLE_STREAM_PREFIX}*`, 'COUNT', 500);
    cursor = next;
    hosts.push(...keys.map((k) => k.slice(SAMPLE_STREAM_PREFIX.length)));
  } while (cursor !== '0');
  return [...new Set(hosts)].sort();
}

/** The recorded reports of [fromMs, toMs], oldest first; an entry that does not decode is skipped and counted. */
export async function* readSamples(redis: Redis, w: ReadWindow, onBad: () => void = () => {}): AsyncGenerator<RecordedSample> {
  const hosts = w.hosts ?? (await recordedHosts(redis));
  const slice = w.sliceMs ?? 600_000;
  for (let start = w.fromMs; start <= w.toMs; start += slice) {
    const end = Math.min(w.toMs, start + slice - 1);
    const out: RecordedSample[] = [];
    for (const host of hosts) {
      const entries = await redis.xrangeBuffer(sampleStreamKey(host), String(start), `${end}`);
      for (const [id, fields] of entries) {
        const bytes = fieldOf(fields, SAMPLE_FIELD);
        if (!bytes) continue;
        try {
          out.push({ atMs: Number(id.toString().split('-')[0]), report: decodeSample(bytes) });
        } catch {
          onBad();
        }
      }
    }
    out.sort((a, b) => a.atMs - b.atMs || a.report.hostId.localeCompare(b.report.hostId));
    yield* out;
  }
}

function fieldOf(fields: Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]?.toString() === name) return fields[i + 1];
  return undefined;
}
