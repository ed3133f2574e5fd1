import * as grpc from '@grpc/grpc-js';
import type { PolicyServiceServer } from '@ballast/proto';
import { parseJobRequest } from '@ballast/domain';
import type { ClusterState } from '@ballast/cycle';
import { ApiError, toApiError } from '../api-error.js';
import type { JobService } from '../job-service.js';
import { hostSummaryToProto, jobListQueryFromProto, jobRequestFromProto, jobStatusToProto, vmToProto } from '../mappers.js';
import { jobListQuery, listJobs } from '../http/job-routes.js';
import { parseWith } from '../http/route-table.js';
import { decided, RECOMMENDATION_STATES, type ClusterDeps } from '../cluster/cluster-routes.js';
import type { Recommendation as Rec, RecommendationState } from '../cluster/recommendation-store.js';
import { jobToProto, type Recommendation } from '@ballast/proto';
import type { PolicyDocuments } from '../policies/policy-documents.js';
import { policyDocRpcs } from './policy-doc-service.js';
import { grpcCaller } from '../security/grpc-auth.js';
import { noStopRpcs, stopRpcs, type StopRpcDeps } from '../control/stop-grpc.js';
import type { EventStream } from '../events/event-stream.js';
import { watchEventsHandler } from '../events/watch-events.js';

/** The optional parts of the policy API: stop switches, versioned policies, the event stream. */
export interface PolicyServiceParts {
  stops?: Omit<StopRpcDeps, 'toGrpcError'>;
  policyDocs?: PolicyDocuments;
  events?: EventStream;
}

function recommendationToProto(r: Rec): Recommendation {
  return {
    id: r.id,
    state: r.state,
    vmName: r.vmName,
    vmUuid: r.vmUuid,
    fromHost: r.from,
    toHost: r.to,
    move: r.move,
    priority: r.priority,
    reason: r.reason,
    imbalanceBefore: r.imbalanceBefore,
    predictedAfter: r.predictedAfter,
    ...(r.observedAfter !== undefined ? { observedAfter: r.observedAfter } : {}),
    createdAtMs: r.createdAtMs,
    updatedAtMs: r.updatedAtMs,
    jobId: r.jobId ?? '',
    note: r.note ?? '',
    error: r.error ?? '',
  };
}

const CODES: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  404: grpc.status.NOT_FOUND,
  409: grpc.status.FAILED_PRECONDITION,
  422: grpc.status.INVALID_ARGUMENT,
};

export function toGrpcError(raw: unknown): Partial<grpc.StatusObject> {
  const e = toApiError(raw);
  if (e instanceof ApiError) return { code: CODES[e.status] ?? grpc.status.UNKNOWN, details: e.message };
  return { code: grpc.status.INTERNAL, details: (e as Error).message };
}

/** The gRPC face of the policy API; same validation and semantics as the HTTP API. */
export function policyService(state: ClusterState, jobs: JobService, cluster?: Pick<ClusterDeps, 'recommendations'>, parts: PolicyServiceParts = {}): PolicyServiceServer {
  const { stops, policyDocs, events } = parts;
  const recs = () => {
    if (!cluster) throw new ApiError(404, 'not_enabled', 'recommendations: not served by this engine');
    return cluster.recommendations;
  };
  const decide = (verb: 'approve' | 'reject', id: string, note: string) =>
    verb === 'approve'
      ? recs().approve(id, async (r) => (await jobs.submit(parseJobRequest({ type: 'migrate', vm: r.vmUuid, targetHost: r.to }))).id, note || undefined)
      : recs().reject(id, note || undefined);
  return {
    ...policyDocRpcs(policyDocs, (call) => grpcCaller(call.metadata)),
    ...(stops ? stopRpcs({ ...stops, toGrpcError }) : noStopRpcs),
    watchEvents: watchEventsHandler(events),
    listRecommendations(call, cb) {
      try {
        const state = call.request.state as RecommendationState;
        if (state && !RECOMMENDATION_STATES.includes(state)) throw new ApiError(400, 'invalid_query', `state: must be one of ${RECOMMENDATION_STATES.join(', ')}`, 'state');
        cb(null, { recommendations: recs().list(state ? { state } : {}).map(recommendationToProto) });
      } catch (e) {
        cb(toGrpcError(e));
      }
    },
    approveRecommendation(call, cb) {
      Promise.resolve()
        .then(() => decide('approve', call.request.id, call.request.note))
        .then((r) => cb(null, { recommendation: recommendationToProto(decided(r, call.request.id)) }))
        .catch((e: unknown) => cb(toGrpcError(e)));
    },
    rejectRecommendation(call, cb) {
      Promise.resolve()
        .then(() => decide('reject', call.request.id, call.request.note))
        .then((r) => cb(null, { recommendation: recommendationToProto(decided(r, call.request.id)) }))
        .catch((e: unknown) => cb(toGrpcError(e)));
    },
    listHosts(_call, cb) {
      const vms = state.vms();
      cb(null, { hosts: state.hosts().map((h) => hostSummaryToProto(h, vms.filter((v) => v.hostId === h.hostId).length)) });
    },
    listVms(call, cb) {
      const host = call.request.hostId || undefined;
      cb(null, { vms: state.vms(host).map((v) => ({ hostId: v.hostId, vm: vmToProto(v) })) });
    },
    submitJob(call, cb) {
      Promise.resolve()
        .then(() => jobs.submit(parseJobRequest(jobRequestFromProto(call.request.job))))
        .then(({ id }) => cb(null, { id }))
        .catch((e: unknown) => cb(toGrpcError(e)));
    },
    listJobs(call, cb) {
      Promise.resolve()
        .then(() => listJobs(jobs, parseWith(jobListQuery, jobListQueryFromProto(call.request), 'invalid_query')))
        .then((list) => cb(null, { jobs: list.map(jobStatusToProto) }))
        .catch((e: unknown) => cb(toGrpcError(e)));
    },
    cancelJob(call, cb) {
      jobs
        .cancel(call.request.id)
        .then((s) => cb(null, { job: jobToProto(s.spec) }))
        .catch((e: unknown) => cb(toGrpcError(e)));
    },
    getJob(call, cb) {
      jobs
        .status(call.request.id)
        .then((s) => {
          if (!s) return cb({ code: grpc.status.NOT_FOUND, details: `id: no job "${call.request.id}"` });
          cb(null, jobStatusToProto(s));
        })
        .catch((e: unknown) => cb(toGrpcError(e)));
    },
  };
}
