/**
 * /v1/policies: the versioned policy document (docs/policies-api.md). Reads are viewer, writes admin. Every
 * write names the version it replaces — `If-Match: "<n>"` or a `version` field — and gets 409 with the
 * current version when that is stale, 428 when it names none. Bodies are JSON, or YAML with
 * `Content-Type: application/yaml` (or text/yaml). Answers carry `ETag: "<version>"`.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { PolicyDocumentError } from '@ballast/cycle';
import { ApiError } from '../api-error.js';
import { defineRoute, type Route } from '../http/route-table.js';
import type { Principal } from '../security/auth.js';
import { parsePolicyText } from './policy-doc.js';
import { invalidDocument, type PolicyDocuments, type Writer } from './policy-documents.js';
import { HISTORY_KEEP, type PolicyVersion } from './policy-store.js';

export const YAML_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml'];
const BODY_TYPES = ['application/json', 'application/yaml', 'text/yaml'];

const selector = z.object({ matchLabels: z.record(z.string(), z.string()).optional() }).describe('Only the VMs carrying every label of matchLabels.');
const entry = z.object({
  automation: z.enum(['auto', 'recommend', 'off']).optional().describe('Default auto.'),
  args: z.unknown().optional().describe("The policy's knobs (its args.ts); its defaults when not given."),
  selector: selector.optional(),
});
const writeFields = {
  version: z.number().int().min(0).optional().describe('The version this write replaces (or the If-Match header).'),
  comment: z.string().max(500).optional().describe('Why, kept in the history.'),
};
const documentBody = z.object({ policies: z.record(z.string(), entry), ...writeFields });
const entryBody = entry.extend(writeFields);
const nameParam = z.object({ name: z.string().min(1).max(63).describe('A policy name, e.g. memory-balloon.') });
const versionQuery = z.object({ version: z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(0, 'must be ≥ 0').optional().describe('The version this write replaces (or the If-Match header).') });
const ETAG = /^\s*(?:W\/)?"?(\d+)"?\s*$/;

/** A raw body: YAML text (express.text for the YAML types) parsed, JSON as express.json gave it. */
export function rawPolicyBody(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw ?? {};
  try {
    return parsePolicyText(raw, 'yaml');
  } catch (e) {
    throw e instanceof PolicyDocumentError ? invalidDocument(e) : e;
  }
}

/** The version a write replaces: If-Match, else the body's (or query's) `version`; both must agree. */
export function expectedVersion(req: Request, given: unknown): number {
  const header = req.get('if-match');
  let fromHeader: number | undefined;
  if (header !== undefined) {
    const m = ETAG.exec(header);
    if (!m) throw new ApiError(400, 'invalid_request', 'If-Match: must be a policy version such as "3"', 'If-Match');
    fromHeader = Number(m[1]);
  }
  if (given !== undefined && (typeof given !== 'number' || !Number.isInteger(given) || given < 0)) throw new ApiError(400, 'invalid_request', 'version: must be an integer ≥ 0', 'version');
  const fromBody = given as number | undefined;
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody) throw new ApiError(400, 'invalid_request', `version: ${fromBody} but If-Match says ${fromHeader}`, 'version');
  const v = fromHeader ?? fromBody;
  if (v === undefined) throw new ApiError(428, 'version_required', 'If-Match: name the version this write replaces (If-Match: "<n>" or a version field; GET /v1/policies has it)', 'If-Match');
  return v;
}

/** A stored version as the API shows it. */
export function versionJson(v: PolicyVersion) {
  return { version: v.version, updatedAt: v.atMs > 0 ? new Date(v.atMs).toISOString() : null, actor: v.actor, source: v.source, ...(v.comment ? { comment: v.comment } : {}), document: v.document };
}

const writer = (p: Principal, comment: unknown): Writer => ({ actor: p.tokenId, source: 'api', ...(typeof comment === 'string' ? { comment } : {}) });

function answer(res: Response, status: number, v: PolicyVersion): void {
  res.set('ETag', `"${v.version}"`).status(status).json(versionJson(v));
}

