/**
 * The OpenAPI 3.1 document of the HTTP API, made from the route table: paths, parameters and bodies
 * come from the same zod schemas the routes validate with (zod's JSON Schema output, draft 2020-12, the
 * dialect OpenAPI 3.1 uses).
 */
import { z } from 'zod';
import type { Route } from './route-table.js';

type Json = Record<string, unknown>;

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  /** Where the routes are mounted, e.g. `/v1`. */
  basePath: string;
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Machine-readable, e.g. job_not_found.' },
        message: { type: 'string', description: '"field: why" when a field is at fault.' },
        field: { type: 'string', description: 'The request field at fault, if any.' },
      },
    },
  },
};

/** A zod schema as a JSON Schema for requests (what a client sends: defaults make fields optional). */
export function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

/** An express path `/jobs/:id` as an OpenAPI path `/v1/jobs/{id}`. */
export function openApiPath(basePath: string, expressPath: string): string {
  return basePath + expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export function openApiDocument(routes: readonly Route[], info: OpenApiInfo): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) (paths[openApiPath(info.basePath, r.path)] ??= {})[r.method] = operation(r);
  const { basePath: _base, ...rest } = info;
  return {
    openapi: '3.1.0',
    info: rest,
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token: the first admin token (BALLAST_API_TOKEN or the generated token file) or one made by POST /v1/tokens. Roles: viewer < operator < admin; `x-ballast-role` on each operation names the least it needs.' } },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}

function operation(r: Route): Json {
  const parameters = [...parametersOf('path', r.params), ...parametersOf('query', r.query)];
  return {
    operationId: r.operationId,
    summary: r.summary,
    tags: [r.tag],
    security: [{ bearer: [] }],
    'x-ballast-role': r.role,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(r.body ? { requestBody: requestBody(r.body, r.bodyTypes) } : {}),
    responses: responses(r),
  };
}

function parametersOf(where: 'path' | 'query', schema: z.ZodObject | undefined): Json[] {
  return Object.entries(schema?.shape ?? {}).map(([name, field]) => {
    const s = jsonSchema(field);
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || !field.safeParse(undefined).success,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function requestBody(schema: z.ZodType, types: readonly string[] = ['application/json']): Json {
  const media = { schema: jsonSchema(schema) };
  return { required: !schema.safeParse({}).success, content: Object.fromEntries(types.map((t) => [t, media])) };
}

function responses(r: Route): Json {
  const all: Record<number, string> = { ...r.responses };
  if ((r.params || r.query || r.body) && all[400] === undefined) all[400] = 'A bad parameter or body; `field` names it.';
  if (all[401] === undefined) all[401] = 'No bearer token, or a wrong one.';
  if (r.role !== 'viewer' && all[403] === undefined) all[403] = `The token's role is below ${r.role}; nothing changed.`;
  const out: Json = {};
  for (const [status, description] of Object.entries(all)) {
    const error = Number(status) >= 400;
    out[status] = {
      description,
      content: error || !r.contentType ? { 'application/json': { schema: error ? { $ref: '#/components/schemas/Error' } : { type: 'object' } } } : { [r.contentType]: { schema: { type: 'string' } } },
    };
  }
  return out;
}
