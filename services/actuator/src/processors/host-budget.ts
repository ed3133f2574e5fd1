/**
 * The host budget at apply time. A policy grant may be paid for by another VM's release that is still in
 * flight (its job queued or its balloon still inflating); grows that carry `hostBudgetMiB` are admitted
 * only while the other VMs' balloons — each at the larger of its balloon and a grow this actuator has
 * admitted — plus the new target fit the budget. So Σ balloons stays within the budget whatever order jobs
 * land in, and a grant waits only as long as the release it depends on (not a whole policy cycle).
 */
import { KIB_PER_MIB } from '@ballast/domain';
import { KeyedLock } from '@ballast/runtime';
import { LIVE_STATES, PermanentJobError, VmNotRunningError, whyVmNotRunning, type ProcessorContext, type VmJobSpec } from './processor-context.js';

const POLL_MS = 250;

/** One admission at a time per actuator (computing the others and reserving must not interleave). */
const admissionLocks = new WeakMap<ProcessorContext, KeyedLock>();

function exclusive<T>(ctx: ProcessorContext, fn: () => Promise<T>): Promise<T> {
  let lock = admissionLocks.get(ctx);
  if (!lock) admissionLocks.set(ctx, (lock = new KeyedLock()));
  return lock.run('admission', fn);
}

/**
 * Σ balloons (KiB) of the host's active VMs other than `uuid`, each at the larger of its balloon and an
 * admitted grow. The same read shows `uuid` itself: one that stopped or left meanwhile ends the wait
 * (VmNotRunningError), as nothing will ever be admitted for it.
 */
export async function otherBalloonsKiB(ctx: ProcessorContext, uuid: string, name = uuid): Promise<number> {
  const all = await ctx.hv.collectStats({ balloon: true, vcpu: false });
  const self = all.find((s) => s.uuid === uuid);
  // the read lists active VMs only: one missing is shut off or gone, which the VM's own read tells apart
  const why = self ? (LIVE_STATES.has(self.state) ? undefined : `VM ${name} is ${self.state}`) : await whyVmNotRunning(ctx, uuid, name);
  if (why !== undefined) throw new VmNotRunningError(`${why}: it stopped while its grow waited for the host budget`);
  let sum = 0;
  for (const s of all) {
    if (s.uuid === uuid || s.state === 'shutoff' || s.state === 'nostate') continue;
    let cur = s.balloon?.currentKiB;
    if (cur === undefined) {
      // NOWAIT skipped its balloon: ask it alone; a VM we cannot read counts at its maximum
      const one = await ctx.hv.vmStats(s.uuid, { balloon: true, vcpu: false }).catch(() => undefined);
      cur = one?.balloon?.currentKiB ?? one?.balloon?.maximumKiB ?? 0;
    }
    sum += Math.max(cur, ctx.budgetGrows?.get(s.uuid) ?? 0);
  }
  return sum;
}

export interface Admission {
  /** What to set now: the target, or the part of it that fits. */
  targetKiB: number;
  partial: boolean;
}

/**
 * Admits the next step of a grow to `targetKiB` under the host budget: as soon as the other VMs' balloons
 * leave room for at least a step above `currentKiB` (a release landed), reserves and returns as much of
 * the target as fits; the caller applies it and asks again for the rest, so memory follows the releases
 * as they land. Returns undefined at `deadlineMs` without room when the grow already made progress
 * (`progressed`), and fails permanently when it made none (nothing is retried on old figures).
 */
export async function admitGrow(
  ctx: ProcessorContext,
  spec: VmJobSpec,
  currentKiB: number,
  targetKiB: number,
  budgetMiB: number,
  deadlineMs: number,
  progressed: boolean,
): Promise<Admission | undefined> {
  const budgetKiB = budgetMiB * KIB_PER_MIB;
  const stepKiB = Math.max(4, ctx.config.memoryToleranceMiB * 4) * KIB_PER_MIB;
  for (;;) {
    const admitted = await exclusive(ctx, async () => {
      const others = await otherBalloonsKiB(ctx, spec.vmUuid, spec.vmName);
      const room = Math.floor((budgetKiB - others) / KIB_PER_MIB) * KIB_PER_MIB;
      if (room >= targetKiB || room >= currentKiB + stepKiB) {
        const t = Math.min(targetKiB, room);
        ctx.budgetGrows?.set(spec.vmUuid, t);
        return { targetKiB: t, partial: t < targetKiB };
      }
      if (ctx.now() >= deadlineMs) {
        if (progressed) return null;
        throw new PermanentJobError(
          `host budget of ${budgetMiB} MiB is taken: the other VMs hold ${Math.round(others / KIB_PER_MIB)} MiB, ` +
            `${spec.vmName} has ${Math.round(currentKiB / KIB_PER_MIB)} MiB; waited ${ctx.config.budgetWaitMs} ms for releases`,
        );
      }
      return undefined;
    });
    if (admitted === null) return undefined;
    if (admitted) return admitted;
    await ctx.sleep(POLL_MS);
  }
}

/** Frees a VM's reservation once its grow is done (applied or failed). */
export function endGrow(ctx: ProcessorContext, uuid: string): void {
  ctx.budgetGrows?.delete(uuid);
}
