import { randomUUID } from 'node:crypto';
import {
  fillAction,
  JOB_SCHEMA_VERSION,
  jobIdOnHost,
  jobType,
  resourceOf,
  targetKeyOf,
  type FillContext,
  type HostFacts,
  type JobRequest,
  type JobSpec,
} from '@ballast/domain';
import type { JobFilter, JobQueues, JobStatus } from '@ballast/queue';
import type { ClusterState } from '@ballast/cycle';
import { ApiError, toApiError } from './api-error.js';
import type { HoldStore } from './state/hold-store.js';

export interface JobServiceOptions {
  /** How long a manual job holds its target's resource against policies. */
  holdMs: number;
  now: () => number;
  /** Called with every job submitted (the policy cycle tracks it, so policies see it and its outcome). */
  onSubmitted?: (spec: JobSpec) => void;
  /** Called with every job cancelled while queued (the policy cycle stops tracking it). */
  onCancelled?: (spec: JobSpec) => void;
}

/** Turns manual job requests into queued jobs on the right host; reads, lists and cancels jobs. Shared by HTTP and gRPC. */
export class JobService {
  constructor(
    private readonly state: ClusterState,
    private readonly queues: JobQueues,
    private readonly holds: HoldStore,
    private readonly opts: JobServiceOptions,
  ) {}

  async submit(req: JobRequest): Promise<{ id: string; holdUntilMs: number }> {
    const target = jobType(req.type).scope === 'vm' ? this.vmTarget(req.vm ?? '') : this.hostTarget(req.host ?? '');
    let action;
    try {
      action = fillAction(req.type, req.fields, this.fillContext(target.hostId));
    } catch (e) {
      throw toApiError(e);
    }
    const now = this.opts.now();
    const spec: JobSpec = { schemaVersion: JOB_SCHEMA_VERSION, id: jobIdOnHost(randomUUID(), target.hostId), ...target, source: 'manual', createdAtMs: now, action };
    const holdUntilMs = now + this.opts.holdMs;
    await this.queues.enqueue(spec);
    await this.holds.add(targetKeyOf(spec), { resource: resourceOf(action), untilMs: holdUntilMs, jobId: spec.id });
    this.opts.onSubmitted?.(spec);
    return { id: spec.id, holdUntilMs };
  }

  async status(id: string): Promise<JobStatus | undefined> {
    return this.queues.status(id);
  }

  /** The newest jobs that match, across every host's queue (those reporting now and those that held jobs). */
  async list(filter: JobFilter, limit: number): Promise<JobStatus[]> {
    return this.queues.list(filter, limit, this.state.hosts().map((h) => h.hostId));
  }

  /**
   * Cancels a job while it is still queued: off its queue, the hold it put on its target's resource ended,
   * no longer tracked by the cycle. 404 for an unknown job; 409 naming the state of one active or finished.
   */
  async cancel(id: string): Promise<JobStatus> {
    const r = await this.queues.cancel(id);
    if ('notFound' in r) throw new ApiError(404, 'job_not_found', `id: no job "${id}"`, 'id');
    if ('notQueued' in r) {
      throw new ApiError(409, 'job_not_queued', `id: job ${id} is ${r.notQueued}; only a queued job can be cancelled`, 'id');
    }
    const { spec } = r.cancelled;
    await this.holds.releaseJob(targetKeyOf(spec), resourceOf(spec.action), spec.id);
    this.opts.onCancelled?.(spec);
    return r.cancelled;
  }

  private vmTarget(name: string): { hostId: string; vmUuid: string; vmName: string } {
    const found = this.state.lookup(name);
    if (found.kind === 'missing') throw new ApiError(404, 'vm_not_found', `vm: no host reports a VM named "${name}"`, 'vm');
    if (found.kind === 'ambiguous') {
      throw new ApiError(409, 'vm_ambiguous', `vm: "${name}" is reported by hosts ${found.hosts.join(', ')}; use its UUID`, 'vm');
    }
    return { hostId: found.vm.hostId, vmUuid: found.vm.uuid, vmName: found.vm.name };
  }

  private hostTarget(hostId: string): { hostId: string } {
    if (!this.state.hostReport(hostId)) throw new ApiError(404, 'host_not_found', `host: no host "${hostId}" reports to this engine`, 'host');
    return { hostId };
  }

  private fillContext(hostId: string): FillContext {
    return {
      hostId,
      host: (id): HostFacts | undefined => {
        const r = this.state.hostReport(id);
        return r && { hostId: r.hostId, pcpuCount: r.pcpuCount, numaCells: r.numaCells, ...(r.migrationUri ? { migrationUri: r.migrationUri } : {}), ...(r.migrationDataUri ? { migrationDataUri: r.migrationDataUri } : {}) };
      },
    };
  }
}
