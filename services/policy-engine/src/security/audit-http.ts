import type { Request, RequestHandler, Response } from 'express';
import type { Principal } from './auth.js';
import type { AuditInput } from './audit-log.js';

/** Where audit entries go (AuditLog, or a test double). */
export interface AuditSink {
  record(e: AuditInput): Promise<void>;
}

const SECRET_KEY = /secret|token|password|authorization/i;
const MAX_DETAIL = 4096;

/** A request body fit for the audit log: secrets replaced, bounded in size. */
export function auditDetail(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  const text = JSON.stringify(body, (k, v: unknown) => (k !== '' && SECRET_KEY.test(k) ? '[redacted]' : v));
  if (text === undefined || text === '{}') return undefined;
  return text.length <= MAX_DETAIL ? (JSON.parse(text) as unknown) : { truncated: text.slice(0, MAX_DETAIL) };
}

/**
 * Audits a change route: once the answer is sent, a success (2xx) or a refusal for the role (403) is recorded
 * with the caller's token id, the operation, its target (the path parameters) and the checked body. Reads are
 * not audited; neither are calls without a valid token (nobody to name) nor bad input (nothing changed).
 */
export function auditChanges(action: string, sink: AuditSink, onError: (e: Error) => void): RequestHandler {
  return (req: Request, res: Response, next) => {
    res.on('finish', () => {
      const caller = (res.locals as { caller?: Principal }).caller;
      if (!caller || !(res.statusCode < 300 || res.statusCode === 403)) return;
      const target = Object.values(req.params as Record<string, string>).join('/') || undefined;
      const detail = auditDetail(req.body);
      sink
        .record({ actor: caller.tokenId, role: caller.role, action, status: String(res.statusCode), ...(target ? { target } : {}), ...(detail !== undefined ? { detail } : {}) })
        .catch(onError);
    });
    next();
  };
}
