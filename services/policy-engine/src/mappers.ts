import type { JobStatus } from '@ballast/queue';
import { JobSource, JobState, jobToProto, type GetJobResponse, type HostSummary, type ListJobsRequest } from '@ballast/proto';
export { hostReportFromProto, jobRequestFromProto, vmToProto } from '@ballast/proto';
import type { HostView } from '@ballast/domain';

export function hostSummaryToProto(h: HostView, vmCount: number): HostSummary {
  return {
    hostId: h.hostId,
    hostname: h.hostname,
    pcpuCount: h.pcpuCount,
    memoryTotalKib: h.memoryTotalKiB,
    memoryFreeKib: h.memoryFreeKiB,
    vmCount,
    lastSampleMs: h.lastSampleMs,
    stale: h.stale,
  };
}

export function jobStatusToProto(s: JobStatus): GetJobResponse {
  const state = {
    queued: JobState.JOB_STATE_QUEUED,
    active: JobState.JOB_STATE_ACTIVE,
    succeeded: JobState.JOB_STATE_SUCCEEDED,
    failed: JobState.JOB_STATE_FAILED,
  }[s.state];
  return {
    job: jobToProto(s.spec),
    outcome: {
      jobId: s.spec.id,
      state,
      result: s.result?.message ?? '',
      error: s.error ?? '',
      attempts: s.attempts,
      finishedAtMs: s.finishedAtMs ?? 0,
      alreadyThere: s.result?.alreadyThere ?? false,
    },
  };
}

const STATE_NAMES: Partial<Record<JobState, string>> = {
  [JobState.JOB_STATE_QUEUED]: 'queued',
  [JobState.JOB_STATE_ACTIVE]: 'active',
  [JobState.JOB_STATE_SUCCEEDED]: 'succeeded',
  [JobState.JOB_STATE_FAILED]: 'failed',
};
const SOURCE_NAMES: Partial<Record<JobSource, string>> = { [JobSource.JOB_SOURCE_MANUAL]: 'manual', [JobSource.JOB_SOURCE_POLICY]: 'policy' };

/**
 * A gRPC ListJobs request → the query GET /v1/jobs takes (empty and unspecified: no filter, limit 0: the
 * default), so both APIs validate it with the same schema; an unknown enum value stays as it came, to be refused.
 */
export function jobListQueryFromProto(r: ListJobsRequest): Record<string, unknown> {
  const named = <E extends number>(names: Partial<Record<E, string>>, v: E) => (v === 0 ? undefined : (names[v] ?? String(v)));
  return {
    vm: r.vm || undefined,
    host: r.hostId || undefined,
    state: named(STATE_NAMES, r.state),
    source: named(SOURCE_NAMES, r.source),
    limit: r.limit || undefined,
  };
}
