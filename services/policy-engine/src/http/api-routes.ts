import express, { type ErrorRequestHandler, type Router } from 'express';
import { parseJobRequest } from '@ballast/domain';
import type { ClusterState } from '@ballast/cycle';
import { ApiError, toApiError } from '../api-error.js';
import type { JobService } from '../job-service.js';
import type { DecisionLog } from '../state/decision-log.js';
import { decisionJson, hostJson, jobJson, vmJson } from './api-views.js';
import { bearerAuth } from './bearer-auth.js';

export interface ApiDeps {
  state: ClusterState;
  jobs: JobService;
  token: string;
  holdMs: number;
  decisions?: DecisionLog;
  /** The policy document in force (name → automation + args), readable over the API. */
  policies?: { name: string; automation: string; args: unknown }[];
  /** More /v1 routes (the cluster API). */
  extraRoutes?: Router[];
}

/** The /v1 HTTP API. Reads are open; mutating calls need the bearer token. */
export function apiRoutes(d: ApiDeps): Router {
  const r = express.Router();
  const auth = bearerAuth(d.token);

  r.get('/hosts', (_req, res) => {
    const vms = d.state.vms();
    res.json({ hosts: d.state.hosts().map((h) => hostJson({ ...h, vmCount: vms.filter((v) => v.hostId === h.hostId).length })) });
  });

  r.get('/vms', (req, res) => {
    const host = typeof req.query['host'] === 'string' ? req.query['host'] : undefined;
    res.json({ vms: d.state.vms(host).map(vmJson), holdMs: d.holdMs });
  });

  r.get('/vms/:name', (req, res) => {
    const found = d.state.lookup(req.params.name);
    if (found.kind === 'missing') throw new ApiError(404, 'vm_not_found', `vm: no host reports a VM named "${req.params.name}"`, 'vm');
    if (found.kind === 'ambiguous') throw new ApiError(409, 'vm_ambiguous', `vm: reported by hosts ${found.hosts.join(', ')}`, 'vm');
    const decisions = d.decisions?.list({ vmUuid: found.vm.uuid, latest: true }) ?? [];
    res.json({ ...vmJson(found.vm), decisions: decisions.map(decisionJson) });
  });

  r.post('/jobs', auth, async (req, res) => {
    let body;
    try {
      body = parseJobRequest(req.body);
    } catch (e) {
      throw toApiError(e);
    }
    const { id, holdUntilMs } = await d.jobs.submit(body);
    res.status(202).location(`/v1/jobs/${id}`).json({ id, state: 'queued', holdUntil: new Date(holdUntilMs).toISOString() });
  });

  r.get('/jobs/:id', async (req, res) => {
    const s = await d.jobs.status(req.params.id);
    if (!s) throw new ApiError(404, 'job_not_found', `id: no job "${req.params.id}"`, 'id');
    res.json(jobJson(s));
  });

  r.get('/decisions', (req, res) => {
    const vm = typeof req.query['vm'] === 'string' ? req.query['vm'] : undefined;
    const limitRaw = typeof req.query['limit'] === 'string' ? Number(req.query['limit']) : 100;
    if (!Number.isInteger(limitRaw) || limitRaw < 1 || limitRaw > 10000) {
      throw new ApiError(400, 'invalid_query', 'limit: must be an integer from 1 to 10000', 'limit');
    }
    let vmUuid: string | undefined;
    if (vm !== undefined) {
      const found = d.state.lookup(vm);
      if (found.kind === 'missing') throw new ApiError(404, 'vm_not_found', `vm: no host reports a VM named "${vm}"`, 'vm');
      if (found.kind === 'ambiguous') throw new ApiError(409, 'vm_ambiguous', `vm: reported by hosts ${found.hosts.join(', ')}`, 'vm');
      vmUuid = found.vm.uuid;
    }
    const kind = typeof req.query['kind'] === 'string' ? req.query['kind'] : undefined;
    const latestRaw = typeof req.query['latest'] === 'string' ? req.query['latest'] : undefined;
    if (latestRaw !== undefined && !['true', 'false', '1', '0'].includes(latestRaw)) {
      throw new ApiError(400, 'invalid_query', 'latest: must be true or false', 'latest');
    }
    const latest = latestRaw === 'true' || latestRaw === '1';
    const list =
      d.decisions?.list({ ...(vmUuid !== undefined ? { vmUuid } : {}), ...(kind !== undefined ? { kind } : {}), latest, limit: limitRaw }) ?? [];
    res.json({ decisions: list.map(decisionJson) });
  });

  r.get('/policies', (_req, res) => {
    res.json({ policies: d.policies ?? [] });
  });

  for (const extra of d.extraRoutes ?? []) r.use(extra);

  return r;
}

/** Turns thrown errors into JSON errors; malformed JSON bodies name "body". */
export const apiErrorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (err instanceof ApiError) {
    res.status(err.status).json({ error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } });
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
  res.status(500).json({ error: { code: 'internal', message: e.message ?? 'internal error' } });
};
