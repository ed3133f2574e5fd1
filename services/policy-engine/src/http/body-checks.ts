/**
 * What the HTTP layer refuses before a route sees its input: a body that is not JSON, a body over the
 * size limit, a path that does not decode. Each becomes a 4xx naming `body` (or `path`), never a 500.
 */
import type { Request } from 'express';
import { ApiError } from '../api-error.js';

/** The default limit of a JSON request body. */
export const DEFAULT_BODY_LIMIT_KIB = 256;

/** True when the request carries a non-empty body. */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * 415 naming `body` when a route that takes a body got one no parser read (a Content-Type other than
 * application/json); an empty body is left alone (it reads as `{}`).
 */
export function requireJsonBody(req: Request): void {
  if (req.body !== undefined || !hasBody(req)) return;
  const type = req.get('content-type') ?? 'none';
  throw new ApiError(415, 'unsupported_media_type', `body: send JSON with Content-Type: application/json (got ${type.slice(0, 100)})`, 'body');
}

/**
 * A 4xx error thrown by express or its body parser (http-errors: `status`, `type`), as the API's error:
 * a bad charset or encoding (415), a length that does not match (400), a path parameter that is not valid
 * percent-encoding (400, `path`). Undefined for anything else.
 */
export function clientErrorOf(err: unknown): ApiError | undefined {
  const e = err as { status?: unknown; type?: unknown; message?: unknown } | null;
  if (typeof e !== 'object' || e === null || typeof e.status !== 'number' || e.status < 400 || e.status > 499) return undefined;
  const message = typeof e.message === 'string' ? e.message.slice(0, 200) : 'bad request';
  if (typeof e.type === 'string') return new ApiError(e.status, e.type.replace(/\W+/g, '_'), `body: ${message}`, 'body');
  if (err instanceof URIError) return new ApiError(400, 'invalid_path', `path: ${message}`, 'path');
  return new ApiError(e.status, 'bad_request', message, 'request');
}
