import type { JobAction } from '@ballast/domain';
import { admitGrow, endGrow } from './host-budget.js';
import { PermanentJobError, readVm, waitFor, type Processor } from './processor-context.js';

type SetMemory = Extract<JobAction, { type: 'set-memory' }>;

const KIB_PER_MIB = 1024;

/**
 * Moves a VM's balloon to an absolute target. Checks before: within [minMemoryMiB, maximum]; a shrink
 * needs fresh guest stats (taken after this actuator's last change of that balloon) and must leave used
 * memory + headroom. Verifies after: the balloon reaches
 * the target within verifyTimeoutMs. Already at the target: success, nothing done.
 */
export const setMemoryProcessor: Processor<SetMemory> = async (ctx, spec, action) => {
  const { config } = ctx;
  let vm = await readVm(ctx, spec.vmUuid, true);
  const changedAt = ctx.balloonChangedAtMs?.get(spec.vmUuid);
  const shrink = (v: typeof vm): boolean => v.balloon !== undefined && action.memoryMiB * KIB_PER_MIB < v.balloon.currentKiB - config.memoryToleranceMiB * KIB_PER_MIB;
  if (changedAt !== undefined && shrink(vm) && vm.balloon?.lastUpdateSec !== undefined && vm.balloon.lastUpdateSec * 1000 < changedAt) {
    // The guest has not reported since this actuator last moved the balloon: its unused figure is from the
    // old size (after a shrink it overstates what is free). Wait for a report taken after the change.
    vm = await waitFor(
      ctx,
      Math.max(1000, config.staleStatsSec * 1000),
      async () => {
        const v = await readVm(ctx, spec.vmUuid, true);
        return (v.balloon?.lastUpdateSec ?? 0) * 1000 >= changedAt ? v : undefined;
      },
      () => `no guest stats report from ${spec.vmName} since its balloon last changed; not shrinking on older figures`,
    );
  }
  const b = vm.balloon;
  if (!b) throw new PermanentJobError(`VM ${spec.vmName} reports no balloon`);
  const targetKiB = action.memoryMiB * KIB_PER_MIB;
  const maxMiB = Math.floor(b.maximumKiB / KIB_PER_MIB);
  if (targetKiB > b.maximumKiB) {
    throw new PermanentJobError(`memoryMiB ${action.memoryMiB} exceeds ${spec.vmName}'s maximum of ${maxMiB} MiB`);
  }
  if (action.memoryMiB < config.minMemoryMiB) {
    throw new PermanentJobError(`memoryMiB ${action.memoryMiB} is below the floor of ${config.minMemoryMiB} MiB`);
  }
  const toleranceKiB = config.memoryToleranceMiB * KIB_PER_MIB;
  const currentMiB = () => Math.round(b.currentKiB / KIB_PER_MIB);
  if (Math.abs(b.currentKiB - targetKiB) <= toleranceKiB) {
    return { message: `already there: balloon at ${currentMiB()} MiB`, alreadyThere: true, observed: { actualMiB: currentMiB() } };
  }
  if (targetKiB < b.currentKiB) {
    if (b.unusedKiB === undefined || b.lastUpdateSec === undefined) {
      throw new PermanentJobError(
        `refusing to shrink ${spec.vmName}: no guest balloon stats (set a memory stats period), so its used memory is unknown`,
      );
    }
    const ageSec = ctx.now() / 1000 - b.lastUpdateSec;
    if (ageSec > config.staleStatsSec) {
      throw new Error(`refusing to shrink ${spec.vmName}: guest balloon stats are ${Math.round(ageSec)} s old`);
    }
    const usedKiB = b.currentKiB - b.unusedKiB;
    const floorKiB = usedKiB + config.guestHeadroomMiB * KIB_PER_MIB;
    if (targetKiB < floorKiB) {
      throw new PermanentJobError(
        `refusing to shrink ${spec.vmName} to ${action.memoryMiB} MiB: the guest uses ${Math.round(usedKiB / KIB_PER_MIB)} MiB ` +
          `and needs ${config.guestHeadroomMiB} MiB headroom (floor ${Math.ceil(floorKiB / KIB_PER_MIB)} MiB)`,
      );
    }
  }
  const verify = (kib: number): Promise<number> =>
    waitFor(
      ctx,
      config.verifyTimeoutMs,
      async () => {
        const now = await readVm(ctx, spec.vmUuid, true);
        const cur = now.balloon?.currentKiB ?? 0;
        return Math.abs(cur - kib) <= toleranceKiB ? cur : undefined;
      },
      () => `balloon of ${spec.vmName} did not reach ${Math.round(kib / KIB_PER_MIB)} MiB`,
    );
  let reached: number;
  let budgetNote = '';
  let budgetObserved: Record<string, unknown> = {};
  if (action.hostBudgetMiB !== undefined && targetKiB > b.currentKiB) {
    // A grow under a host budget follows the releases that pay for it, step by step as they land
    // (host-budget.ts), for up to budgetWaitMs.
    const start = ctx.now();
    const deadline = start + config.budgetWaitMs;
    reached = b.currentKiB;
    let steps = 0;
    try {
      for (;;) {
        const a = await admitGrow(ctx, spec, reached, targetKiB, action.hostBudgetMiB, deadline, steps > 0);
        if (!a) break;
        await ctx.hv.setMemory(spec.vmUuid, a.targetKiB);
        reached = await verify(a.targetKiB);
        steps++;
        if (!a.partial || ctx.now() >= deadline) break;
      }
    } finally {
      endGrow(ctx, spec.vmUuid);
    }
    const waitedMs = ctx.now() - start;
    const partial = reached < targetKiB - toleranceKiB;
    budgetNote =
      `${partial ? ` (${action.memoryMiB} MiB asked; the host budget of ${action.hostBudgetMiB} MiB allowed this much)` : ''}` +
      `${steps > 1 ? `; ${steps} steps as other VMs' releases landed` : ''}${waitedMs >= 250 && steps <= 1 ? `; waited ${waitedMs} ms for other VMs' releases` : ''}`;
    budgetObserved = { budgetWaitMs: waitedMs, partial, steps };
  } else {
    await ctx.hv.setMemory(spec.vmUuid, targetKiB);
    reached = await verify(targetKiB);
  }
  ctx.balloonChangedAtMs?.set(spec.vmUuid, ctx.now());
  const actualMiB = Math.round(reached / KIB_PER_MIB);
  return {
    message: `balloon at ${actualMiB} MiB${budgetNote}`,
    alreadyThere: false,
    observed: { actualMiB, previousMiB: currentMiB(), ...budgetObserved },
  };
};
