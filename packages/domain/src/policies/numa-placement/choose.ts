/**
 * Where one VM should be, from the cells as booked so far (cell-book.ts) and libvirt's live rules
 * (live-move.ts): it stays where it is, it cannot move, no cell holds it, or a placement on one cell.
 *
 * - A VM on one cell (memory and every vCPU) stays while that cell holds it with half the headroom and
 *   half the floor. When it no longer does, it moves only to a cell it may move to live that fits it and scores
 *   (1 + hysteresisPercent/100) times its own cell's score; else it stays and the decision says why.
 * - Any other VM goes to the best fitting cell among those libvirt lets it move to live: every cell
 *   without numatune or in restrictive mode, only its memory's cell when its nodeset is one cell in
 *   another mode (only its vCPUs are pinned then), none when its nodeset spans cells in another mode.
 */
import { fmt } from '../format.js';
import type { NumaHostKnobs, PlacementMemoryMode } from './args.js';
import type { CellBook, CellView } from './cell-book.js';
import type { NumaDecisionKind } from './decision.js';
import { liveMove } from './live-move.js';
import type { PlacementVm } from './vm-facts.js';

export interface Choice {
  kind: NumaDecisionKind;
  reason: string;
  /** The placement to make (kind 'place'). */
  move?: { cell: number; memoryMode?: PlacementMemoryMode };
}

const describe = (c: CellView): string => `cell ${c.cell} (${fmt(c.freeMiB)} MiB × ${fmt(c.freeCpuPercent)} % free: score ${Math.round(c.score)})`;

export function choosePlacement(v: PlacementVm, book: CellBook, k: NumaHostKnobs): Choice {
  const tune = v.vm.numaTune ?? { mode: 'strict', nodeset: [] };
  const cells = book.cellIds();
  const allowed = cells.filter((c) => liveMove(tune, c, v.knobs.memoryMode).ok);
  const liveWhy = (): string => {
    const refused = liveMove(tune, cells.find((c) => !allowed.includes(c)) ?? -1, v.knobs.memoryMode);
    return refused.ok ? '' : refused.why;
  };
  if (v.placedCell !== undefined) return stayOrMove(v, v.placedCell, allowed, book, k, liveWhy);
  if (allowed.length === 0) return { kind: 'cannot-move', reason: `not on one cell, and ${liveWhy()}` };
  const best = book.best(v, allowed);
  if (!best) {
    const misfits = allowed.map((c) => `cell ${c}: ${book.view(v, c).misfit ?? ''}`).join('; ');
    const reach = allowed.length < cells.length ? `; the other cells are out of reach: ${liveWhy()}` : '';
    return { kind: 'no-fit', reason: `no cell holds it (${misfits})${reach}: left as it is` };
  }
  return placement(v, best, book, '');
}

function stayOrMove(v: PlacementVm, cell: number, allowed: readonly number[], book: CellBook, k: NumaHostKnobs, liveWhy: () => string): Choice {
  const cur = book.view(v, cell, true);
  if (cur.misfit === undefined) return { kind: 'placed', reason: `on cell ${cell} (memory and vCPUs), which still holds it` };
  const lacks = `cell ${cell} no longer holds it (${cur.misfit})`;
  const others = allowed.filter((c) => c !== cell);
  if (others.length === 0) return { kind: 'cannot-move', reason: `${lacks}, and ${liveWhy()}` };
  const best = book.best(v, others);
  if (!best) return { kind: 'placed', reason: `${lacks}, but no other cell fits it: stays` };
  const needed = cur.score * (1 + k.hysteresisPercent / 100);
  if (best.score < needed) {
    return { kind: 'placed', reason: `${lacks}, but the best other, ${describe(best)}, scores less than ${1 + k.hysteresisPercent / 100} × ${Math.round(cur.score)}: stays` };
  }
  return placement(v, best, book, `${lacks}; `);
}

function placement(v: PlacementVm, best: CellView, book: CellBook, prefix: string): Choice {
  const lm = liveMove(v.vm.numaTune ?? { mode: 'strict', nodeset: [] }, best.cell, v.knobs.memoryMode);
  const memoryMode = lm.ok ? lm.memoryMode : undefined;
  const memory = v.memoryCell === best.cell ? 'memory already there' : `memory${memoryMode ? ` (${memoryMode})` : ''}`;
  return {
    kind: 'place',
    reason:
      `${prefix}place on ${describe(best)}: ${memory} and ${v.vcpus} vCPU(s) on pCPUs ${book.pcpusOf(best.cell).join(',')}; ` +
      `it needs ${fmt(v.demandPercent)} % CPU and ${fmt(v.memoryMiB)} MiB`,
    move: { cell: best.cell, ...(memoryMode ? { memoryMode } : {}) },
  };
}
