/**
 * Rate limits of the /v1 API (express-rate-limit, in memory: each engine process counts on its own, so
 * with N replicas behind a balancer a client may make up to N times the limit).
 *
 * - Per caller: `perMinute` requests a minute per bearer token (keyed by the token's SHA-256, never the
 *   token itself), or per client IP for calls without a token.
 * - Failed sign-ins: `authFailuresPerMinute` answers of 401 a minute per client IP, against token guessing.
 *   A token that has once been accepted is not held back by it (a guesser on the same address does not
 *   lock out a working client).
 *
 * Over a limit: 429 `{error: {code: 'rate_limited', message}}` with `Retry-After` (seconds) and the
 * `RateLimit` / `RateLimit-Policy` headers (IETF draft 8).
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { bearerToken } from '../security/auth.js';

export interface RateLimitOptions {
  /** Requests a minute per token (or per IP without one); 0 turns the limit off. */
  perMinute: number;
  /** 401 answers a minute per client IP; 0 turns the limit off. */
  authFailuresPerMinute: number;
  /** The window (default one minute; tests shorten it). */
  windowMs?: number;
}

/** How many accepted token hashes the failed-sign-in limit remembers (oldest forgotten first). */
const KNOWN_TOKENS_MAX = 10_000;

function tokenHash(req: Request): string | undefined {
  const t = bearerToken(req.get('authorization'));
  return 'token' in t ? createHash('sha256').update(t.token).digest('hex').slice(0, 32) : undefined;
}

function ipKey(req: Request): string {
  return `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`;
}

function rejected(what: string) {
  return (req: Request, res: Response): void => {
    const info = (req as Request & { rateLimit?: { limit: number } }).rateLimit;
    const retry = res.getHeader('Retry-After');
    res.status(429).json({
      error: { code: 'rate_limited', message: `too many requests: at most ${info?.limit ?? '?'} ${what} a minute; retry after ${String(retry ?? '?')} s` },
    });
  };
}

/** The /v1 limiters, to mount before the routes (and before the body parser); none when both are 0. */
export function apiRateLimits(o: RateLimitOptions): RequestHandler[] {
  const windowMs = o.windowMs ?? 60_000;
  const out: RequestHandler[] = [];
  if (o.authFailuresPerMinute > 0) {
    const known = new Set<string>();
    const remember = (hash: string) => {
      known.delete(hash);
      known.add(hash);
      if (known.size > KNOWN_TOKENS_MAX) known.delete(known.values().next().value as string);
    };
    out.push(
      rateLimit({
        windowMs,
        limit: o.authFailuresPerMinute,
        identifier: 'auth-failures',
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        keyGenerator: ipKey,
        skip: (req) => {
          const h = tokenHash(req);
          return h !== undefined && known.has(h);
        },
        skipSuccessfulRequests: true,
        requestWasSuccessful: (req, res) => {
          if (res.statusCode === 401) return false;
          const h = tokenHash(req);
          if (h !== undefined) remember(h);
          return true;
        },
        handler: rejected('failed sign-ins (401) from this address'),
      }),
    );
  }
  if (o.perMinute > 0) {
    out.push(
      rateLimit({
        windowMs,
        limit: o.perMinute,
        identifier: 'api',
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        keyGenerator: (req) => {
          const h = tokenHash(req);
          return h !== undefined ? `token:${h}` : ipKey(req);
        },
        handler: rejected('requests per token'),
      }),
    );
  }
  return out;
}
