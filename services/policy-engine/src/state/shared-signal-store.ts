/**
 * Where engine replicas share their hosts' parts of the signals a cluster-wide policy reads (@ballast/cycle
 * shared-signals.ts, docs/replicas.md): each replica not holding the cluster lease writes its own hosts' parts
 * after each cycle; the lease holder reads the others' and plans the per-host policies itself only where none
 * is fresh.
 *
 *   key    ballast:signals:<hostId>   JSON {v, atMs, parts: {signal name → the host's part}}, expires after `ttlMs`
 *
 * `v` is PARTS_FORMAT: entries of another (replicas of two versions during an upgrade) are not read. Each part is
 * also checked for its signal's shape and host (Signal.hostParts.isPartOf) before it is used.
 *
 * A part is fresh while its key lives: a replica that stops writing (gone, or its cycles stalled) leaves nothing
 * after `ttlMs`, and the lease holder plans those hosts itself again. Neither call rejects: an error is counted
 * and logged (once a minute at most) and the cycle goes on, the lease holder planning every host as without
 * sharing.
 */
import type { SharedSignalsPort, SignalParts } from '@ballast/cycle';
import type { Redis } from 'ioredis';

export const sharedSignalsKey = (hostId: string): string => `ballast:signals:${hostId}`;

/** Raise it when a shared signal's fields change. */
export const PARTS_FORMAT = 1;

/** Keys one MGET reads at most. */
const READ_CHUNK = 500;

export class SharedSignalStore implements SharedSignalsPort {
  errors = 0;
  /** Entries read that did not parse (skipped: that host is planned by the reader). */
  undecodable = 0;
  private lastWarnMs = -Infinity;

  constructor(
    private readonly redis: Redis,
    private readonly o: { ttlMs: number; now?: () => number; log?: { warn(obj: object, msg: string): void } },
  ) {}

  async publish(parts: ReadonlyMap<string, SignalParts>): Promise<void> {
    if (parts.size === 0) return;
    const atMs = (this.o.now ?? Date.now)();
    const p = this.redis.pipeline();
    for (const [hostId, part] of parts) p.set(sharedSignalsKey(hostId), JSON.stringify({ v: PARTS_FORMAT, atMs, parts: part }), 'PX', this.o.ttlMs);
    try {
      for (const [err] of (await p.exec()) ?? []) if (err) throw err;
    } catch (e) {
      this.fail(e as Error, 'share');
    }
  }

  async read(hosts: readonly string[]): Promise<ReadonlyMap<string, SignalParts>> {
    const out = new Map<string, SignalParts>();
    try {
      const chunks: string[][] = [];
      for (let i = 0; i < hosts.length; i += READ_CHUNK) chunks.push(hosts.slice(i, i + READ_CHUNK));
      // every chunk at once: one after another, each waits for a turn of a busy event loop
      const values = await Promise.all(chunks.map((c) => this.redis.mget(...c.map(sharedSignalsKey))));
      chunks.forEach((c, k) =>
        c.forEach((h, i) => {
          const json = values[k]?.[i];
          if (json === null || json === undefined) return;
          const parts = parse(json);
          if (parts) out.set(h, parts);
          else this.undecodable++;
        }),
      );
    } catch (e) {
      this.fail(e as Error, 'read');
      return new Map();
    }
    return out;
  }

  private fail(err: Error, what: string): void {
    this.errors++;
    const t = (this.o.now ?? Date.now)();
    if (t - this.lastWarnMs < 60_000) return;
    this.lastWarnMs = t;
    this.o.log?.warn({ err: err.message, errors: this.errors }, `could not ${what} signal parts with the other replicas; the cluster lease holder plans those hosts itself`);
  }
}

function parse(json: string): SignalParts | undefined {
  try {
    const e = JSON.parse(json) as { v?: unknown; parts?: unknown };
    return e.v === PARTS_FORMAT && typeof e.parts === 'object' && e.parts !== null && !Array.isArray(e.parts) ? (e.parts as SignalParts) : undefined;
  } catch {
    return undefined;
  }
}
