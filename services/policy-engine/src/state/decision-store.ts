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
    // zlib level 1: a 100-host replica's host holds ~700 decisions (560 KB of JSON); level 1 deflates it in 5.7 ms of
    // CPU against 8.5 ms at the default, to 55 KB instead of 41 KB (docs/scale.md). All hosts' at once: awaited one
    // by one, each waited for a turn of a busy event loop (1,000 hosts: seconds a save)
    const hosts = [...byHost];
    const blobs = await Promise.all(hosts.map(([, list]) => deflate(JSON.stringify(list), { level: 1 })));
    const p = this.redis.pipeline();
    hosts.forEach(([host], i) => p.set(decisionsKey(host), blobs[i] as Buffer, 'PX', this.ttlMs));
    const res = (await p.exec()) ?? [];
    const err = res.find(([e]) => e != null)?.[0];
    if (err) throw err;
  }

  /** The decisions saved for these hosts; a blob that does not decode is skipped. */
  async load(hostIds: readonly string[]): Promise<LoggedDecision[]> {
    if (hostIds.length === 0) return [];
    const blobs = await this.redis.mgetBuffer(hostIds.map(decisionsKey));
    // all at once (see save); a blob written by something else, or cut, is skipped
    const lists = await Promise.all(blobs.map((b) => (b ? decoded(b) : [])));
    return lists.flat();
  }
}

async function decoded(blob: Buffer): Promise<LoggedDecision[]> {
  try {
    return JSON.parse((await inflate(blob)).toString()) as LoggedDecision[];
  } catch {
    return [];
  }
}
