/** `PolicyService.WatchEvents`: the event stream over gRPC (server streaming), as GET /v1/events serves it. */
import * as grpc from '@grpc/grpc-js';
import type { WatchEventsRequest, WatchEventsResponse } from '@ballast/proto';
import type { EventStream } from './event-stream.js';
import { eventJson, isEventId, parseEventTypes, type BallastEvent } from './event-types.js';

export function eventToProto(e: BallastEvent): WatchEventsResponse {
  return { id: e.id, type: e.type, action: e.action, atMs: e.atMs, vmUuid: e.vmUuid ?? '', hostId: e.hostId ?? '', json: JSON.stringify(eventJson(e)) };
}

type Call = grpc.ServerWritableStream<WatchEventsRequest, WatchEventsResponse>;

/** The handler; UNIMPLEMENTED when the engine serves no events. */
export function watchEventsHandler(events: EventStream | undefined): grpc.handleServerStreamingCall<WatchEventsRequest, WatchEventsResponse> {
  return (call: Call) => {
    const fail = (code: grpc.status, details: string) => call.emit('error', { code, details });
    if (!events) return fail(grpc.status.UNIMPLEMENTED, 'events: not served by this engine');
    const parsed = parseEventTypes(call.request.types);
    if ('error' in parsed) return fail(grpc.status.INVALID_ARGUMENT, `types: ${parsed.error}`);
    const afterId = call.request.afterId;
    if (afterId !== '' && !isEventId(afterId)) return fail(grpc.status.INVALID_ARGUMENT, 'after_id: must be an event id, <ms>-<seq>');
    let stop: (() => void) | undefined;
    let done = false;
    const end = () => {
      done = true;
      stop?.();
    };
    call.on('cancelled', end);
    call.on('close', end);
    call.on('error', end);
    events
      .subscribe({ types: parsed.types, ...(afterId !== '' ? { afterId } : {}) }, (e) => {
        if (!done) call.write(eventToProto(e));
      }, () => {
        done = true;
        call.end();
      })
      .then((s) => {
        stop = s;
        if (done) s();
      })
      .catch((e: unknown) => fail(grpc.status.UNAVAILABLE, `events: could not read the stream (${(e as Error).message})`));
  };
}
