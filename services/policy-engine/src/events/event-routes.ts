/**
 * `GET /v1/events`: the event stream as server-sent events (viewer). Each event is `id:`, `event:` (its
 * type) and one `data:` line of JSON; a reconnecting client sends `Last-Event-ID` (or `?after=`) and gets
 * what it missed from the replay buffer first. A comment line every `heartbeatMs` keeps proxies from
 * closing an idle stream. At most `maxStreamsPerToken` streams per token at once (429 past that); a client
 * too slow to read is cut off (it can resume).
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ApiError } from '../api-error.js';
import { defineRoute, type Route } from '../http/route-table.js';
import type { EventStream } from './event-stream.js';
import { EVENT_TYPES, eventJson, isEventId, parseEventTypes, type BallastEvent } from './event-types.js';

export interface EventRouteOptions {
  /** Default 15,000 ms. */
  heartbeatMs?: number;
  /** Default 8. */
  maxStreamsPerToken?: number;
  /** A client whose unread output passes this is disconnected (default 4 MiB). */
  maxBufferedBytes?: number;
}

const eventIdSchema = z.string().refine(isEventId, { error: 'must be an event id, <ms>-<seq>' });

export const eventsQuery = z.object({
  types: z
    .string()
    .optional()
    .refine((s) => !('error' in parseEventTypes(s)), { error: `must be a comma-separated list of ${EVENT_TYPES.join(', ')}` })
    .describe(`Comma-separated: ${EVENT_TYPES.join(', ')}; every type when absent.`),
  after: eventIdSchema.optional().describe('Resume after this event id (as the Last-Event-ID header does; the header wins).'),
});

/** SSE framing of one event. */
export function sseFrame(e: BallastEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(eventJson(e))}\n\n`;
}

export function eventRoutes(events: EventStream, o: EventRouteOptions = {}): Route[] {
  const open = new Map<string, number>();
  const max = o.maxStreamsPerToken ?? 8;
  return [
    defineRoute({
      method: 'get', path: '/events', operationId: 'streamEvents', tag: 'events',
      summary: 'Decisions, job outcomes and recommendation changes as server-sent events (docs/events.md)',
      query: eventsQuery, contentType: 'text/event-stream',
      responses: {
        200: 'A `text/event-stream` that stays open: per event `id: <id>`, `event: decision|job|recommendation`, `data: {id, type, action, at, vmUuid?, hostId?, data}`; a `: heartbeat` comment every 15 s. Send `Last-Event-ID` to resume.',
        429: 'This token already holds the most streams allowed at once',
      },
      handle: async ({ query, principal }, res, req) => {
        const afterId = resumeId(req, query.after);
        const parsed = parseEventTypes(query.types);
        const types = 'types' in parsed ? parsed.types : undefined;
        const held = open.get(principal.tokenId) ?? 0;
        if (held >= max) {
          res.set('Retry-After', '10');
          throw new ApiError(429, 'too_many_streams', `events: token ${principal.tokenId} already holds ${held} event streams (at most ${max})`);
        }
        open.set(principal.tokenId, held + 1);
        const release = () => {
          const n = (open.get(principal.tokenId) ?? 1) - 1;
          if (n > 0) open.set(principal.tokenId, n);
          else open.delete(principal.tokenId);
        };
        await serve(events, { ...(types ? { types } : {}), ...(afterId !== undefined ? { afterId } : {}) }, req, res, { release, ...o });
      },
    }),
  ];
}

/** The id to resume after: the Last-Event-ID header, else `?after=`; 400 naming the header when malformed. */
function resumeId(req: Request, after: string | undefined): string | undefined {
  const header = req.get('last-event-id')?.trim();
  if (header === undefined || header === '') return after;
  if (!isEventId(header)) throw new ApiError(400, 'invalid_request', 'Last-Event-ID: must be an event id, <ms>-<seq>', 'Last-Event-ID');
  return header;
}

async function serve(
  events: EventStream,
  sub: Parameters<EventStream['subscribe']>[0],
  req: Request,
  res: Response,
  o: EventRouteOptions & { release: () => void },
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': connected\n\n');
  let stop: (() => void) | undefined;
  let closed = false;
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), o.heartbeatMs ?? 15_000);
  const end = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    stop?.();
    o.release();
    res.end();
  };
  req.on('close', end);
  res.on('error', end);
  const limit = o.maxBufferedBytes ?? 4 * 1024 * 1024;
  try {
    stop = await events.subscribe(sub, (e) => {
      if (closed) return;
      res.write(sseFrame(e));
      if (res.writableLength > limit) end();
    }, end);
  } catch (e) {
    res.write(`event: error\ndata: ${JSON.stringify({ message: `events: could not read the stream (${(e as Error).message})` })}\n\n`);
    end();
  }
  if (closed) stop?.();
}
