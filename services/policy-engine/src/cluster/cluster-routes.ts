/**
 * The cluster API: maintenance mode per host, the cluster policy's recommendations (list, approve,
 * reject) and placement advice for a VM about to be created elsewhere, as routes of the API's table
 * (api-routes.ts). Reads are open; changes need the bearer token.
 */
import { z } from 'zod';
import { parseJobRequest, type PlacementAdvice, type PlacementRequest } from '@ballast/domain';
import type { ClusterState } from '@ballast/cycle';
import { ApiError, toApiError } from '../api-error.js';
import type { JobService } from '../job-service.js';
import { defineRoute, type Route } from '../http/route-table.js';
import type { MaintenanceStore } from './maintenance-store.js';
import type { Recommendation, RecommendationState, RecommendationStore } from './recommendation-store.js';

export interface ClusterDeps {
  state: ClusterState;
  jobs: JobService;
  maintenance: MaintenanceStore;
  recommendations: RecommendationStore;
  /** Placement advice on the latest state (the cluster policy's args and the policies' last signals). */
  place: (req: PlacementRequest) => { imbalance: number; hosts: PlacementAdvice[] };
  now: () => number;
}

export const RECOMMENDATION_STATES = ['pending', 'approved', 'rejected', 'applied', 'failed', 'expired'] as const satisfies readonly RecommendationState[];

const hostParams = z.object({ id: z.string().min(1).describe('The host id.') });
const recommendationParams = z.object({ id: z.string().min(1).describe('The recommendation id.') });
const recommendationsQuery = z.object({
  state: z.enum(RECOMMENDATION_STATES, { error: `must be one of ${RECOMMENDATION_STATES.join(', ')}` }).optional(),
});
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

export function clusterRoutes(d: ClusterDeps): Route[] {
  return [
    defineRoute({
      method: 'post', path: '/hosts/:id/maintenance', operationId: 'setHostMaintenance', tag: 'cluster', role: 'operator',
      summary: 'Maintenance mode: a host in maintenance is evacuated by cluster-balance and takes no VM (kept in Redis)',
      params: hostParams, body: maintenanceBody,
      responses: { 200: '`{hostId, maintenance, since, reason}`', 404: 'No such host reports to this engine' },
      handle: async ({ params: { id }, body }, res) => {
        if (!d.state.hostReport(id) && !d.maintenance.get(id)) throw new ApiError(404, 'host_not_found', `id: no host "${id}" reports to this engine`, 'id');
        const e = await d.maintenance.set(id, body.enabled, body.reason ?? '', d.now());
        res.json({ hostId: id, maintenance: e !== undefined, since: e ? new Date(e.sinceMs).toISOString() : null, reason: e?.reason ?? null });
      },
    }),
    defineRoute({
      method: 'get', path: '/recommendations', operationId: 'listRecommendations', tag: 'cluster', summary: 'Moves cluster-balance recommends (automation `recommend`)',
      query: recommendationsQuery,
      responses: { 200: '`{recommendations: [...]}`' },
      handle: ({ query: { state } }, res) => res.json({ recommendations: d.recommendations.list(state ? { state } : {}).map(recommendationJson) }),
    }),
    defineRoute({
      method: 'get', path: '/recommendations/:id', operationId: 'getRecommendation', tag: 'cluster', summary: 'One recommendation',
      params: recommendationParams,
      responses: { 200: 'The recommendation', 404: 'No such recommendation' },
      handle: ({ params: { id } }, res) => {
        const rec = d.recommendations.get(id);
        if (!rec) throw new ApiError(404, 'recommendation_not_found', `id: no recommendation "${id}"`, 'id');
        res.json(recommendationJson(rec));
      },
    }),
    ...decisionRoutes(d),
    defineRoute({
      method: 'post', path: '/placements', operationId: 'placeVm', tag: 'cluster', role: 'operator', summary: 'Every host ranked for a new VM, with fit, rules and the imbalance it would leave',
      body: placementBody,
      responses: { 200: '`{imbalance, hosts: [...]}`' },
      handle: ({ body }, res) => res.json(d.place(body as PlacementRequest)),
    }),
  ];
}

/** Approve (its move becomes a migrate job) or reject (not recommended again for an hour) a pending recommendation. */
function decisionRoutes(d: ClusterDeps): Route[] {
  const responses = { 200: 'The recommendation as decided', 404: 'No such recommendation', 409: 'The recommendation is not pending' };
  return [
    defineRoute({
      method: 'post', path: '/recommendations/:id/approve', operationId: 'approveRecommendation', tag: 'cluster', role: 'operator',
      summary: 'Approves a pending recommendation: its move is enqueued as a migrate job',
      params: recommendationParams, body: decisionBody, responses,
      handle: async ({ params: { id }, body }, res) => {
        const out = await d.recommendations.approve(id, async (rec) => {
          try {
            return (await d.jobs.submit(parseJobRequest({ type: 'migrate', vm: rec.vmUuid, targetHost: rec.to }))).id;
          } catch (e) {
            throw toApiError(e);
          }
        }, body.note);
        res.json(recommendationJson(decided(out, id)));
      },
    }),
    defineRoute({
      method: 'post', path: '/recommendations/:id/reject', operationId: 'rejectRecommendation', tag: 'cluster', role: 'operator',
      summary: 'Rejects a pending recommendation: the same move is not recommended again for an hour',
      params: recommendationParams, body: decisionBody, responses,
      handle: async ({ params: { id }, body }, res) => res.json(recommendationJson(decided(await d.recommendations.reject(id, body.note), id))),
    }),
  ];
}
