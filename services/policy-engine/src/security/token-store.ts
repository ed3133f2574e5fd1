import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { tokensEqual } from '@ballast/runtime';
import type { Authenticator, Principal, Role } from './auth.js';

const KEY = 'ballast:tokens';
/** `blt_<id>_<secret>`: the id finds the record, the secret is checked against its SHA-256. */
const FORMAT = /^blt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** What is kept of a token (never the token itself). */
export interface TokenRecord {
  id: string;
  role: Role;
  name: string;
  createdAtMs: number;
  /** The token id of the admin who made it. */
  createdBy: string;
  /** Hex SHA-256 of the secret part. */
  sha256: string;
}

export type TokenInfo = Omit<TokenRecord, 'sha256'>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * API tokens with roles, stored hashed in Redis (a hash: id → record) so every engine replica checks the same
 * tokens and a revoke takes effect at once. The first admin token (BALLAST_API_TOKEN or the generated token
 * file) is checked as `bootstrap`, an admin, and is not stored. A token is high-entropy (256 random bits), so
 * one SHA-256 is the right hash (a slow password hash buys nothing here and costs every request).
 */
export class TokenStore implements Authenticator {
  constructor(
    private readonly redis: Redis,
    private readonly bootstrapToken: string,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(token: string): Promise<Principal | { error: string }> {
    if (tokensEqual(token, this.bootstrapToken)) return { tokenId: 'bootstrap', role: 'admin', name: 'first admin token' };
    const m = FORMAT.exec(token);
    if (!m) return { error: 'Authorization: bearer token is wrong' };
    const raw = await this.redis.hget(KEY, m[1] as string);
    if (raw === null) return { error: 'Authorization: bearer token is wrong or revoked' };
    const rec = JSON.parse(raw) as TokenRecord;
    const ok = timingSafeEqual(Buffer.from(sha256(m[2] as string), 'hex'), Buffer.from(rec.sha256, 'hex'));
    return ok ? { tokenId: rec.id, role: rec.role, name: rec.name } : { error: 'Authorization: bearer token is wrong' };
  }

  /** Makes a token; the answer is the only time the token is seen. */
  async create(opts: { role: Role; name: string; createdBy: string }): Promise<{ token: string; info: TokenInfo }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const rec: TokenRecord = { id, role: opts.role, name: opts.name, createdAtMs: this.now(), createdBy: opts.createdBy, sha256: sha256(secret) };
    await this.redis.hset(KEY, id, JSON.stringify(rec));
    return { token: `blt_${id}_${secret}`, info: infoOf(rec) };
  }

  async list(): Promise<TokenInfo[]> {
    const all = Object.values(await this.redis.hgetall(KEY)).map((v) => infoOf(JSON.parse(v) as TokenRecord));
    return all.sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id));
  }

  /** True when the token existed. */
  async revoke(id: string): Promise<boolean> {
    return (await this.redis.hdel(KEY, id)) === 1;
  }
}

function infoOf(rec: TokenRecord): TokenInfo {
  const { sha256: _hash, ...info } = rec;
  return info;
}
