import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ApiError } from '../api-error.js';
import { openApiDocument, openApiPath } from './openapi.js';
import { defineRoute, parseWith } from './route-table.js';

const routes = [
  defineRoute({
    method: 'get', path: '/things', operationId: 'listThings', tag: 't', summary: 'Things',
    query: z.object({ kind: z.enum(['a', 'b']).optional().describe('Only this kind.'), limit: z.coerce.number().int().min(1).max(50).default(10) }),
    responses: { 200: 'the things' },
    handle: () => undefined,
  }),
  defineRoute({
    method: 'post', path: '/things/:id/poke', operationId: 'pokeThing', tag: 't', summary: 'Poke', role: 'operator',
    params: z.object({ id: z.string().min(1) }),
    body: z.strictObject({ hard: z.boolean(), note: z.string().optional() }),
    responses: { 200: 'poked', 404: 'no such thing' },
    handle: () => undefined,
  }),
];
type Op = {
  operationId: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: Record<string, unknown> }[];
  requestBody?: { required: boolean; content: { 'application/json': { schema: { required?: string[]; additionalProperties?: unknown } } } };
  responses: Record<string, { content: { 'application/json': { schema: Record<string, unknown> } } }>;
};
const doc = openApiDocument(routes, { title: 'T', version: '1', basePath: '/v1' }) as { openapi: string; info: unknown; paths: Record<string, Record<string, Op>> };

test('express paths become OpenAPI paths under the base path', () => {
  assert.equal(openApiPath('/v1', '/recommendations/:id/approve'), '/v1/recommendations/{id}/approve');
  assert.deepEqual(Object.keys(doc.paths), ['/v1/things', '/v1/things/{id}/poke']);
  assert.deepEqual([doc.openapi, doc.info], ['3.1.0', { title: 'T', version: '1' }]);
});

test('query and path parameters come from the schemas: required unless optional or defaulted, descriptions lifted', () => {
  const list = doc.paths['/v1/things']?.['get'];
  assert.deepEqual(list?.parameters?.map((p) => [p.name, p.in, p.required]), [['kind', 'query', false], ['limit', 'query', false]]);
  assert.equal(list?.parameters?.[0]?.description, 'Only this kind.');
  assert.deepEqual(list?.parameters?.[0]?.schema['enum'], ['a', 'b']);
  assert.deepEqual([list?.parameters?.[1]?.schema['maximum'], list?.parameters?.[1]?.schema['default']], [50, 10]);
  assert.deepEqual(list?.security, [{ bearer: [] }], 'reads need a token too');
  assert.deepEqual(Object.keys(list?.responses ?? {}), ['200', '400', '401'], 'a viewer route cannot be refused for its role: no 403');
});

test('an operator route carries the bearer scheme, its role, 401 and 403; a body is required when {} is not valid; errors point at the Error schema', () => {
  const poke = doc.paths['/v1/things/{id}/poke']?.['post'];
  assert.deepEqual(poke?.security, [{ bearer: [] }]);
  assert.equal((poke as unknown as Record<string, unknown>)['x-ballast-role'], 'operator');
  assert.deepEqual(poke?.parameters?.map((p) => [p.name, p.in, p.required]), [['id', 'path', true]]);
  assert.equal(poke?.requestBody?.required, true);
  assert.deepEqual(poke?.requestBody?.content['application/json'].schema.required, ['hard']);
  assert.equal(poke?.requestBody?.content['application/json'].schema.additionalProperties, false);
  assert.deepEqual(Object.keys(poke?.responses ?? {}).sort(), ['200', '400', '401', '403', '404']);
  assert.deepEqual(poke?.responses['404']?.content['application/json'].schema, { $ref: '#/components/schemas/Error' });
});

test('parseWith: the first issue as a 400 naming the field; an unknown field is named too', () => {
  const schema = z.strictObject({ a: z.object({ b: z.number() }) });
  const err = (v: unknown) => {
    try {
      parseWith(schema, v, 'invalid_request');
    } catch (e) {
      assert.ok(e instanceof ApiError);
      return [e.status, e.field, e.message];
    }
    assert.fail('expected an error');
  };
  assert.deepEqual(err({ a: { b: 'x' } }).slice(0, 2), [400, 'a.b']);
  assert.deepEqual(err({ a: { b: 1 }, c: 2 }), [400, 'c', 'c: unknown field']);
  assert.deepEqual(err('nope').slice(0, 2), [400, 'body']);
});
