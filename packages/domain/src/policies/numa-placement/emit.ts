/**
 * The steps of a host's plan that write: a VM's decision with its inputs, whether a wanted placement is
 * made this cycle (cool-down, the host's moves per cycle, automation), and the set-numa job with its
 * booking and its entry in the signal.
 */
import type { ClusterSnapshot } from '../../snapshot.js';
import { r1 } from '../format.js';
import type { NumaHostKnobs, PlacementMemoryMode } from './args.js';
import type { CellBook } from './cell-book.js';
import type { Choice } from './choose.js';
import { lastPlacedAtMs } from './cooldown.js';
import type { NumaDecisionKind, NumaPlan } from './decision.js';
import type { NumaPlaced } from './placed-signal.js';
import type { PlacementVm } from './vm-facts.js';

/** One host's plan in progress. */
export interface HostPlan {
  hostId: string;
  knobs: NumaHostKnobs;
  book: CellBook;
  snapshot: ClusterSnapshot;
  out: NumaPlan;
  placed: NumaPlaced[];
  /** Placements made on this host this cycle. */
  moves: number;
  /** placementJobTimes of the snapshot's jobs (made once a plan). */
  placedAt: ReadonlyMap<string, number>;
}

export function decideVm(h: HostPlan, v: PlacementVm, d: { kind: NumaDecisionKind; reason: string }): void {
  h.out.decisions.push({ vmUuid: v.vm.uuid, hostId: h.hostId, kind: d.kind, reason: d.reason, inputs: inputsOf(h, v) });
}

/** Why a wanted placement is not made this cycle; undefined when it is. */
export function gateMove(h: HostPlan, v: PlacementVm, choice: Choice): Choice | undefined {
  const at = lastPlacedAtMs(v.vm, h.placedAt);
  if (at !== undefined && h.snapshot.nowMs - at < h.knobs.cooldownMs) {
    return { kind: 'cooldown', reason: `placed at ${at}: not moved again before ${at + h.knobs.cooldownMs} (cool-down ${h.knobs.cooldownMs} ms); it would ${choice.reason}` };
  }
  if (h.moves >= h.knobs.maxMovesPerCycle) {
    return { kind: 'deferred', reason: `${h.moves} VM(s) placed on this host this cycle (maxMovesPerCycle ${h.knobs.maxMovesPerCycle}): later; it would ${choice.reason}` };
  }
  if (v.knobs.automation !== 'auto') return { kind: 'place', reason: `${choice.reason} (automation ${v.knobs.automation}: not applied)` };
  return undefined;
}

/** Makes the placement: its decision (with the cells as they were), its booking on the cells, the job and its entry in the signal. */
export function placeJob(h: HostPlan, v: PlacementVm, move: { cell: number; memoryMode?: PlacementMemoryMode }, reason: string): void {
  decideVm(h, v, { kind: 'place', reason });
  h.book.place(v, move.cell);
  h.moves++;
  h.out.jobs.push({
    hostId: h.hostId,
    vmUuid: v.vm.uuid,
    vmName: v.vm.name,
    action: { type: 'set-numa', cell: move.cell, ...(move.memoryMode ? { memoryMode: move.memoryMode } : {}), pinVcpus: true },
    reason,
  });
  h.placed.push({ hostId: h.hostId, vmUuid: v.vm.uuid, vmName: v.vm.name, cell: move.cell, pcpus: h.book.pcpusOf(move.cell), state: 'planned' });
}

function inputsOf(h: HostPlan, v: PlacementVm): Record<string, unknown> {
  return {
    automation: v.knobs.automation,
    groups: v.groups,
    memoryMode: v.knobs.memoryMode,
    vcpus: v.vcpus,
    demandPercent: r1(v.demandPercent),
    memoryMiB: r1(v.memoryMiB),
    numaTune: v.vm.numaTune ?? null,
    placedCell: v.placedCell ?? null,
    memoryCell: v.memoryCell ?? null,
    cells: h.book.cellIds().map((c) => {
      const view = h.book.view(v, c);
      return { cell: c, freeMiB: r1(view.freeMiB), freeCpuPercent: r1(view.freeCpuPercent), score: Math.round(view.score), fits: view.misfit ?? true };
    }),
    lastPlacedAtMs: lastPlacedAtMs(v.vm, h.placedAt) ?? null,
    cooldownMs: h.knobs.cooldownMs,
    movesThisCycle: h.moves,
    maxMovesPerCycle: h.knobs.maxMovesPerCycle,
  };
}
