/**
 * Who may call the API: every call carries `Authorization: Bearer <token>`; the token names a principal
 * with a role. Roles are ordered: viewer (reads) < operator (jobs, approve/reject, placements) < admin
 * (policies, tokens, pause). A route declares the least role it needs.
 */
import type { Request, RequestHandler, Response } from 'express';
import { tokensEqual } from '@ballast/runtime';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** True when `has` is at least `needs`. */
export function roleAllows(has: Role, needs: Role): boolean {
  return RANK[has] >= RANK[needs];
}

/** The caller a token names. `tokenId` is what the audit log records (never the token). */
export interface Principal {
  tokenId: string;
  role: Role;
  name?: string;
}

/** Resolves a bearer token to its principal, or says why not (no secret in the reason). */
export interface Authenticator {
  authenticate(token: string): Promise<Principal | { error: string }>;
}

const BEARER = /^Bearer\s+(\S.*)$/i;

/** The token of an `Authorization: Bearer <token>` header, or why there is none. */
export function bearerToken(header: string | undefined): { token: string } | { error: string } {
  const m = BEARER.exec(header ?? '');
  const token = m?.[1]?.trim();
  return token ? { token } : { error: 'Authorization: missing "Bearer <token>" header' };
}

/** 401 without a valid token, 403 when its role is below `role`; else `res.locals.principal` is set. */
export function requireRole(auth: Authenticator, role: Role): RequestHandler {
  return (req, res, next) => {
    const t = bearerToken(req.get('authorization'));
    if ('error' in t) return unauthorized(res, t.error);
    auth.authenticate(t.token).then((p) => {
      if ('error' in p) return unauthorized(res, p.error);
      res.locals.caller = p;
      if (!roleAllows(p.role, role)) {
        res.status(403).json({ error: { code: 'forbidden', message: `Authorization: this call needs the ${role} role; the token (${p.tokenId}) has ${p.role}` } });
        return;
      }
      res.locals.principal = p;
      next();
    }, next);
  };
}

function unauthorized(res: Response, message: string): void {
  res.set('WWW-Authenticate', 'Bearer realm="ballast"');
  res.status(401).json({ error: { code: 'unauthorized', message } });
}

/** The principal requireRole put on the response. */
export function principalOf(res: Response): Principal {
  const p = (res.locals as { principal?: Principal }).principal;
  if (!p) throw new Error('principalOf: no principal (route not behind requireRole)');
  return p;
}

export type { Request };

/** One token, the admin's: what an engine without a token store (tests, tools) checks. */
export function staticAuthenticator(adminToken: string): Authenticator {
  return {
    authenticate: async (token) => (tokensEqual(token, adminToken) ? { tokenId: 'bootstrap', role: 'admin', name: 'first admin token' } : { error: 'Authorization: bearer token is wrong' }),
  };
}
