/**
 * The cluster API: maintenance mode per host, the cluster policy's recommendations (list, approve,
 * reject) and placement advice for a VM about to be created elsewhere. Reads are open; changes need the
 * bearer token.
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import { parseJobRequest, type PlacementAdvice, type PlacementRequest } from '@ballast/domain';
import type { ClusterState } from '@ballast/cycle';
import { ApiError, toApiError } from '../api-error.js';
import type { JobService } from '../job-service.js';
import { bearerAuth } from '../http/bearer-auth.js';
import type { MaintenanceStore } from './maintenance-store.js';
import type { Recommendation, RecommendationState, RecommendationStore } from './recommendation-store.js';

export interface ClusterDeps {
  state: ClusterState;
  jobs: JobService;
  token: string;
  maintenance: MaintenanceStore;
  recommendations: RecommendationStore;
  /** Placement advice on the latest state (the cluster policy's args and the policies' last signals). */
  place: (req: PlacementRequest) => { imbalance: number; hosts: PlacementAdvice[] };
  now: () => number;
}

export const RECOMMENDATION_STATES: RecommendationState[] = ['pending', 'approved', 'rejected', 'applied', 'failed', 'expired'];

const maintenanceBody = z.strictObject({ enabled: z.boolean(), reason: z.string().max(500).optional() });
const decisionBody = z.strictObject({ note: z.string().max(500).optional() });
const placementBody = z.strictObject({
  name: z.string().min(1).optional(),
  vcpus: z.number().int().min(1).max(1024),
  memoryMiB: z.number().int().min(1),
  labels: z.record(z.string(), z.string()).optional(),
  cpuPercent: z.number().min(0).optional(),
  cpuReservedPercent: z.number().min(0).optional(),
});

/** Parses a body with a zod schema; the first issue becomes a 400 naming its field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const field = i && i.path.length > 0 ? i.path.map(String).join('.') : 'body';
  throw new ApiError(400, 'invalid_request', `${field}: ${i?.message ?? 'invalid'}`, field);
}

export function recommendationJson(r: Recommendation) {
  const iso = (ms: number | undefined) => (ms !== undefined ? new Date(ms).toISOString() : null);
  return {
    id: r.id,
    state: r.state,
    vm: r.vmName,
    vmUuid: r.vmUuid,
    from: r.from,
    to: r.to,
    move: r.move,
    priority: r.priority,
    reason: r.reason,
    imbalanceBefore: r.imbalanceBefore,
    predictedAfter: r.predictedAfter,
    observedAfter: r.observedAfter ?? null,
    createdAt: iso(r.createdAtMs),
    updatedAt: iso(r.updatedAtMs),
    decidedAt: iso(r.decidedAtMs),
    note: r.note ?? null,
    jobId: r.jobId ?? null,
    error: r.error ?? null,
  };
}

export function decided(r: Recommendation | { error: string; state?: RecommendationState }, id: string): Recommendation {
  if ('id' in r) return r;
  if (r.error === 'not_found') throw new ApiError(404, 'recommendation_not_found', `id: no recommendation "${id}"`, 'id');
  throw new ApiError(409, 'recommendation_not_pending', `id: recommendation ${id} is ${r.state ?? 'not pending'}, not pending`, 'id');
}

export function clusterRoutes(d: ClusterDeps): Router {
  const r = express.Router();
  const auth = bearerAuth(d.token);

  r.post('/hosts/:id/maintenance', auth, async (req, res) => {
    const body = parseBody(maintenanceBody, req.body);
    const id = req.params['id'] as string;
    if (!d.state.hostReport(id) && !d.maintenance.get(id)) throw new ApiError(404, 'host_not_found', `id: no host "${id}" reports to this engine`, 'id');
    const e = await d.maintenance.set(id, body.enabled, body.reason ?? '', d.now());
    res.json({ hostId: id, maintenance: e !== undefined, since: e ? new Date(e.sinceMs).toISOString() : null, reason: e?.reason ?? null });
  });

  r.get('/recommendations', (req, res) => {
    const state = typeof req.query['state'] === 'string' ? req.query['state'] : undefined;
    if (state !== undefined && !RECOMMENDATION_STATES.includes(state as RecommendationState)) {
      throw new ApiError(400, 'invalid_query', `state: must be one of ${RECOMMENDATION_STATES.join(', ')}`, 'state');
    }
    res.json({ recommendations: d.recommendations.list(state ? { state: state as RecommendationState } : {}).map(recommendationJson) });
  });

  r.get('/recommendations/:id', (req, res) => {
    const rec = d.recommendations.get(req.params['id'] as string);
    if (!rec) throw new ApiError(404, 'recommendation_not_found', `id: no recommendation "${req.params['id']}"`, 'id');
    res.json(recommendationJson(rec));
  });

  r.post('/recommendations/:id/approve', auth, async (req, res) => {
    const body = parseBody(decisionBody, req.body);
    const id = req.params['id'] as string;
    const out = await d.recommendations.approve(id, async (rec) => {
      try {
        return (await d.jobs.submit(parseJobRequest({ type: 'migrate', vm: rec.vmUuid, targetHost: rec.to }))).id;
      } catch (e) {
        throw toApiError(e);
      }
    }, body.note);
    res.json(recommendationJson(decided(out, id)));
  });

  r.post('/recommendations/:id/reject', auth, async (req, res) => {
    const body = parseBody(decisionBody, req.body);
    const id = req.params['id'] as string;
    res.json(recommendationJson(decided(await d.recommendations.reject(id, body.note), id)));
  });

  r.post('/placements', (req, res) => {
    const body = parseBody(placementBody, req.body) as PlacementRequest;
    res.json(d.place(body));
  });

  return r;
}
