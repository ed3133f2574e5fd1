/**
 * The cluster pause over gRPC (PolicyService.GetPause / SetPause; docs/stop-switches.md): the same store,
 * rules and messages as GET / POST / DELETE /v1/pause. The roles (viewer to read, admin to change) are the
 * gRPC auth interceptor's (security/grpc-roles.ts); the actor recorded is the caller's token id.
 */
import * as grpc from '@grpc/grpc-js';
import type { Pause as PauseMessage, PolicyServiceServer } from '@ballast/proto';
import { ApiError } from '../api-error.js';
import { bearerToken, type Authenticator } from '../security/auth.js';
import type { Pause, StopSwitches } from './stop-switches.js';

export interface StopRpcDeps {
  stops: StopSwitches;
  now: () => number;
  /** Who calls: the token id the call's `authorization` metadata names (as the HTTP API records it). */
  actorOf: (metadata: grpc.Metadata) => Promise<string>;
  /** ApiError → gRPC status (policy-service.ts's). */
  toGrpcError: (e: unknown) => Partial<grpc.StatusObject>;
}

export function pauseToProto(p: Pause | undefined): PauseMessage {
  return p ? { paused: true, reason: p.reason, sinceMs: p.sinceMs, actor: p.actor } : { paused: false, reason: '', sinceMs: 0, actor: '' };
}

export function stopRpcs(d: StopRpcDeps): Pick<PolicyServiceServer, 'getPause' | 'setPause'> {
  return {
    getPause(_call, cb) {
      cb(null, { pause: pauseToProto(d.stops.current()) });
    },
    setPause(call, cb) {
      const { paused, reason } = call.request;
      Promise.resolve()
        .then(async () => {
          if (!paused) return (await d.stops.clearPause(), undefined);
          if (reason.trim() === '') throw new ApiError(400, 'invalid_request', 'reason: must not be empty', 'reason');
          if (reason.length > 500) throw new ApiError(400, 'invalid_request', 'reason: at most 500 characters', 'reason');
          return d.stops.setPause(reason.trim(), await d.actorOf(call.metadata), d.now());
        })
        .then((p) => cb(null, { pause: pauseToProto(p) }))
        .catch((e: unknown) => cb(d.toGrpcError(e)));
    },
  };
}

/** The rpcs when the engine serves no stop switches (tests, tools): UNIMPLEMENTED. */
export const noStopRpcs: Pick<PolicyServiceServer, 'getPause' | 'setPause'> = {
  getPause: (_c, cb) => cb({ code: grpc.status.UNIMPLEMENTED, details: 'pause: not served by this engine' }),
  setPause: (_c, cb) => cb({ code: grpc.status.UNIMPLEMENTED, details: 'pause: not served by this engine' }),
};

/** StopRpcDeps.actorOf: the token id of the call's bearer token when `auth` knows it, else `grpc` (a caller with another or no token). */
export function grpcActor(auth: Authenticator): (metadata: grpc.Metadata) => Promise<string> {
  return async (metadata) => {
    const t = bearerToken(String(metadata.get('authorization')[0] ?? ''));
    if ('error' in t) return 'grpc';
    const p = await auth.authenticate(t.token);
    return 'error' in p ? 'grpc' : p.tokenId;
  };
}
