/**
 * The newest decisions of each host, saved in Redis by the replica deciding for it, so the replica that takes
 * the host over (its owner died, or the share changed) starts with them (the API shows them as before).
 *
 *   key    ballast:decisions:<hostId>   the host's and its VMs' newest decisions per policy, JSON, raw-deflated;
 *                                       expires after `ttlMs` (a host gone leaves nothing behind)
 *
 * A replica saves a slice of its hosts each cycle, so each host is saved every `everyCycles` cycles (30 s at
 * the defaults): a replica that dies loses at most that much of its hosts' decision history.
 */
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import type { Redis } from 'ioredis';
import type { LoggedDecision } from './decision-log.js';

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

export const decisionsKey = (hostId: string): string => `ballast:decisions:${hostId}`;

export class DecisionStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs = 3_600_000,
  ) {}

  async save(byHost: ReadonlyMap<string, readonly LoggedDecision[]>): Promise<void> {
    if (byHost.size === 0) return;
    const p = this.redis.pipeline();
    // zlib level 1: a 100-host replica's host holds ~700 decisions (560 KB of JSON); level 1 deflates it in 5.7 ms of
    // CPU against 8.5 ms at the default, to 55 KB instead of 41 KB (docs/scale.md)
    for (const [host, list] of byHost) p.set(decisionsKey(host), await deflate(JSON.stringify(list), { level: 1 }), 'PX', this.ttlMs);
    const res = (await p.exec()) ?? [];
    const err = res.find(([e]) => e != null)?.[0];
    if (err) throw err;
  }

  /** The decisions saved for these hosts; a blob that does not decode is skipped. */
  async load(hostIds: readonly string[]): Promise<LoggedDecision[]> {
    if (hostIds.length === 0) return [];
    const blobs = await this.redis.mgetBuffer(hostIds.map(decisionsKey));
    const out: LoggedDecision[] = [];
    for (const b of blobs) {
      if (!b) continue;
      try {
        out.push(...(JSON.parse((await inflate(b)).toString()) as LoggedDecision[]));
      } catch {
        // a blob written by something else, or cut: skipped
      }
    }
    return out;
  }
}
