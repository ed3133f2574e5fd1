import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { Mutex } from 'redis-semaphore';

/** What host ownership logs. */
export interface LeaseLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface HostLeasesOptions {
  /** This replica's name in Redis (unique per process). */
  replicaId: string;
  /** A lease lives this long without a refresh: a dead replica's hosts are free again after it. */
  ttlMs: number;
  now: () => number;
  log: LeaseLog;
}

/** A replica alive, as GET /v1/engines shows it. */
export interface EngineInfo {
  id: string;
  url?: string;
  lastBeatMs: number;
  hostsOwned: number;
  /** Where in each cycle interval its cycles run, ms (the replicas take turns: docs/replicas.md). */
  cycleOffsetMs?: number;
}

export const ENGINES_KEY = 'ballast:engines';
export const ENGINE_INFO_KEY = 'ballast:engine-info';
const leaseKey = (hostId: string) => `ballast:host-lease:${hostId}`;
/** The key redis-semaphore keeps a lease under (it prefixes `mutex:`), read to see who holds it. */
const storedKey = (hostId: string) => `mutex:${leaseKey(hostId)}`;

/**
 * Which hosts this engine replica decides for. Each host has a lease in Redis (a redis-semaphore mutex with a
 * TTL, refreshed in the background). Every replica sees every host (it tails the sample streams of all hosts,
 * sample-tail.ts), so the hosts with fresh samples are divided evenly: each replica holds at most
 * ceil(hosts / replicas alive) of them. It prefers the hosts whose collectors stream to it (their samples are
 * a stream read sooner), then its own order of the rest (rendezvous hashing of replica and host, so replicas
 * reach for different hosts first); it gives back the hosts past its share, those of stale hosts, and takes
 * free ones up to its share. A replica that dies stops refreshing, and its leases lapse after `ttlMs`; the
 * others' shares grow and they take its hosts. The replicas alive beat in the sorted set `ballast:engines`.
 */