/** Splits a write body into its version/comment and the rest. */
function split(body: unknown): { version?: unknown; comment?: unknown; rest: Record<string, unknown> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { rest: body as Record<string, unknown> };
  const { version, comment, ...rest } = body as Record<string, unknown>;
  return { version, comment, rest };
}

const WRITE_RESPONSES = { 400: 'An invalid document: `issues` names every bad field; nothing stored', 409: 'The version is not the current one (`currentVersion`); nothing stored', 428: 'No version named (If-Match or version)' };

export function policyRoutes(docs: PolicyDocuments): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/policies', operationId: 'listPolicies', tag: 'policies', summary: 'The policy document in force: version, document, who and when; `policies` lists the entries as the cycle runs them',
      responses: { 200: '`{version, updatedAt, actor, source, document, policies: [{name, automation, args, selector?}]}`' },
      handle: async (_i, res) => {
        const { current, entries } = await docs.read();
        res.set('ETag', `"${current.version}"`).json({ ...versionJson(current), policies: entries });
      },
    }),
    defineRoute({
      method: 'put', path: '/policies', operationId: 'replacePolicies', tag: 'policies', role: 'admin', summary: 'Replace the policy document (JSON or YAML); a new version, in force from the next cycle',
      body: documentBody, parseBody: rawPolicyBody, bodyTypes: BODY_TYPES,
      responses: { 200: 'The new version', ...WRITE_RESPONSES },
      handle: async ({ body, principal }, res, req) => {
        const { version, comment, rest } = split(body);
        answer(res, 200, await docs.replace(rest, expectedVersion(req, version), writer(principal, comment)));
      },
    }),
    defineRoute({
      method: 'put', path: '/policies/:name', operationId: 'setPolicy', tag: 'policies', role: 'admin', summary: "Add or replace one policy's entry; a new version",
      params: nameParam, body: entryBody, parseBody: rawPolicyBody, bodyTypes: BODY_TYPES,
      responses: { 200: 'The new version', ...WRITE_RESPONSES },
      handle: async ({ params, body, principal }, res, req) => {
        const { version, comment, rest } = split(body);
        answer(res, 200, await docs.setEntry(params.name, rest, expectedVersion(req, version), writer(principal, comment)));
      },
    }),
    defineRoute({
      method: 'delete', path: '/policies/:name', operationId: 'deletePolicy', tag: 'policies', role: 'admin', summary: "Remove one policy's entry; a new version",
      params: nameParam, query: versionQuery,
      responses: { 200: 'The new version', 404: 'The current document has no such policy', ...WRITE_RESPONSES },
      handle: async ({ params, query, principal }, res, req) => {
        answer(res, 200, await docs.deleteEntry(params.name, expectedVersion(req, query.version), writer(principal, undefined)));
      },
    }),
    defineRoute({
      method: 'get', path: '/policies/history', operationId: 'listPolicyVersions', tag: 'policies', summary: `The stored versions, newest first (the last ${HISTORY_KEEP} are kept)`,
      query: z.object({ limit: z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(1, `must be 1 to ${HISTORY_KEEP}`).max(HISTORY_KEEP, `must be 1 to ${HISTORY_KEEP}`).default(50) }),
      responses: { 200: '`{versions: [{version, updatedAt, actor, source, comment?, document}]}`' },
      handle: async ({ query }, res) => res.json({ versions: (await docs.store.history(query.limit)).map(versionJson) }),
    }),
    defineRoute({
      method: 'get', path: '/policies/versions/:version', operationId: 'getPolicyVersion', tag: 'policies', summary: 'One stored version',
      params: z.object({ version: z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(1, 'must be ≥ 1') }),
      responses: { 200: '`{version, updatedAt, actor, source, comment?, document}`', 404: 'No such version (never written, or older than the history keeps)' },
      handle: async ({ params }, res) => {
        const v = await docs.store.get(params.version);
        if (!v) throw new ApiError(404, 'version_not_found', `version: no stored policy version ${params.version}`, 'version');
        answer(res, 200, v);
      },
    }),
  ];
}
