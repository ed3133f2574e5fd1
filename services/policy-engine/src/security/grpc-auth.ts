import * as grpc from '@grpc/grpc-js';
import { checkAuthorization } from '@ballast/runtime';
import { bearerToken, roleAllows, type Authenticator, type Principal, type Role } from './auth.js';
import type { AuditSink } from './audit-http.js';

const POLICY_SERVICE = '/ballast.v1.PolicyService/';
const INGEST_SERVICE = '/ballast.v1.IngestService/';

export interface EngineGrpcAuthOptions {
  /** The API's tokens and roles: PolicyService calls always need one, as the HTTP API. */
  auth: Authenticator;
  /** PolicyService method name → the least role it needs; a method not listed is refused. */
  roles: Readonly<Record<string, Role>>;
  /** The collectors' own credential (BALLAST_GRPC_TOKEN): IngestService calls need it when set. */
  ingestToken?: string | undefined;
  /** Records PolicyService changes (methods needing more than viewer) that succeeded or were refused for the role. */
  audit?: AuditSink;
  onAuditError?: (e: Error) => void;
  /** Every refused call (log it); never sees a token. */
  onReject?: (r: { method: string; peer: string; reason: string }) => void;
}

/** Set by the interceptor on an authenticated call's metadata (any value a client sent is dropped): the token id. */
const CALLER_KEY = 'x-ballast-caller';

/** The token id of the caller of an authenticated PolicyService call, for records; `grpc` when unknown. */
export function grpcCaller(metadata: grpc.Metadata): string {
  const v = metadata.get(CALLER_KEY)[0];
  return typeof v === 'string' && v !== '' ? v : 'grpc';
}

type Verdict = { ok: true; principal?: Principal } | { ok: false; code: grpc.status; reason: string; principal?: Principal };

/**
 * The engine's gRPC check, one interceptor for the two services on its port: PolicyService takes the same
 * bearer tokens and roles as the HTTP API (always — there is no open mode), IngestService takes the collectors'
 * token. Methods of other services are refused. `authorization: Bearer <token>` metadata carries either.
 */
export function engineGrpcAuth(o: EngineGrpcAuthOptions): grpc.ServerInterceptor {
  return (method, call) => {
    let principal: Principal | undefined;
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        verdictOf(o, method.path, metadata).then(
          (v) => {
            principal = v.principal;
            metadata.remove(CALLER_KEY);
            if (v.ok && principal) metadata.set(CALLER_KEY, principal.tokenId);
            if (v.ok) return next(metadata);
            o.onReject?.({ method: method.path, peer: call.getPeer(), reason: v.reason });
            if (v.code === grpc.status.PERMISSION_DENIED && principal) audit(o, method.path, principal, 'PERMISSION_DENIED');
            call.sendStatus({ code: v.code, details: v.reason, metadata: new grpc.Metadata() });
          },
          (e: Error) => call.sendStatus({ code: grpc.status.UNAVAILABLE, details: `authentication failed: ${e.message}`, metadata: new grpc.Metadata() }),
        );
      })
      .build();
    const responder = new grpc.ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendStatus((status, next) => {
        const name = method.path.slice(POLICY_SERVICE.length);
        if (principal && status.code === grpc.status.OK && method.path.startsWith(POLICY_SERVICE) && o.roles[name] !== 'viewer') audit(o, method.path, principal, 'OK');
        next(status);
      })
      .build();
    return new grpc.ServerInterceptingCall(call, responder);
  };
}

async function verdictOf(o: EngineGrpcAuthOptions, path: string, metadata: grpc.Metadata): Promise<Verdict> {
  if (path.startsWith(INGEST_SERVICE)) {
    if (!o.ingestToken) return { ok: true };
    const problem = checkAuthorization(metadata, o.ingestToken);
    return problem === undefined ? { ok: true } : { ok: false, code: grpc.status.UNAUTHENTICATED, reason: `ingest: ${problem}` };
  }
  if (!path.startsWith(POLICY_SERVICE)) return { ok: false, code: grpc.status.UNIMPLEMENTED, reason: `no such method ${path}` };
  const needs = o.roles[path.slice(POLICY_SERVICE.length)];
  if (!needs) return { ok: false, code: grpc.status.PERMISSION_DENIED, reason: `${path}: no role is allowed this method` };
  const values = metadata.get('authorization');
  const t = bearerToken(values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined);
  if ('error' in t) return { ok: false, code: grpc.status.UNAUTHENTICATED, reason: 'missing "authorization: Bearer <token>" metadata (an API token)' };
  const p = await o.auth.authenticate(t.token);
  if ('error' in p) return { ok: false, code: grpc.status.UNAUTHENTICATED, reason: p.error };
  if (!roleAllows(p.role, needs)) return { ok: false, code: grpc.status.PERMISSION_DENIED, reason: `this call needs the ${needs} role; the token (${p.tokenId}) has ${p.role}`, principal: p };
  return { ok: true, principal: p };
}

function audit(o: EngineGrpcAuthOptions, path: string, p: Principal, status: string): void {
  o.audit?.record({ actor: p.tokenId, role: p.role, action: `grpc:${path.slice(POLICY_SERVICE.length)}`, status }).catch((e: Error) => o.onAuditError?.(e));
}
