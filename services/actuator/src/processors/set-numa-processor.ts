import type { ActionOf, NumaCell, NumaTune } from '@ballast/domain';
import { ErrorCode, isInvalidArg, isOperationInvalid, LibvirtError } from '@ballast/libvirt';
import { PermanentJobError, readVm, waitFor, type Processor, type ProcessorContext, type VmJobSpec } from './processor-context.js';
import { recordJobPins } from './pin-records.js';
import { sameSet } from './same-set.js';

type SetNuma = ActionOf<'set-numa'>;

/**
 * Places a VM on one NUMA cell: first its memory (numatune nodeset = the cell, in the mode asked or the VM's
 * own), then — unless `pinVcpus` is false — every vCPU's affinity to the cell's pCPUs. The memory step is
 * the one libvirt may refuse on a running VM (a mode change, a nodeset change outside restrictive mode):
 * that fails the job before any vCPU moves, with libvirt's reason. When a vCPU cannot be pinned, what was
 * changed is put back (the vCPUs already pinned, and the memory placement where libvirt allows it) and the
 * job fails saying so. Verifies both read back, then records who pinned the vCPUs it moved (pin-records.ts).
 */
export const setNumaProcessor: Processor<SetNuma> = async (ctx, spec, action) => {
  const vm = await readVm(ctx, spec.vmUuid, false);
  const cell = await cellOf(ctx, action.cell);
  const vcpus = action.pinVcpus === false ? [] : vm.vcpus.map((v) => v.id);
  const before = await ctx.hv.getNumaTune(spec.vmUuid);
  const memoryThere = memoryPlaced(before, action);
  const pins = await ctx.hv.getVcpuPinning(spec.vmUuid);
  const toPin = vcpus.filter((v) => !sameSet(pins[v] ?? [], cell.cpus));
  if (memoryThere && toPin.length === 0) {
    return { message: `already there: ${spec.vmName} on NUMA cell ${cell.id}`, alreadyThere: true, observed: { numatune: before, pcpus: cell.cpus } };
  }
  if (!memoryThere) await placeMemory(ctx, spec, action, cell);
  await pinAllOrNone(ctx, spec, toPin, pins, cell, memoryThere ? undefined : before);
  const after = await waitFor(
    ctx,
    ctx.config.verifyTimeoutMs,
    async () => {
      const [t, p] = await Promise.all([ctx.hv.getNumaTune(spec.vmUuid), ctx.hv.getVcpuPinning(spec.vmUuid)]);
      return memoryPlaced(t, action) && vcpus.every((v) => sameSet(p[v] ?? [], cell.cpus)) ? t : undefined;
    },
    () => `${spec.vmName}'s numatune or vCPU affinity did not read back as NUMA cell ${cell.id}`,
  );
  const record = await recordJobPins(ctx, spec, toPin, cell.cpus);
  return {
    message: `${spec.vmName} on NUMA cell ${cell.id}: memory ${after.mode} nodeset ${after.nodeset.join(',')}${vcpus.length > 0 ? `, vCPUs on pCPUs ${cell.cpus.join(',')}` : ''}${record.note}`,
    alreadyThere: false,
    observed: { numatune: after, previous: before, pcpus: vcpus.length > 0 ? cell.cpus : undefined, vcpusPinned: toPin, ...record.observed },
  };
};

function memoryPlaced(t: NumaTune, action: SetNuma): boolean {
  return sameSet(t.nodeset, [action.cell]) && (action.memoryMode === undefined || t.mode === action.memoryMode);
}

async function cellOf(ctx: ProcessorContext, id: number): Promise<NumaCell> {
  const cells = (await ctx.hv.hostInfo()).numaCells;
  const cell = cells.find((c) => c.id === id);
  if (!cell) throw new PermanentJobError(`NUMA cell ${id} does not exist on this host (cells: ${cells.map((c) => c.id).join(', ') || 'none reported'})`);
  if (cell.cpus.length === 0) throw new PermanentJobError(`NUMA cell ${id} has no pCPUs to place vCPUs on`);
  return cell;
}

/**
 * Pins the vCPUs to the cell's pCPUs. If one fails, the ones already pinned get their old affinity back and
 * the memory placement its old nodeset (`memoryBefore`, when this job changed it), so nothing is left half
 * done; an affinity libvirt refuses as invalid fails the job at once.
 */
async function pinAllOrNone(ctx: ProcessorContext, spec: VmJobSpec, vcpus: number[], pins: number[][], cell: NumaCell, memoryBefore: NumaTune | undefined): Promise<void> {
  const done: number[] = [];
  try {
    for (const v of vcpus) {
      await ctx.hv.pinVcpu(spec.vmUuid, v, cell.cpus);
      done.push(v);
    }
  } catch (e) {
    const undone = await undo(ctx, spec, done, pins, memoryBefore);
    const why = `cannot pin ${spec.vmName}'s vCPU ${vcpus[done.length]} to NUMA cell ${cell.id}'s pCPUs ${cell.cpus.join(',')}: ${(e as Error).message}; ${undone}`;
    throw isInvalidArg(e) ? new PermanentJobError(why) : new Error(why);
  }
}

/** Puts back what a failed placement changed; says what it could and could not restore. */
async function undo(ctx: ProcessorContext, spec: VmJobSpec, pinned: number[], pins: number[][], memoryBefore: NumaTune | undefined): Promise<string> {
  for (const v of pinned) await ctx.hv.pinVcpu(spec.vmUuid, v, pins[v] ?? []).catch(() => undefined);
  if (!memoryBefore) return 'nothing was changed';
  if (memoryBefore.nodeset.length === 0) return 'its memory placement stays (libvirt cannot remove a running VM\'s numatune)';
  const restored = await ctx.hv.setNumaTune(spec.vmUuid, { mode: memoryBefore.mode, nodeset: memoryBefore.nodeset }).then(
    () => true,
    () => false,
  );
  return restored ? `its memory placement is back on nodeset ${memoryBefore.nodeset.join(',')}` : `its memory placement could not be put back on nodeset ${memoryBefore.nodeset.join(',')}`;
}

/** Sets the numatune; what libvirt refuses for a running VM fails the job at once, with its reason. */
async function placeMemory(ctx: ProcessorContext, spec: VmJobSpec, action: SetNuma, cell: NumaCell): Promise<void> {
  try {
    await ctx.hv.setNumaTune(spec.vmUuid, { nodeset: [cell.id], ...(action.memoryMode !== undefined ? { mode: action.memoryMode } : {}) });
  } catch (e) {
    const unsupported = e instanceof LibvirtError && e.code === ErrorCode.CONFIG_UNSUPPORTED;
    if (isOperationInvalid(e) || isInvalidArg(e) || unsupported) {
      throw new PermanentJobError(`cannot place ${spec.vmName}'s memory on NUMA cell ${cell.id}: ${(e as Error).message}`);
    }
    throw e;
  }
}
