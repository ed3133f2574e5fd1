import * as grpc from '@grpc/grpc-js';
import { tokensEqual } from './tokens-equal.js';

export interface GrpcTokenAuthOptions {
  /** Full method paths that need no token, e.g. '/grpc.health.v1.Health/Check'. */
  exemptMethods?: readonly string[];
  /** Called for each rejected call (log it, count it); never sees the token. */
  onReject?: (rejection: { method: string; peer: string; reason: string }) => void;
}

const BEARER = /^Bearer\s+(\S.*)$/i;

/**
 * A server interceptor that ends every call without `authorization: Bearer <token>` metadata, or with a
 * different token, with UNAUTHENTICATED before the handler runs. Tokens are compared in constant time.
 *
 *   const server = new grpc.Server({ interceptors: [grpcTokenAuth(config.grpcToken)] });
 */
export function grpcTokenAuth(token: string, options: GrpcTokenAuthOptions = {}): grpc.ServerInterceptor {
  if (token === '') throw new Error('grpcTokenAuth: empty token');
  const exempt = new Set(options.exemptMethods ?? []);
  return (method, call) => {
    if (exempt.has(method.path)) return new grpc.ServerInterceptingCall(call);
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const problem = checkAuthorization(metadata, token);
        if (problem === undefined) return next(metadata);
        options.onReject?.({ method: method.path, peer: call.getPeer(), reason: problem });
        call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: problem, metadata: new grpc.Metadata() });
      })
      .build();
    const responder = new grpc.ResponderBuilder().withStart((next) => next(listener)).build();
    return new grpc.ServerInterceptingCall(call, responder);
  };
}

/** undefined when the metadata carries the right bearer token, else why not. */
export function checkAuthorization(metadata: grpc.Metadata, token: string): string | undefined {
  const values = metadata.get('authorization');
  if (values.length === 0) return 'missing "authorization: Bearer <token>" metadata';
  const match = values.length === 1 && typeof values[0] === 'string' ? BEARER.exec(values[0]) : null;
  if (!match?.[1]) return 'authorization metadata is not "Bearer <token>"';
  return tokensEqual(match[1].trim(), token) ? undefined : 'wrong bearer token';
}
