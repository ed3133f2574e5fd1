import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

/** Requires `Authorization: Bearer <token>`; answers 401 JSON otherwise. */
export function bearerAuth(token: string): RequestHandler {
  const want = Buffer.from(token);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    const got = Buffer.from(m?.[1]?.trim() ?? '');
    if (got.length === want.length && timingSafeEqual(got, want)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="ballast"');
    res.status(401).json({
      error: { code: 'unauthorized', message: m ? 'Authorization: bearer token is wrong' : 'Authorization: missing "Bearer <token>" header' },
    });
  };
}
