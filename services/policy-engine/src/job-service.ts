import { randomUUID } from 'node:crypto';
import { heldResourceOf, type JobAction, type JobSpec } from '@ballast/domain';
import type { JobQueues, JobStatus } from '@ballast/queue';
import { ApiError } from './api-error.js';
import type { JobRequest } from './job-request-schema.js';
import type { ClusterState } from './state/cluster-state.js';
import type { HoldStore } from './state/hold-store.js';

export interface JobServiceOptions {
  /** How long a manual job holds the VM's resource against policies. */
  holdMs: number;
  now: () => number;
}

/** Turns manual job requests into queued jobs on the right host; reads job status. Shared by HTTP and gRPC. */
export class JobService {
  constructor(
    private readonly state: ClusterState,
    private readonly queues: JobQueues,
    private readonly holds: HoldStore,
    private readonly opts: JobServiceOptions,
  ) {}

  async submit(req: JobRequest): Promise<{ id: string; holdUntilMs: number }> {
    const found = this.state.lookup(req.vm);
    if (found.kind === 'missing') throw new ApiError(404, 'vm_not_found', `vm: no host reports a VM named "${req.vm}"`, 'vm');
    if (found.kind === 'ambiguous') {
      throw new ApiError(409, 'vm_ambiguous', `vm: "${req.vm}" is reported by hosts ${found.hosts.join(', ')}; use its UUID`, 'vm');
    }
    const vm = found.vm;
    const action = this.toAction(req, vm.hostId);
    const now = this.opts.now();
    const spec: JobSpec = {
      id: randomUUID(),
      hostId: vm.hostId,
      vmUuid: vm.uuid,
      vmName: vm.name,
      source: 'manual',
      createdAtMs: now,
      action,
    };
    const holdUntilMs = now + this.opts.holdMs;
    await this.queues.enqueue(spec);
    await this.holds.add(vm.uuid, { resource: heldResourceOf(action), untilMs: holdUntilMs, jobId: spec.id });
    return { id: spec.id, holdUntilMs };
  }

  async status(id: string): Promise<JobStatus | undefined> {
    return this.queues.status(id);
  }

  private toAction(req: JobRequest, hostId: string): JobAction {
    switch (req.type) {
      case 'set-memory':
        return { type: 'set-memory', memoryMiB: req.memoryMiB };
      case 'pin-vcpu': {
        const host = this.state.hostReport(hostId);
        const bad = req.pcpus.find((p) => host && p >= host.pcpuCount);
        if (bad !== undefined && host) {
          throw new ApiError(422, 'invalid_pcpu', `pcpus: pCPU ${bad} does not exist on ${hostId} (0-${host.pcpuCount - 1})`, 'pcpus');
        }
        return { type: 'pin-vcpu', vcpu: req.vcpu, pcpus: [...new Set(req.pcpus)].sort((a, b) => a - b) };
      }
      case 'set-cpu-tune': {
        const a: JobAction = { type: 'set-cpu-tune' };
        if (req.shares !== undefined) a.shares = req.shares;
        if (req.quotaUs !== undefined) a.quotaUs = req.quotaUs;
        if (req.periodUs !== undefined) a.periodUs = req.periodUs;
        return a;
      }
      case 'migrate': {
        if (req.targetHost === hostId) {
          throw new ApiError(422, 'same_host', `targetHost: ${req.vm} already runs on ${hostId}`, 'targetHost');
        }
        const target = this.state.hostReport(req.targetHost);
        if (!target) throw new ApiError(404, 'host_not_found', `targetHost: no host "${req.targetHost}" reports to this engine`, 'targetHost');
        if (!target.migrationUri) {
          throw new ApiError(
            422,
            'no_migration_uri',
            `targetHost: ${req.targetHost} has no migration URI (set BALLAST_MIGRATION_URI on its collector)`,
            'targetHost',
          );
        }
        const a: JobAction = { type: 'migrate', targetHost: req.targetHost, destUri: target.migrationUri };
        if (target.migrationDataUri) a.migrateUri = target.migrationDataUri;
        return a;
      }
    }
  }
}
