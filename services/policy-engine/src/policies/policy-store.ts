/**
 * The policy document in Redis, versioned: the current one (with its version, when, who, from where) and
 * the history of the last HISTORY_KEEP versions, newest first. Versions are integers from 1, one more per
 * write; version 0 is "nothing stored" (the empty document). Every write names the version it replaces
 * and is refused (StaleVersionError) when that is no longer the current one: checked and written in one
 * Lua script, so two writers (two admins, two engine replicas) cannot both win.
 */
import type { Redis } from 'ioredis';
import { ApiError } from '../api-error.js';
import { EMPTY_DOCUMENT, type PolicyDocument } from './policy-doc.js';

const VERSION_KEY = 'ballast:policy:version';
const CURRENT_KEY = 'ballast:policy:current';
const HISTORY_KEY = 'ballast:policy:history';
/** Versions kept in the history (older ones are dropped; the current one is always kept). */
export const HISTORY_KEEP = 200;

export type PolicySource = 'api' | 'grpc' | 'file';

export interface PolicyVersion {
  version: number;
  document: PolicyDocument;
  atMs: number;
  /** A token id, or `file:<path>` for BALLAST_POLICY_FILE. */
  actor: string;
  source: PolicySource;
  comment?: string;
}

/** A write naming a version that is not the current one: 409, with the current version. */
export class StaleVersionError extends ApiError {
  constructor(
    readonly expected: number,
    readonly currentVersion: number,
  ) {
    super(409, 'version_conflict', `version: the current policy version is ${currentVersion}, not ${expected}; read it and apply on top`, 'version', { currentVersion });
  }
}

/** KEYS: version, current, history. ARGV: expected version, record JSON, history length. -1: written; else the current version. */
const APPLY = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur ~= tonumber(ARGV[1]) then return cur end
redis.call('SET', KEYS[1], cur + 1)
redis.call('SET', KEYS[2], ARGV[2])
redis.call('LPUSH', KEYS[3], ARGV[2])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[3]) - 1)
return -1
`;

export class PolicyStore {
  constructor(
    private readonly redis: Redis,
    private readonly opts: { now?: () => number; keep?: number } = {},
  ) {}

  /** The current version number (0: none stored): one GET, cheap enough for every cycle. */
  async version(): Promise<number> {
    return Number((await this.redis.get(VERSION_KEY)) ?? 0);
  }

  /** The current version; version 0 with the empty document when none is stored. */
  async current(): Promise<PolicyVersion> {
    const raw = await this.redis.get(CURRENT_KEY);
    return raw ? (JSON.parse(raw) as PolicyVersion) : { version: 0, document: EMPTY_DOCUMENT, atMs: 0, actor: '', source: 'api' };
  }

  /** Stores `document` as version `expectedVersion + 1`; StaleVersionError when `expectedVersion` is not the current one. */
  async apply(w: { document: PolicyDocument; expectedVersion: number; actor: string; source: PolicySource; comment?: string }): Promise<PolicyVersion> {
    const record: PolicyVersion = {
      version: w.expectedVersion + 1,
      document: w.document,
      atMs: (this.opts.now ?? Date.now)(),
      actor: w.actor,
      source: w.source,
      ...(w.comment !== undefined && w.comment !== '' ? { comment: w.comment } : {}),
    };
    const r = Number(await this.redis.eval(APPLY, 3, VERSION_KEY, CURRENT_KEY, HISTORY_KEY, String(w.expectedVersion), JSON.stringify(record), String(this.opts.keep ?? HISTORY_KEEP)));
    if (r !== -1) throw new StaleVersionError(w.expectedVersion, r);
    return record;
  }

  /** Versions newest first (at most `limit`). */
  async history(limit: number): Promise<PolicyVersion[]> {
    const raw = await this.redis.lrange(HISTORY_KEY, 0, limit - 1);
    return raw.map((r) => JSON.parse(r) as PolicyVersion);
  }

  /** One version of the history; undefined when it was never written or is older than the history keeps. */
  async get(version: number): Promise<PolicyVersion | undefined> {
    const current = await this.version();
    if (version < 1 || version > current) return undefined;
    const raw = await this.redis.lindex(HISTORY_KEY, current - version);
    const found = raw ? (JSON.parse(raw) as PolicyVersion) : undefined;
    if (found?.version === version) return found;
    return (await this.history(this.opts.keep ?? HISTORY_KEEP)).find((v) => v.version === version); // a write came between
  }
}
