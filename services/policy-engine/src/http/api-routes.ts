import type { ErrorRequestHandler, Request, Router } from 'express';
import { z } from 'zod';
import type { ClusterState } from '@ballast/cycle';
import type { VmView } from '@ballast/domain';
import { ApiError } from '../api-error.js';
import type { JobService } from '../job-service.js';
import type { LoggedDecision } from '../state/decision-log.js';
import type { DecisionQuery } from '../state/replica-decisions.js';
import { decisionJson, hostJson, vmJson, type VmOptOutJson } from './api-views.js';
import { clientErrorOf } from './body-checks.js';
import { jobRoutes } from './job-routes.js';
import { openApiDocument } from './openapi.js';
import type { AuditSink } from '../security/audit-http.js';
import { staticAuthenticator, type Authenticator } from '../security/auth.js';
import { defineRoute, routerOf, type Route } from './route-table.js';
import type { PolicyDocuments } from '../policies/policy-documents.js';
import { policyRoutes } from '../policies/policy-routes.js';

export interface ApiDeps {
  state: ClusterState;
  jobs: JobService;
  /** The first admin token: checked by a static authenticator when `auth` is not given. */
  token: string;
  /** Resolves bearer tokens to principals (the engine's TokenStore); default: `token` alone, as admin. */
  auth?: Authenticator;
  /** Where changes are audited (the engine's AuditLog); none in tests that do not look. */
  audit?: AuditSink;
  /** Told when an audit entry could not be written. */
  onAuditError?: (e: Error) => void;
  holdMs: number;
  /** The decisions (this replica's, and with a caller to ask them for, the other replicas'). */
  decisions?: { list(q: DecisionQuery, from?: Request, localOnly?: boolean): LoggedDecision[] | Promise<LoggedDecision[]> };
  /** The policy document in force (name → automation + args), readable over the API. */
  policies?: { name: string; automation: string; args: unknown }[];
  /** The versioned policy document in Redis: when given, /v1/policies serves it (policy-routes.ts) instead of `policies`. */
  policyDocs?: PolicyDocuments;
  /** A VM's opt-out of policy jobs (the stop switches), shown with the VM. */
  optOutOf?: (vm: VmView) => VmOptOutJson | undefined;
  /** More /v1 routes (the cluster API). */
  extraRoutes?: readonly Route[];
}

const API_INFO = {
  title: 'Ballast policy engine API',
  version: '1',
  description: 'Hosts, VMs, jobs, decisions and the cluster policy of a Ballast policy engine. Every call needs a bearer token: viewer for reads, operator for jobs and recommendations, admin for policies and tokens.',
  basePath: '/v1',
};

const vmParam = z.string().min(1).describe('A VM name, or its UUID when two hosts report the same name.');
const limit = (max: number) => {
  const why = `must be an integer from 1 to ${max}`;
  return z.coerce.number({ error: why }).int(why).min(1, why).max(max, why).default(100);
};

export const decisionsQuery = z.object({
  vm: vmParam.optional(),
  kind: z.string().min(1).optional().describe('Only decisions of this kind, e.g. move, unmanaged, skipped.'),
  latest: z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).optional().describe("Keep each VM's newest cycle per policy."),
  limit: limit(10000),
  local: z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).optional().describe("Only this engine replica's own decisions (the replicas ask each other with it; default: every replica's)."),
});

const yes = (v: string | undefined) => v === 'true' || v === '1';

/** The VM a name or UUID names: 404 when no host reports it, 409 when two hosts report that name. */
function lookupVm(state: ClusterState, name: string) {
  const found = state.lookup(name);
  if (found.kind === 'missing') throw new ApiError(404, 'vm_not_found', `vm: no host reports a VM named "${name}"`, 'vm');
  if (found.kind === 'ambiguous') throw new ApiError(409, 'vm_ambiguous', `vm: reported by hosts ${found.hosts.join(', ')}`, 'vm');
  return found.vm;
}