export class HostLeases {
  private readonly held = new Map<string, Mutex>();
  /** Where this replica's API answers (other replicas ask it for decisions), written with each beat. */
  url: string | undefined;
  /** Where in each cycle interval this replica's cycles run, ms, written with each beat. */
  cycleOffsetMs: number | undefined;
  /** Leases lost so far (not refreshed within the TTL: another replica may hold the host now). */
  lost = 0;
  /** The replicas alive at the last balance(), by id. */
  private alive: string[] = [];
  private beating: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly o: HostLeasesOptions,
  ) {}

  get replicaId(): string {
    return this.o.replicaId;
  }

  /** The hosts this replica holds now. */
  owned(): ReadonlySet<string> {
    return new Set([...this.held].filter(([, m]) => m.isAcquired).map(([h]) => h));
  }

  owns(hostId: string): boolean {
    return this.held.get(hostId)?.isAcquired === true;
  }

  /**
   * This replica's place among those alive at the last balance() (ordered by id, so each sees the same order) and
   * how many they are: the replicas take turns in the cycle interval by it (docs/replicas.md). 0 of 1 before any.
   */
  turn(): { index: number; of: number } {
    const index = this.alive.indexOf(this.o.replicaId);
    return index < 0 ? { index: 0, of: 1 } : { index, of: this.alive.length };
  }

  /**
   * Beats every third of the TTL from the first balance() on, besides each balance(): a replica whose cycles run
   * longer than the TTL (a loaded machine, thousands of VMs) is alive all the same, as its leases are (refreshed on
   * timers too). Without it, such a replica dropped out of the others' count between two cycles: they took larger
   * shares, then gave them back, every cycle (1,000 hosts on 2 CPUs: one replica held 703, docs/scale.md).
   */
  private startBeating(): void {
    if (this.beating) return;
    this.beating = setInterval(() => void this.beat().catch(() => undefined), Math.max(100, Math.floor(this.o.ttlMs / 3)));
    this.beating.unref();
  }

  /** The replicas alive now (their heartbeat within the TTL), this one included once it has beaten. */
  async replicas(): Promise<string[]> {
    return this.redis.zrangebyscore(ENGINES_KEY, this.o.now() - this.o.ttlMs, '+inf');
  }

  /**
   * One round (every cycle), with the hosts that have fresh samples (`direct`: those whose collectors stream
   * to this replica): beat, drop leases lost, give back those of other hosts and those past this replica's
   * share, take free ones up to it. Returns the hosts held after it.
   */
  async balance(hostIds: readonly string[], direct: ReadonlySet<string> = new Set()): Promise<ReadonlySet<string>> {
    await this.beat();
    this.startBeating();
    for (const [h, m] of this.held) if (!m.isAcquired) this.drop(h, 'lost');
    const fresh = new Set(hostIds);
    await this.releaseEach([...this.held.keys()].filter((x) => !fresh.has(x)), 'no fresh samples of it');
    this.alive = (await this.replicas()).sort();
    const share = Math.ceil(fresh.size / Math.max(1, this.alive.length));
    const rank = (h: string) => (direct.has(h) ? -1 : rendezvous(this.o.replicaId, h));
    const byRank = (a: string, b: string) => rank(a) - rank(b) || a.localeCompare(b);
    await this.releaseEach([...this.held.keys()].sort(byRank).slice(share), `past this replica's share of ${share} hosts`);
    if (this.held.size < share) await this.take([...fresh].filter((h) => !this.held.has(h)).sort(byRank), share);
    return this.owned();
  }

  private async beat(): Promise<void> {
    const now = this.o.now();
    const info: EngineInfo = {
      id: this.o.replicaId,
      ...(this.url !== undefined ? { url: this.url } : {}),
      lastBeatMs: now,
      hostsOwned: this.owned().size,
      ...(this.cycleOffsetMs !== undefined ? { cycleOffsetMs: this.cycleOffsetMs } : {}),
    };
    await this.redis
      .multi()
      .zadd(ENGINES_KEY, now, this.o.replicaId)
      .zremrangebyscore(ENGINES_KEY, '-inf', now - 10 * this.o.ttlMs)
      .hset(ENGINE_INFO_KEY, this.o.replicaId, JSON.stringify(info))
      .exec();
  }

  /** Which replica holds the lease of each of these hosts (none: nobody decides for it now). */
  async owners(hostIds: readonly string[]): Promise<Map<string, string>> {
    if (hostIds.length === 0) return new Map();
    const held = await this.redis.mget(hostIds.map(storedKey));
    const out = new Map<string, string>();
    hostIds.forEach((h, i) => {
      const v = held[i];
      if (v != null && v.endsWith(`:${h}`)) out.set(h, v.slice(0, -h.length - 1));
    });
    return out;
  }

  /** The replicas alive (beat within the TTL), as each last described itself; entries of replicas long gone are removed. */
  async engines(): Promise<EngineInfo[]> {
    const [alive, all] = await Promise.all([this.replicas(), this.redis.hgetall(ENGINE_INFO_KEY)]);
    const live = new Set(alive);
    const gone = Object.keys(all).filter((id) => !live.has(id) && ((JSON.parse(all[id] as string) as EngineInfo).lastBeatMs ?? 0) < this.o.now() - 10 * this.o.ttlMs);
    if (gone.length > 0) await this.redis.hdel(ENGINE_INFO_KEY, ...gone);
    return alive.flatMap((id) => (all[id] !== undefined ? [JSON.parse(all[id] as string) as EngineInfo] : [])).sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Takes free leases among `candidates` (best first) until `share` are held: one read finds the free ones, then
   * as many as are missing are tried at once (a round trip for them all, not one each: a replica taking hundreds
   * of hosts, at start or after a failover, waited for each in turn); those another replica took meanwhile are
   * made up from the next candidates.
   */
  private async take(candidates: string[], share: number): Promise<void> {
    if (candidates.length === 0) return;
    const taken = await this.redis.mget(candidates.map(storedKey));
    const free = candidates.filter((_, i) => taken[i] === null);
    while (this.held.size < share && free.length > 0) {
      const wave = free.splice(0, share - this.held.size).map((h) => ({ h, m: this.mutex(h) }));
      const got = await Promise.all(wave.map(({ m }) => m.tryAcquire().catch(() => false)));
      wave.forEach(({ h, m }, i) => {
        if (!got[i]) return;
        this.held.set(h, m);
        this.o.log.info({ hostId: h, replica: this.o.replicaId }, `decides for host ${h} now`);
      });
    }
  }

  /** Gives every lease back (shutdown): the other replicas take the hosts at once. */
  async releaseAll(): Promise<void> {
    clearInterval(this.beating);
    this.beating = undefined;
    await this.releaseEach([...this.held.keys()], 'shutting down');
    await this.redis.multi().zrem(ENGINES_KEY, this.o.replicaId).hdel(ENGINE_INFO_KEY, this.o.replicaId).exec().catch(() => undefined);
  }

  private mutex(hostId: string): Mutex {
    return new Mutex(this.redis, leaseKey(hostId), {
      lockTimeout: this.o.ttlMs,
      refreshInterval: Math.max(100, Math.floor(this.o.ttlMs / 3)),
      acquireAttemptsLimit: 1,
      identifier: `${this.o.replicaId}:${hostId}`,
      onLockLost: (err) => {
        this.lost++;
        this.o.log.warn({ hostId, err: err.message }, `lost the lease of host ${hostId}: another replica decides for it`);
      },
    });
  }

  /** Gives these leases back, all at once. */
  private async releaseEach(hostIds: readonly string[], why: string): Promise<void> {
    await Promise.all(hostIds.map((h) => this.release(h, why)));
  }

  private async release(hostId: string, why: string): Promise<void> {
    const m = this.held.get(hostId);
    this.held.delete(hostId);
    if (m?.isAcquired) await m.release().catch(() => undefined);
    this.o.log.info({ hostId, why }, `gave up host ${hostId}: ${why}`);
  }

  private drop(hostId: string, why: string): void {
    this.held.delete(hostId);
    this.o.log.info({ hostId, why }, `no longer decides for host ${hostId}: ${why}`);
  }
}

/** A replica's own order of the hosts: each replica reaches for different hosts first. */
function rendezvous(replicaId: string, hostId: string): number {
  return createHash('sha1').update(`${replicaId}|${hostId}`).digest().readUInt32BE(0);
}
