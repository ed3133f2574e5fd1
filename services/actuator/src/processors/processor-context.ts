import { isVmGone, type Hypervisor } from '@ballast/hypervisor';
import type { JobResult, JobSpec, VmStats } from '@ballast/domain';
import type { ActuatorConfig } from '../actuator-config.js';

export type ProcessorConfig = Pick<
  ActuatorConfig,
  | 'minMemoryMiB'
  | 'guestHeadroomMiB'
  | 'staleStatsSec'
  | 'verifyTimeoutMs'
  | 'migrateTimeoutMs'
  | 'migrateBandwidthMiBPerSec'
  | 'memoryToleranceMiB'
  | 'budgetWaitMs'
  | 'hostFreeFloorMiB'
>;

export interface ProcessorContext {
  hv: Hypervisor;
  config: ProcessorConfig;
  /** Wall clock in ms (injected so tests can control it). */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /**
   * When this actuator last moved each VM's balloon (wall clock, ms). A shrink waits for a guest stats
   * report taken after it: until then the guest's unused figure belongs to the old balloon size.
   */
  balloonChangedAtMs?: Map<string, number>;
  /** Balloon targets (KiB) of grows this actuator has admitted under a host budget and not finished. */
  budgetGrows?: Map<string, number>;
  /** Reports how a long job is going (stored with the job: GET /v1/jobs/:id shows it); set per job by the worker. */
  progress?: (figures: Record<string, unknown>) => void;
}

/** A job of a VM-scoped type: its VM is named (the router checks it). */
export type VmJobSpec = JobSpec & { vmUuid: string; vmName: string };

/** Applies one VM-scoped job: checks bounds, acts, verifies, reports. */
export type Processor<A> = (ctx: ProcessorContext, spec: VmJobSpec, action: A) => Promise<JobResult>;

/** Applies one host-scoped job (no VM). */
export type HostProcessor<A> = (ctx: ProcessorContext, spec: JobSpec, action: A) => Promise<JobResult>;

/** A job that can never succeed (bad bounds, VM gone): fail it without retries. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

/** A job whose VM is gone or does not run (destroyed, shut off, crashed): it can never succeed here. */
export class VmNotRunningError extends PermanentJobError {}

/** States in which a VM can be adjusted live. */
export const LIVE_STATES: ReadonlySet<string> = new Set(['running', 'blocked', 'paused']);

/** Reads one VM's current stats; a VM that is gone or not running cannot be adjusted live. */
export async function readVm(ctx: ProcessorContext, uuid: string, balloon: boolean, vcpu = true): Promise<VmStats> {
  let vm: VmStats;
  try {
    vm = await ctx.hv.vmStats(uuid, { balloon, vcpu });
  } catch (e) {
    if (isVmGone(e)) throw new VmNotRunningError(`VM ${uuid} is not running on this host (no such domain)`);
    throw e;
  }
  if (!LIVE_STATES.has(vm.state)) throw new VmNotRunningError(`VM ${vm.name} is not running on this host (it is ${vm.state})`);
  return vm;
}

/**
 * Why the VM cannot be adjusted any more (gone from this host, or not running: destroyed, shut off, crashed),
 * or undefined when it runs or its state cannot be read (then a retry may help).
 */
export async function whyVmNotRunning(ctx: ProcessorContext, uuid: string, name: string): Promise<string | undefined> {
  try {
    const vm = await ctx.hv.vmStats(uuid, { balloon: false, vcpu: false });
    return LIVE_STATES.has(vm.state) ? undefined : `VM ${name} is ${vm.state}`;
  } catch (e) {
    return isVmGone(e) ? `VM ${name} no longer exists on this host` : undefined;
  }
}

/** Polls `probe` until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  ctx: ProcessorContext,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  describe: () => string,
): Promise<T> {
  const deadline = ctx.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (ctx.now() >= deadline) throw new Error(`not verified within ${timeoutMs} ms: ${describe()}`);
    await ctx.sleep(Math.min(250, Math.max(10, timeoutMs / 40)));
  }
}
