import type { JobSpec } from '@ballast/domain';
import type { JobStatus } from '@ballast/queue';
import { JobSource, JobState, type GetJobResponse, type HostSummary, type Job } from '@ballast/proto';
export { hostReportFromProto, vmToProto } from '@ballast/proto';
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

export function jobToProto(spec: JobSpec): Job {
  const j: Job = {
    id: spec.id,
    hostId: spec.hostId,
    vmUuid: spec.vmUuid,
    vmName: spec.vmName,
    source: spec.source === 'manual' ? JobSource.JOB_SOURCE_MANUAL : JobSource.JOB_SOURCE_POLICY,
    createdAtMs: spec.createdAtMs,
  };
  const a = spec.action;
  switch (a.type) {
    case 'set-memory':
      j.setMemory = { memoryMib: a.memoryMiB };
      break;
    case 'pin-vcpu':
      j.pinVcpu = { vcpu: a.vcpu, pcpus: a.pcpus };
      break;
    case 'set-cpu-tune':
      j.setCpuTune = {};
      if (a.shares !== undefined) j.setCpuTune.shares = a.shares;
      if (a.quotaUs !== undefined) j.setCpuTune.quotaUs = a.quotaUs;
      if (a.periodUs !== undefined) j.setCpuTune.periodUs = a.periodUs;
      break;
    case 'migrate':
      j.migrate = { targetHost: a.targetHost, destUri: a.destUri, migrateUri: a.migrateUri ?? '' };
      break;
  }
  return j;
}

/** A gRPC SubmitJob's Job → the HTTP-style request body, so both APIs validate the same way. */
export function jobRequestFromProto(j: Job | undefined): Record<string, unknown> {
  if (!j) return {};
  const vm = j.vmName || j.vmUuid;
  if (j.setMemory) return { type: 'set-memory', vm, memoryMiB: j.setMemory.memoryMib };
  if (j.pinVcpu) return { type: 'pin-vcpu', vm, vcpu: j.pinVcpu.vcpu, pcpus: j.pinVcpu.pcpus };
  if (j.setCpuTune) {
    const t = j.setCpuTune;
    return {
      type: 'set-cpu-tune',
      vm,
      ...(t.shares !== undefined ? { shares: t.shares } : {}),
      ...(t.quotaUs !== undefined ? { quotaUs: t.quotaUs } : {}),
      ...(t.periodUs !== undefined ? { periodUs: t.periodUs } : {}),
    };
  }
  if (j.migrate) return { type: 'migrate', vm, targetHost: j.migrate.targetHost };
  return { vm };
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
