import { JobDataError, jobKeyOf, jobType, parseJobSpec, type ActionOf, type JobResult, type JobSpec, type JobTypeName } from '@ballast/domain';
import { isVmGone } from '@ballast/hypervisor';
import { cpuTuneProcessor } from './processors/cpu-tune-processor.js';
import { migrateProcessor } from './processors/migrate-processor.js';
import { PermanentJobError, VmNotRunningError, whyVmNotRunning, type HostProcessor, type Processor, type ProcessorContext, type VmJobSpec } from './processors/processor-context.js';
import { pinVcpuProcessor } from './processors/pin-vcpu-processor.js';
import { setKsmProcessor } from './processors/set-ksm-processor.js';
import { setMemoryProcessor } from './processors/set-memory-processor.js';
import { setNumaProcessor } from './processors/set-numa-processor.js';
import { KeyedLock } from '@ballast/runtime';

/** The processor of a job type: `vm` for VM-scoped types, `host` for host-scoped ones (as the registry says). */
export type ProcessorEntry<A> = { vm: Processor<A> } | { host: HostProcessor<A> };

/** Job type → processor. Typed over the registry: a job type without its processor does not compile. */
export const PROCESSORS: { [T in JobTypeName]: ProcessorEntry<ActionOf<T>> } = {
  'set-memory': { vm: setMemoryProcessor },
  'pin-vcpu': { vm: pinVcpuProcessor },
  'set-cpu-tune': { vm: cpuTuneProcessor },
  migrate: { vm: migrateProcessor },
  'set-numa': { vm: setNumaProcessor },
  'set-ksm': { host: setKsmProcessor },
};

/**
 * Validates a job (shape, schema version, host), serialises it per VM (VM-scoped types) or per host
 * (host-scoped types) and hands it to the processor of its type. Errors that retrying cannot fix (bad or
 * unknown data, bounds, VM gone, VM stopped or crashed while its job ran) become PermanentJobError.
 */
export class JobRouter {
  private readonly lock = new KeyedLock();
  /** Per repeat key (jobKeyOf), the newest job this actuator applied: an older one coming later is stale. */
  private readonly applied = new Map<string, { id: string; createdAtMs: number }>();

  constructor(
    private readonly ctx: ProcessorContext,
    private readonly hostId: string,
  ) {}

  /** `progress`: where the job's processor reports how it is going (the worker stores it with the job). */
  async handle(data: unknown, progress?: (figures: Record<string, unknown>) => void): Promise<JobResult> {
    let spec: JobSpec;
    try {
      spec = parseJobSpec(data);
    } catch (e) {
      throw new PermanentJobError(e instanceof JobDataError ? e.message : `invalid job data: ${(e as Error).message}`);
    }
    if (spec.hostId !== this.hostId) {
      throw new PermanentJobError(`job for host ${spec.hostId} reached the actuator of ${this.hostId}`);
    }
    const vm = jobType(spec.action.type).scope === 'vm';
    const ctx = progress ? { ...this.ctx, progress } : this.ctx;
    return this.lock.run(vm ? `vm:${spec.vmUuid}` : `host:${spec.hostId}`, () => this.dispatch(spec, ctx));
  }

  get busyVms(): number {
    return this.lock.busyKeys;
  }

  /**
   * A job older than one already applied for the same VM/host and resource changes nothing: it succeeds as
   * superseded. This happens when a job active at a crash comes back through BullMQ's stall check after
   * newer jobs for the same thing were applied; applying it would put an older target back.
   */
  private async dispatch(spec: JobSpec, ctx: ProcessorContext): Promise<JobResult> {
    const key = jobKeyOf(spec);
    const newer = this.applied.get(key);
    if (newer && newer.id !== spec.id && newer.createdAtMs > spec.createdAtMs) {
      return { message: `superseded by job ${newer.id} (newer, already applied): nothing changed`, alreadyThere: true, observed: { supersededBy: newer.id } };
    }
    const result = await this.apply(spec, ctx);
    if (!newer || newer.createdAtMs <= spec.createdAtMs) this.applied.set(key, { id: spec.id, createdAtMs: spec.createdAtMs });
    return result;
  }

  private async apply(spec: JobSpec, ctx: ProcessorContext): Promise<JobResult> {
    const entry = PROCESSORS[spec.action.type] as ProcessorEntry<ActionOf<JobTypeName>>;
    try {
      if ('host' in entry) return await entry.host(ctx, spec, spec.action);
      return await entry.vm(ctx, spec as VmJobSpec, spec.action);
    } catch (e) {
      if (isVmGone(e)) throw new PermanentJobError(`VM ${spec.vmName} (${spec.vmUuid}) no longer exists on this host`);
      if (e instanceof VmNotRunningError || 'host' in entry || spec.vmUuid === undefined) throw e;
      // a VM destroyed (or crashed) while its job ran makes the job fail in whatever libvirt call came next
      // ("domain is not running", a verification that never comes): that is final, not worth a retry
      const why = await whyVmNotRunning(ctx, spec.vmUuid, spec.vmName ?? spec.vmUuid);
      if (why !== undefined) throw new PermanentJobError(`${why}: it stopped while the job ran (${(e as Error).message})`);
      throw e;
    }
  }
}
