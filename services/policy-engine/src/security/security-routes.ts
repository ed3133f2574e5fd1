/**
 * Tokens (admin) and the audit log (viewer) as routes of the API's table. A token is shown once, in the
 * answer that creates it; lists show ids, roles and names only.
 */
import { z } from 'zod';
import { ApiError } from '../api-error.js';
import { defineRoute, type Route } from '../http/route-table.js';
import { ROLES } from './auth.js';
import type { AuditEntry, AuditLog } from './audit-log.js';
import type { TokenInfo, TokenStore } from './token-store.js';

const iso = (ms: number) => new Date(ms).toISOString();

export const tokenJson = (t: TokenInfo) => ({ id: t.id, role: t.role, name: t.name, createdAt: iso(t.createdAtMs), createdBy: t.createdBy });

export const auditJson = (e: AuditEntry) => ({
  id: e.id,
  at: iso(e.atMs),
  actor: e.actor,
  ...(e.role !== undefined ? { role: e.role } : {}),
  action: e.action,
  ...(e.target !== undefined ? { target: e.target } : {}),
  status: e.status,
  ...(e.detail !== undefined ? { detail: e.detail } : {}),
});

const createBody = z.strictObject({
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
  name: z.string().trim().min(1, 'must not be empty').max(100).describe('Who or what the token is for, e.g. "grafana" or "ci-deployer".'),
});

const auditQuery = z.object({
  limit: z.coerce.number({ error: 'must be an integer from 1 to 1000' }).int().min(1).max(1000).default(100),
  before: z.string().regex(/^\d+-\d+$/, 'must be an audit entry id (<ms>-<seq>)').optional().describe('Page back: entries older than this id.'),
  actor: z.string().min(1).optional().describe('Only this token id (or file:<path>, engine).'),
  action: z.string().min(1).optional().describe('Only this action (an operationId such as submitJob).'),
});

export function securityRoutes(tokens: TokenStore, audit: AuditLog): Route[] {
  return [
    defineRoute({
      method: 'post', path: '/tokens', operationId: 'createToken', tag: 'security', role: 'admin',
      summary: 'Make an API token with a role; the answer is the only time the token is shown',
      body: createBody,
      responses: { 201: '`{token, id, role, name, createdAt, createdBy}`' },
      handle: async ({ body, principal }, res) => {
        const { token, info } = await tokens.create({ role: body.role, name: body.name, createdBy: principal.tokenId });
        res.status(201).json({ token, ...tokenJson(info) });
      },
    }),
    defineRoute({
      method: 'get', path: '/tokens', operationId: 'listTokens', tag: 'security', role: 'admin',
      summary: 'The API tokens: ids, roles, names (never the tokens)',
      responses: { 200: '`{tokens: [...]}`' },
      handle: async (_i, res) => res.json({ tokens: (await tokens.list()).map(tokenJson) }),
    }),
    defineRoute({
      method: 'delete', path: '/tokens/:id', operationId: 'revokeToken', tag: 'security', role: 'admin',
      summary: 'Revoke a token: calls with it fail from now on, on every engine',
      params: z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'must be a token id (16 hex digits)') }),
      responses: { 200: '`{revoked: id}`', 404: 'No such token' },
      handle: async ({ params }, res) => {
        if (!(await tokens.revoke(params.id))) throw new ApiError(404, 'token_not_found', `id: no token ${params.id}`, 'id');
        res.json({ revoked: params.id });
      },
    }),
    defineRoute({
      method: 'get', path: '/audit', operationId: 'listAudit', tag: 'security',
      summary: 'Who changed what and when, newest first: every change made over HTTP or gRPC, and the policy file applied at start',
      query: auditQuery,
      responses: { 200: '`{entries: [...]}`' },
      handle: async ({ query: q }, res) => {
        const list = await audit.list({ limit: q.limit, ...(q.before ? { beforeId: q.before } : {}), ...(q.actor ? { actor: q.actor } : {}), ...(q.action ? { action: q.action } : {}) });
        res.json({ entries: list.map(auditJson) });
      },
    }),
  ];
}
