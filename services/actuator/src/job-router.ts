import type { JobResult, JobSpec } from '@ballast/domain';
import { isVmGone } from '@ballast/hypervisor';
import { parseJobSpec } from '@ballast/queue';
import { cpuTuneProcessor } from './processors/cpu-tune-processor.js';
import { migrateProcessor } from './processors/migrate-processor.js';
import { PermanentJobError, type ProcessorContext } from './processors/processor-context.js';
import { pinVcpuProcessor } from './processors/pin-vcpu-processor.js';
import { setMemoryProcessor } from './processors/set-memory-processor.js';
import { KeyedLock } from './vm-lock.js';

/**
 * Validates a job, serialises it per VM and hands it to the processor of its type.
 * Errors that retrying cannot fix (bad data, bounds, VM gone) become PermanentJobError.
 */
export class JobRouter {
  private readonly lock = new KeyedLock();

  constructor(
    private readonly ctx: ProcessorContext,
    private readonly hostId: string,
  ) {}

  async handle(data: unknown): Promise<JobResult> {
    let spec: JobSpec;
    try {
      spec = parseJobSpec(data);
    } catch (e) {
      throw new PermanentJobError((e as Error).message);
    }
    if (spec.hostId !== this.hostId) {
      throw new PermanentJobError(`job for host ${spec.hostId} reached the actuator of ${this.hostId}`);
    }
    return this.lock.run(spec.vmUuid, () => this.dispatch(spec));
  }

  get busyVms(): number {
    return this.lock.busyKeys;
  }

  private async dispatch(spec: JobSpec): Promise<JobResult> {
    try {
      const a = spec.action;
      switch (a.type) {
        case 'set-memory':
          return await setMemoryProcessor(this.ctx, spec, a);
        case 'pin-vcpu':
          return await pinVcpuProcessor(this.ctx, spec, a);
        case 'set-cpu-tune':
          return await cpuTuneProcessor(this.ctx, spec, a);
        case 'migrate':
          return await migrateProcessor(this.ctx, spec, a);
      }
    } catch (e) {
      if (isVmGone(e)) throw new PermanentJobError(`VM ${spec.vmName} (${spec.vmUuid}) no longer exists on this host`);
      throw e;
    }
  }
}
