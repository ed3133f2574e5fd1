import type { RequestHandler } from 'express';
import { tokensEqual } from '@ballast/runtime';

/** Requires `Authorization: Bearer <token>`; answers 401 JSON otherwise. Compares in constant time. */
export function bearerAuth(token: string): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (m && tokensEqual(m[1]?.trim() ?? '', token)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="ballast"');
    res.status(401).json({
      error: { code: 'unauthorized', message: m ? 'Authorization: bearer token is wrong' : 'Authorization: missing "Bearer <token>" header' },
    });
  };
}
