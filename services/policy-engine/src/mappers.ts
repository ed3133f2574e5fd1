import type { JobStatus } from '@ballast/queue';
import { JobState, jobToProto, type GetJobResponse, type HostSummary } from '@ballast/proto';
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
