import { KIB_PER_MIB, type ActionOf, type BalloonStats, type VmStats } from '@ballast/domain';
import { admitGrow, endGrow } from './host-budget.js';
import { PermanentJobError, readVm, waitFor, type Processor, type ProcessorContext, type VmJobSpec } from './processor-context.js';

type SetMemory = ActionOf<'set-memory'>;

const mibOf = (kib: number): number => Math.round(kib / KIB_PER_MIB);

/**
 * Moves a VM's balloon to an absolute target. Checks before: within [minMemoryMiB, maximum]; a shrink
 * needs fresh guest stats (taken after this actuator's last change of that balloon) and must leave used
 * memory + headroom. A grow that carries a host budget follows the releases that pay for it (host-budget.ts).
 * Verifies after: the balloon reaches the target within verifyTimeoutMs. Already at the target: success,
 * nothing done.
 */
export const setMemoryProcessor: Processor<SetMemory> = async (ctx, spec, action) => {
  const vm = await readFreshVm(ctx, spec, action);
  const b = vm.balloon;
  if (!b) throw new PermanentJobError(`VM ${spec.vmName} reports no balloon`);
  const targetKiB = action.memoryMiB * KIB_PER_MIB;
  checkBounds(ctx, spec, action, b);
  if (Math.abs(b.currentKiB - targetKiB) <= ctx.config.memoryToleranceMiB * KIB_PER_MIB) {
    return { message: `already there: balloon at ${mibOf(b.currentKiB)} MiB`, alreadyThere: true, observed: { actualMiB: mibOf(b.currentKiB) } };
  }
  if (targetKiB < b.currentKiB) checkShrink(ctx, spec, action, b);
  const applied =
    action.hostBudgetMiB !== undefined && targetKiB > b.currentKiB
      ? await growUnderBudget(ctx, spec, action, action.hostBudgetMiB, b.currentKiB)
      : { reachedKiB: await applyAndVerify(ctx, spec, targetKiB), note: '', observed: {} };
  ctx.balloonChangedAtMs?.set(spec.vmUuid, ctx.now());
  const actualMiB = mibOf(applied.reachedKiB);
  return {
    message: `balloon at ${actualMiB} MiB${applied.note}`,
    alreadyThere: false,
    observed: { actualMiB, previousMiB: mibOf(b.currentKiB), ...applied.observed },
  };
};

const shrinks = (ctx: ProcessorContext, action: SetMemory, v: VmStats): boolean =>
  v.balloon !== undefined && action.memoryMiB * KIB_PER_MIB < v.balloon.currentKiB - ctx.config.memoryToleranceMiB * KIB_PER_MIB;

/**
 * The VM's stats, and for a shrink right after this actuator moved the balloon, stats from a guest report
 * taken after that change: until then the guest's unused figure belongs to the old size (after a shrink it
 * overstates what is free).
 */
async function readFreshVm(ctx: ProcessorContext, spec: VmJobSpec, action: SetMemory): Promise<VmStats> {
  const vm = await readVm(ctx, spec.vmUuid, true);
  const changedAt = ctx.balloonChangedAtMs?.get(spec.vmUuid);
  const reportedAtMs = (v: VmStats): number | undefined => (v.balloon?.lastUpdateSec !== undefined ? v.balloon.lastUpdateSec * 1000 : undefined);
  const before = reportedAtMs(vm);
  if (changedAt === undefined || !shrinks(ctx, action, vm) || before === undefined || before >= changedAt) return vm;
  return waitFor(
    ctx,
    Math.max(1000, ctx.config.staleStatsSec * 1000),
    async () => {
      const v = await readVm(ctx, spec.vmUuid, true);
      return (reportedAtMs(v) ?? 0) >= changedAt ? v : undefined;
    },
    () => `no guest stats report from ${spec.vmName} since its balloon last changed; not shrinking on older figures`,
  );
}

