/**
 * The host budget at apply time. A policy grant may be paid for by another VM's release that is still in
 * flight (its job queued or its balloon still inflating); grows that carry `hostBudgetMiB` are admitted
 * only while the other VMs' balloons — each at the larger of its balloon and a grow this actuator has
 * admitted — plus the new target fit the budget. So Σ balloons stays within the budget whatever order jobs
 * land in, and a grant waits only as long as the release it depends on (not a whole policy cycle).
 */
import type { JobSpec } from '@ballast/domain';
import { PermanentJobError, type ProcessorContext } from './processor-context.js';

const KIB_PER_MIB = 1024;
const POLL_MS = 250;

/** One admission at a time per actuator (computing the others and reserving must not interleave). */
const locks = new WeakMap<ProcessorContext, Promise<void>>();

async function exclusive<T>(ctx: ProcessorContext, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(ctx) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  locks.set(ctx, prev.then(() => mine));
  await prev;
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Σ balloons (KiB) of the host's active VMs other than `uuid`, each at the larger of its balloon and an admitted grow. */
export async function otherBalloonsKiB(ctx: ProcessorContext, uuid: string): Promise<number> {
  const all = await ctx.hv.collectStats({ balloon: true, vcpu: false });
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
  /** What to set: the target, or the part of it that fits after the wait. */
  targetKiB: number;
  waitedMs: number;
  partial: boolean;
  /** Call when the grow is done (applied or failed): frees the reservation. */
  done: () => void;
}

/**
 * Waits up to `budgetWaitMs` for `targetKiB` to fit the budget next to the other VMs, then reserves it.
 * After the wait a grow that only partly fits is admitted to what fits; one that does not fit at all fails
 * permanently (the policy re-plans next cycle, nothing is retried on old figures).
 */
export async function admitGrow(ctx: ProcessorContext, spec: JobSpec, currentKiB: number, targetKiB: number, budgetMiB: number): Promise<Admission> {
  const budgetKiB = budgetMiB * KIB_PER_MIB;
  const tolKiB = ctx.config.memoryToleranceMiB * KIB_PER_MIB;
  const start = ctx.now();
  const deadline = start + ctx.config.budgetWaitMs;
  for (;;) {
    const admitted = await exclusive(ctx, async () => {
      const others = await otherBalloonsKiB(ctx, spec.vmUuid);
      const room = budgetKiB - others;
      const last = ctx.now() >= deadline;
      if (room >= targetKiB || (last && room > currentKiB + tolKiB)) {
        const t = Math.min(targetKiB, Math.floor(room / KIB_PER_MIB) * KIB_PER_MIB);
        ctx.budgetGrows?.set(spec.vmUuid, t);
        return { t, partial: t < targetKiB };
      }
      if (last) {
        throw new PermanentJobError(
          `host budget of ${budgetMiB} MiB is taken: the other VMs hold ${Math.round(others / KIB_PER_MIB)} MiB, ` +
            `${spec.vmName} has ${Math.round(currentKiB / KIB_PER_MIB)} MiB; waited ${ctx.now() - start} ms for releases`,
        );
      }
      return undefined;
    });
    if (admitted) {
      return {
        targetKiB: admitted.t,
        waitedMs: ctx.now() - start,
        partial: admitted.partial,
        done: () => {
          if (ctx.budgetGrows?.get(spec.vmUuid) === admitted.t) ctx.budgetGrows.delete(spec.vmUuid);
        },
      };
    }
    await ctx.sleep(POLL_MS);
  }
}
