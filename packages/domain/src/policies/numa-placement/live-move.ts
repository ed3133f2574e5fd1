/**
 * What a set-numa job can do to a running VM, by libvirt 9's live numatune rules (packages/libvirt
 * README, "numatune of a running domain"; the hypervisor's numa-tune-change.ts refuses the rest):
 *
 * - a VM without numatune takes a nodeset once, with any mode (the placement's memoryMode);
 * - after that its mode never changes, and its nodeset changes only in restrictive mode;
 * - a VM whose memory is on the cell already needs no numatune change: only its vCPUs are pinned.
 *
 * So the policy plans only what libvirt will apply, and says why when a VM cannot be moved live.
 */
import type { NumaTune } from '../../model.js';
import type { PlacementMemoryMode } from './args.js';

export type LiveMove = { ok: true; memoryMode?: PlacementMemoryMode } | { ok: false; why: string };

export function liveMove(tune: NumaTune, cell: number, firstMode: PlacementMemoryMode): LiveMove {
  if (tune.nodeset.length === 0) return { ok: true, memoryMode: firstMode };
  if (tune.nodeset.length === 1 && tune.nodeset[0] === cell) return { ok: true };
  if (tune.mode === 'restrictive') return { ok: true };
  return {
    ok: false,
    why:
      `its numatune is ${tune.mode} on cells ${tune.nodeset.join(',')}: libvirt changes a running VM's nodeset only in restrictive ` +
      `mode and never its mode, so it cannot be moved live (change its definition and restart it)`,
  };
}

/** Whether libvirt will apply a set-numa job (cell, and a mode if it names one) to a running VM with this numatune. */
export function liveJobApplies(tune: NumaTune, job: { cell: number; memoryMode?: string }): boolean {
  if (tune.nodeset.length === 0) return true;
  if (job.memoryMode !== undefined && job.memoryMode !== tune.mode) return false;
  return liveMove(tune, job.cell, 'preferred').ok;
}
