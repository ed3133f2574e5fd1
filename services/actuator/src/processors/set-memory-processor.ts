import type { JobAction } from '@ballast/domain';
import { admitGrow } from './host-budget.js';
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
  // A grow under a host budget waits for the releases that pay for it (host-budget.ts).
  const admission =
    action.hostBudgetMiB !== undefined && targetKiB > b.currentKiB ? await admitGrow(ctx, spec, b.currentKiB, targetKiB, action.hostBudgetMiB) : undefined;
  const applyKiB = admission?.targetKiB ?? targetKiB;
  let reached: number;
  try {
    await ctx.hv.setMemory(spec.vmUuid, applyKiB);
    reached = await waitFor(
      ctx,
      config.verifyTimeoutMs,
      async () => {
        const now = await readVm(ctx, spec.vmUuid, true);
        const cur = now.balloon?.currentKiB ?? 0;
        return Math.abs(cur - applyKiB) <= toleranceKiB ? cur : undefined;
      },
      () => `balloon of ${spec.vmName} did not reach ${Math.round(applyKiB / KIB_PER_MIB)} MiB`,
    );
  } finally {
    admission?.done();
  }
  ctx.balloonChangedAtMs?.set(spec.vmUuid, ctx.now());
  const actualMiB = Math.round(reached / KIB_PER_MIB);
  const budgetNote = admission
    ? `${admission.partial ? ` (${action.memoryMiB} MiB asked; the host budget of ${action.hostBudgetMiB} MiB allowed this much)` : ''}` +
      `${admission.waitedMs >= 250 ? `; waited ${admission.waitedMs} ms for other VMs' releases` : ''}`
    : '';
  return {
    message: `balloon at ${actualMiB} MiB${budgetNote}`,
    alreadyThere: false,
    observed: { actualMiB, previousMiB: currentMiB(), ...(admission ? { budgetWaitMs: admission.waitedMs, partial: admission.partial } : {}) },
  };
};