/** Hosts, VMs, decisions and policies: what the engine sees and decided. Viewer. */
function stateRoutes(d: ApiDeps): Route[] {
  const routes: Route[] = [
    defineRoute({
      method: 'get', path: '/hosts', operationId: 'listHosts', tag: 'hosts', summary: 'Hosts with pCPU usage, memory, NUMA cells, KSM and VM counts',
      responses: { 200: '`{hosts: [...]}`' },
      handle: (_i, res) => {
        const vms = d.state.vms();
        res.json({ hosts: d.state.hosts().map((h) => hostJson({ ...h, vmCount: vms.filter((v) => v.hostId === h.hostId).length })) });
      },
    }),
    defineRoute({
      method: 'get', path: '/vms', operationId: 'listVms', tag: 'vms', summary: 'VMs with their host, vCPU affinity, balloon and holds',
      query: z.object({ host: z.string().min(1).optional().describe('Only the VMs of this host.') }),
      responses: { 200: '`{vms: [...], holdMs}`' },
      handle: ({ query }, res) => res.json({ vms: d.state.vms(query.host).map((v) => vmJson(v, d.optOutOf?.(v))), holdMs: d.holdMs }),
    }),
    defineRoute({
      method: 'get', path: '/vms/:name', operationId: 'getVm', tag: 'vms', summary: 'One VM, with its labels, config and the decisions that stand now',
      params: z.object({ name: vmParam }),
      responses: { 200: 'The VM', 404: 'No host reports that VM', 409: 'Two hosts report that name: use the UUID' },
      handle: async ({ params }, res, req) => {
        const vm = lookupVm(d.state, params.name);
        const decisions = (await d.decisions?.list({ vmUuid: vm.uuid, latest: true }, req)) ?? [];
        res.json({ ...vmJson(vm, d.optOutOf?.(vm)), decisions: decisions.map(decisionJson) });
      },
    }),
    defineRoute({
      method: 'get', path: '/decisions', operationId: 'listDecisions', tag: 'decisions', summary: 'What the policies decided and why, newest first',
      query: decisionsQuery,
      responses: { 200: '`{decisions: [...]}`', 404: 'No host reports that VM', 409: 'Two hosts report that VM name' },
      handle: async ({ query: q }, res, req) => {
        const vmUuid = q.vm !== undefined ? lookupVm(d.state, q.vm).uuid : undefined;
        const query = { ...(vmUuid !== undefined ? { vmUuid } : {}), ...(q.kind !== undefined ? { kind: q.kind } : {}), latest: yes(q.latest), limit: q.limit };
        const list = (await d.decisions?.list(query, req, yes(q.local))) ?? [];
        res.json({ decisions: list.map(decisionJson) });
      },
    }),
    defineRoute({
      method: 'get', path: '/policies', operationId: 'listPolicies', tag: 'policies', summary: 'The policy document in force',
      responses: { 200: '`{policies: [{name, automation, args}]}`' },
      handle: (_i, res) => res.json({ policies: d.policies ?? [] }),
    }),
  ];
  return d.policyDocs ? [...routes.filter((r) => r.path !== '/policies'), ...policyRoutes(d.policyDocs)] : routes;
}

/** Every /v1 route, the OpenAPI document's own included. */
export function apiRouteTable(d: ApiDeps): Route[] {
  const routes: Route[] = [...stateRoutes(d), ...jobRoutes(d.jobs), ...(d.extraRoutes ?? [])];
  let doc: unknown;
  routes.push(
    defineRoute({
      method: 'get', path: '/openapi.json', operationId: 'getOpenApi', tag: 'meta', summary: 'This API as an OpenAPI 3.1 document',
      responses: { 200: 'The OpenAPI document, made from the route table' },
      handle: (_i, res) => res.json((doc ??= openApiDocument(routes, API_INFO))),
    }),
  );
  return routes;
}

/** The /v1 HTTP API, every route behind a bearer token of at least its role. */
export function apiRoutes(d: ApiDeps): Router {
  const audit = d.audit ? { sink: d.audit, onError: d.onAuditError ?? (() => undefined) } : undefined;
  return routerOf(apiRouteTable(d), d.auth ?? staticAuthenticator(d.token), audit);
}

/** Turns thrown errors into JSON errors; malformed JSON bodies name "body". */
export const apiErrorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (err instanceof ApiError) {
    res.status(err.status).json({ error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}), ...err.details } });
    return;
  }
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.parse.failed') {
    res.status(400).json({ error: { code: 'invalid_json', message: `body: not valid JSON (${e.message ?? ''})`, field: 'body' } });
    return;
  }
  if (e.type === 'entity.too.large') {
    res.status(413).json({ error: { code: 'too_large', message: 'body: too large', field: 'body' } });
    return;
  }
  const client = clientErrorOf(err);
  if (client) return apiErrorHandler(client, req, res, next);
  res.status(500).json({ error: { code: 'internal', message: e.message ?? 'internal error' } });
};