function checkBounds(ctx: ProcessorContext, spec: VmJobSpec, action: SetMemory, b: BalloonStats): void {
  if (action.memoryMiB * KIB_PER_MIB > b.maximumKiB) {
    throw new PermanentJobError(`memoryMiB ${action.memoryMiB} exceeds ${spec.vmName}'s maximum of ${Math.floor(b.maximumKiB / KIB_PER_MIB)} MiB`);
  }
  if (action.memoryMiB < ctx.config.minMemoryMiB) {
    throw new PermanentJobError(`memoryMiB ${action.memoryMiB} is below the floor of ${ctx.config.minMemoryMiB} MiB`);
  }
}

/** A shrink needs fresh guest stats and must leave the guest its used memory plus the headroom. */
function checkShrink(ctx: ProcessorContext, spec: VmJobSpec, action: SetMemory, b: BalloonStats): void {
  if (b.unusedKiB === undefined || b.lastUpdateSec === undefined) {
    throw new PermanentJobError(`refusing to shrink ${spec.vmName}: no guest balloon stats (set a memory stats period), so its used memory is unknown`);
  }
  const ageSec = ctx.now() / 1000 - b.lastUpdateSec;
  if (ageSec > ctx.config.staleStatsSec) {
    throw new Error(`refusing to shrink ${spec.vmName}: guest balloon stats are ${Math.round(ageSec)} s old`);
  }
  const usedKiB = b.currentKiB - b.unusedKiB;
  const floorKiB = usedKiB + ctx.config.guestHeadroomMiB * KIB_PER_MIB;
  if (action.memoryMiB * KIB_PER_MIB < floorKiB) {
    throw new PermanentJobError(
      `refusing to shrink ${spec.vmName} to ${action.memoryMiB} MiB: the guest uses ${mibOf(usedKiB)} MiB ` +
        `and needs ${ctx.config.guestHeadroomMiB} MiB headroom (floor ${Math.ceil(floorKiB / KIB_PER_MIB)} MiB)`,
    );
  }
}

/** Sets the balloon and waits until it reads back within the tolerance; returns what it reads. */
async function applyAndVerify(ctx: ProcessorContext, spec: VmJobSpec, kib: number): Promise<number> {
  await ctx.hv.setMemory(spec.vmUuid, kib);
  const toleranceKiB = ctx.config.memoryToleranceMiB * KIB_PER_MIB;
  return waitFor(
    ctx,
    ctx.config.verifyTimeoutMs,
    async () => {
      const cur = (await readVm(ctx, spec.vmUuid, true)).balloon?.currentKiB ?? 0;
      return Math.abs(cur - kib) <= toleranceKiB ? cur : undefined;
    },
    () => `balloon of ${spec.vmName} did not reach ${mibOf(kib)} MiB`,
  );
}

/**
 * A grow under a host budget follows the releases that pay for it, step by step as they land, for up to
 * budgetWaitMs; it may end short of the target (partial) when the releases do not come in time.
 */
async function growUnderBudget(
  ctx: ProcessorContext,
  spec: VmJobSpec,
  action: SetMemory,
  budgetMiB: number,
  currentKiB: number,
): Promise<{ reachedKiB: number; note: string; observed: Record<string, unknown> }> {
  const targetKiB = action.memoryMiB * KIB_PER_MIB;
  const start = ctx.now();
  const deadline = start + ctx.config.budgetWaitMs;
  let reached = currentKiB;
  let steps = 0;
  try {
    for (;;) {
      const a = await admitGrow(ctx, spec, reached, targetKiB, budgetMiB, deadline, steps > 0);
      if (!a) break;
      reached = await applyAndVerify(ctx, spec, a.targetKiB);
      steps++;
      if (!a.partial || ctx.now() >= deadline) break;
    }
  } finally {
    endGrow(ctx, spec.vmUuid);
  }
  const waitedMs = ctx.now() - start;
  const partial = reached < targetKiB - ctx.config.memoryToleranceMiB * KIB_PER_MIB;
  const note =
    `${partial ? ` (${action.memoryMiB} MiB asked; the host budget of ${budgetMiB} MiB allowed this much)` : ''}` +
    `${steps > 1 ? `; ${steps} steps as other VMs' releases landed` : ''}${waitedMs >= 250 && steps <= 1 ? `; waited ${waitedMs} ms for other VMs' releases` : ''}`;
  return { reachedKiB: reached, note, observed: { budgetWaitMs: waitedMs, partial, steps } };
}
