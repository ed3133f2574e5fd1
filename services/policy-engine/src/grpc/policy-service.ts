import * as grpc from '@grpc/grpc-js';
import type { PolicyServiceServer } from '@ballast/proto';
import { parseJobRequest } from '@ballast/domain';
import type { ClusterState } from '@ballast/cycle';
import { ApiError, toApiError } from '../api-error.js';
import type { JobService } from '../job-service.js';
import { hostSummaryToProto, jobRequestFromProto, jobStatusToProto, vmToProto } from '../mappers.js';

const CODES: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  404: grpc.status.NOT_FOUND,
  409: grpc.status.FAILED_PRECONDITION,
  422: grpc.status.INVALID_ARGUMENT,
};

function toGrpcError(raw: unknown): Partial<grpc.StatusObject> {
  const e = toApiError(raw);
  if (e instanceof ApiError) return { code: CODES[e.status] ?? grpc.status.UNKNOWN, details: e.message };
  return { code: grpc.status.INTERNAL, details: (e as Error).message };
}

/** The gRPC face of the policy API; same validation and semantics as the HTTP API. */
export function policyService(state: ClusterState, jobs: JobService): PolicyServiceServer {
  return {
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
