/**
 * The HTTP API as a table: each route is declared once — method, path, the zod schemas of what it takes
 * (path params, query, body) and what it answers — and both its express registration (routerOf) and its
 * entry in the OpenAPI document (openapi.ts) are made from that one declaration, so they cannot drift.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import { ApiError } from '../api-error.js';
import { auditChanges, type AuditSink } from '../security/audit-http.js';
import { requireJsonBody } from './body-checks.js';
import { principalOf, requireRole, type Authenticator, type Principal, type Role } from '../security/auth.js';

export type Method = 'get' | 'post' | 'put' | 'delete';

type Obj = z.ZodObject;

export interface RouteInput<P extends Obj, Q extends Obj, T> {
  params: z.output<P>;
  query: z.output<Q>;
  body: T;
  /** Who called (the token's id and role). */
  principal: Principal;
}

/** `T`: the body as the handler gets it (the schema's output, or what `parseBody` returns). */
export interface RouteSpec<P extends Obj, Q extends Obj, B extends z.ZodType, T> {
  method: Method;
  /** The express path under /v1, e.g. `/jobs/:id`. */
  path: string;
  /** The operation's unique name (OpenAPI operationId), e.g. `cancelJob`. */
  operationId: string;
  /** Groups routes in the document: `hosts`, `jobs`, `cluster`, … */
  tag: string;
  summary: string;
  /** The least role the caller's token needs (every route needs a token): viewer when not set. */
  role?: Role;
  params?: P;
  query?: Q;
  /** The JSON body. */
  body?: B;
  /** Validates the body instead of `body` when the route has a parser of its own (`body` must state its rules). */
  parseBody?: (raw: unknown) => T;
  /** The media types the body may come as (OpenAPI); application/json when not set. */
  bodyTypes?: readonly string[];
  /** Status → what the answer holds; 400 (when it takes input) and 401 (with `auth`) are added for every route. */
  responses: Record<number, string>;
  /** The media type of its 2xx answers when not JSON, e.g. `text/event-stream`. */
  contentType?: string;
  handle(input: RouteInput<P, Q, T>, res: Response, req: Request): unknown;
}

/** A declared route, its types erased: what route tables hold. */
export interface Route {
  readonly method: Method;
  readonly path: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly role: Role;
  readonly params?: Obj;
  readonly query?: Obj;
  readonly body?: z.ZodType;
  readonly bodyTypes?: readonly string[];
  readonly responses: Readonly<Record<number, string>>;
  readonly contentType?: string;
  /** Validates the inputs (400 naming the first bad field) and runs the handler. */
  readonly run: (req: Request, res: Response) => Promise<void>;
}

/** Declares a route: the handler gets its params, query and body parsed by the route's own schemas. */
export function defineRoute<P extends Obj = Obj, Q extends Obj = Obj, B extends z.ZodType = z.ZodUnknown, T = z.output<B>>(spec: RouteSpec<P, Q, B, T>): Route {
  const { handle, parseBody: ownParser, ...doc } = spec;
  return {
    ...doc,
    role: spec.role ?? 'viewer',
    async run(req, res) {
      if (ownParser || spec.body) requireJsonBody(req);
      const input = {
        params: spec.params ? parseWith(spec.params, req.params, 'invalid_request') : {},
        query: spec.query ? parseWith(spec.query, req.query, 'invalid_query') : {},
        body: ownParser ? ownParser(req.body) : spec.body ? parseBody(spec.body, req.body) : undefined,
        principal: principalOf(res),
      } as RouteInput<P, Q, T>;
      await handle(input, res, req);
    },
  };
}

/**
 * An express router serving the routes, each behind a bearer token of at least its role; with `audit`, every
 * change (any method but GET) that succeeds or is refused for its role is recorded.
 */
export function routerOf(routes: readonly Route[], auth: Authenticator, audit?: { sink: AuditSink; onError: (e: Error) => void }): Router {
  const r = express.Router();
  for (const route of routes) {
    const audited = audit && route.method !== 'get' ? [auditChanges(route.operationId, audit.sink, audit.onError)] : [];
    r[route.method](route.path, ...audited, requireRole(auth, route.role), route.run);
  }
  return r;
}

/** Parses a body with a zod schema; the first issue becomes a 400 naming its field (a missing body is `{}`). */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  return parseWith(schema, body ?? {}, 'invalid_request');
}

/** Parses a value with a zod schema; the first issue becomes a 400 `{code, message: "field: why", field}`. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, code: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  if (i?.code === 'unrecognized_keys' && i.keys[0] !== undefined) {
    const key = [...i.path.map(String), i.keys[0]].join('.');
    throw new ApiError(400, code, `${key}: unknown field`, key);
  }
  const field = i && i.path.length > 0 ? i.path.map(String).join('.') : 'body';
  throw new ApiError(400, code, `${field}: ${i?.message ?? 'invalid'}`, field);
}
