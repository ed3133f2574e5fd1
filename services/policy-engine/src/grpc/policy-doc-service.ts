/**
 * PolicyService's policy-document RPCs (GetPolicy, ApplyPolicy, ListPolicyVersions): the same checks and
 * versions as /v1/policies (policies/policy-routes.ts), spread into policyService.
 */
import * as grpc from '@grpc/grpc-js';
import { PolicyDocumentError } from '@ballast/cycle';
import type { PolicyServiceServer, PolicyVersion as PolicyVersionProto } from '@ballast/proto';
import { ApiError } from '../api-error.js';
import { parsePolicyText } from '../policies/policy-doc.js';
import { invalidDocument, type PolicyDocuments } from '../policies/policy-documents.js';
import { HISTORY_KEEP, StaleVersionError, type PolicyVersion } from '../policies/policy-store.js';

type DocRpcs = Pick<PolicyServiceServer, 'getPolicy' | 'applyPolicy' | 'listPolicyVersions'>;

export function policyVersionToProto(v: PolicyVersion): PolicyVersionProto {
  return { version: v.version, documentJson: JSON.stringify(v.document), atMs: v.atMs, actor: v.actor, source: v.source, comment: v.comment ?? '' };
}

/** ApiErrors as gRPC statuses: 400 INVALID_ARGUMENT (every issue in details), 404 NOT_FOUND, 409/428 FAILED_PRECONDITION. */
export function docGrpcError(raw: unknown): Partial<grpc.StatusObject> {
  const e = raw instanceof PolicyDocumentError ? invalidDocument(raw) : raw;
  if (e instanceof StaleVersionError) return { code: grpc.status.FAILED_PRECONDITION, details: e.message };
  if (e instanceof ApiError) {
    const issues = (e.details?.['issues'] as { field: string; message: string }[] | undefined) ?? [];
    const details = issues.length > 0 ? issues.map((i) => `${i.field}: ${i.message}`).join('\n') : e.message;
    const code = e.status === 400 ? grpc.status.INVALID_ARGUMENT : e.status === 404 ? grpc.status.NOT_FOUND : grpc.status.FAILED_PRECONDITION;
    return { code, details };
  }
  return { code: grpc.status.INTERNAL, details: (e as Error).message };
}

const notServed = (): Partial<grpc.StatusObject> => ({ code: grpc.status.UNIMPLEMENTED, details: 'policy documents: not served by this engine' });

/** `actor`: who the call is from for the history (the caller's token id where the transport knows it). */
export function policyDocRpcs(docs: PolicyDocuments | undefined, actor: (call: grpc.ServerUnaryCall<unknown, unknown>) => string = () => 'grpc'): DocRpcs {
  return {
    getPolicy(call, cb) {
      if (!docs) return cb(notServed());
      const v = call.request.version;
      (v === 0 ? docs.store.current() : docs.store.get(v))
        .then((found) => (found ? cb(null, { policy: policyVersionToProto(found) }) : cb({ code: grpc.status.NOT_FOUND, details: `version: no stored policy version ${v}` })))
        .catch((e: unknown) => cb(docGrpcError(e)));
    },
    applyPolicy(call, cb) {
      if (!docs) return cb(notServed());
      const { document, expectedVersion, comment } = call.request;
      Promise.resolve()
        .then(() => {
          if (expectedVersion === undefined) throw new ApiError(428, 'version_required', 'expected_version: name the version this write replaces (GetPolicy has it)', 'expected_version');
          return docs.replace(parsePolicyText(document, 'yaml', 'document'), expectedVersion, { actor: actor(call), source: 'grpc', ...(comment ? { comment } : {}) });
        })
        .then((v) => cb(null, { policy: policyVersionToProto(v) }))
        .catch((e: unknown) => cb(docGrpcError(e)));
    },
    listPolicyVersions(call, cb) {
      if (!docs) return cb(notServed());
      const limit = call.request.limit || 50;
      if (limit < 1 || limit > HISTORY_KEEP) return cb({ code: grpc.status.INVALID_ARGUMENT, details: `limit: must be 1 to ${HISTORY_KEEP}` });
      docs.store
        .history(limit)
        .then((vs) => cb(null, { versions: vs.map(policyVersionToProto) }))
        .catch((e: unknown) => cb(docGrpcError(e)));
    },
  };
}
