/**
 * The events other systems subscribe to (docs/events.md): what the policies decided, what became of jobs,
 * and how recommendations changed. Pure: shapes, the type filter and event-id order.
 */
export const EVENT_TYPES = ['decision', 'job', 'recommendation'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What happened to a job: it was enqueued (by a policy or by hand), it finished, or it was cancelled while queued. */
export type JobAction = 'submitted' | 'succeeded' | 'failed' | 'cancelled';
/** A recommendation's change: `new` (pending), then the state it moved to. */
export type RecommendationAction = 'new' | 'approved' | 'rejected' | 'applied' | 'failed' | 'expired';

/** An event before it is published (it gets its id from the stream). */
export interface EventInput {
  type: EventType;
  /** A decision's kind; a JobAction; a RecommendationAction. */
  action: string;
  atMs: number;
  vmUuid?: string;
  hostId?: string;
  /** The subject as the HTTP API shows it: a decision, a job, a recommendation. */
  data: Record<string, unknown>;
}

/** A published event: ids increase monotonically (Redis stream ids, `<ms>-<seq>`). */
export interface BallastEvent extends EventInput {
  id: string;
}

/** The JSON of an event, as SSE data lines, webhook bodies and the gRPC `json` field carry it. */
export function eventJson(e: BallastEvent) {
  return {
    id: e.id,
    type: e.type,
    action: e.action,
    at: new Date(e.atMs).toISOString(),
    ...(e.vmUuid !== undefined ? { vmUuid: e.vmUuid } : {}),
    ...(e.hostId !== undefined ? { hostId: e.hostId } : {}),
    data: e.data,
  };
}

const EVENT_ID = /^\d{1,20}-\d{1,20}$/;

export function isEventId(s: string): boolean {
  return EVENT_ID.test(s);
}

/** Orders two event ids (`<ms>-<seq>`): negative, zero or positive. */
export function compareEventIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const d = BigInt(am) - BigInt(bm) || BigInt(as) - BigInt(bs);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/**
 * A comma-separated type list (`decision,job`) as a set; empty or absent: every type. An unknown name is an
 * error naming it (`{error}`), so routes can answer 400 and gRPC INVALID_ARGUMENT.
 */
export function parseEventTypes(list: string | readonly string[] | undefined): { types: ReadonlySet<EventType> } | { error: string } {
  const names = (typeof list === 'string' ? list.split(',') : (list ?? [])).map((s) => s.trim()).filter((s) => s.length > 0);
  const bad = names.find((n) => !(EVENT_TYPES as readonly string[]).includes(n));
  if (bad !== undefined) return { error: `unknown event type "${bad}"; one of ${EVENT_TYPES.join(', ')}` };
  return { types: new Set((names.length > 0 ? names : EVENT_TYPES) as EventType[]) };
}

/** True when a subscriber that asked for `types` gets the event. */
export function matchesTypes(types: ReadonlySet<EventType>, e: Pick<EventInput, 'type'>): boolean {
  return types.has(e.type);
}
