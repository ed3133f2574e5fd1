/**
 * A host's NUMA cells as the placement books them during one plan: free CPU (capacity − what its pCPUs
 * are busy) and free memory per cell, whether a VM fits a cell, the cell-choice score, and the effect of
 * a placement on the figures (so a second placement in the same cycle sees the first).
 *
 * Seen from a VM, what it uses itself counts as free: its vCPUs' use on the cell they run on now, and its
 * memory on the cell its numatune binds it to (a VM without numatune has memory spread where the kernel
 * put it, which is not known per cell, so none of it is credited).
 *
 * Fit: the VM's vCPUs fit the cell's pCPUs (no more vCPUs than pCPUs), its demand fits the cell's free CPU
 * less cpuHeadroomPercent of the cell, and its memory fits the cell's free memory less cellFreeFloorMiB. A
 * placed VM stays while it fits its cell with half the headroom and half the floor (hysteresis: a cell
 * that just took a VM keeps holding it). Usage is what the VM got, not what it wanted, so a saturated
 * cell shows as one whose free CPU (the VM's own use included) leaves no headroom.
 *
 * Cell choice (numad's rule: it ranks nodes by free memory × free CPU, its "magnitude"):
 *   score(cell) = free MiB × free CPU %, both as seen from the VM, before it is placed;
 * the fitting cell with the highest score wins, ties to the lower cell id.
 */
import type { HostView } from '../../snapshot.js';
import type { NumaCell } from '../../model.js';
import { KIB_PER_MIB } from '../../units.js';
import { fmt } from '../format.js';
import type { NumaHostKnobs } from './args.js';
import type { PlacementVm } from './vm-facts.js';

interface Account {
  cell: NumaCell;
  capacityPercent: number;
  usedPercent: number;
  freeMiB: number;
}

export interface CellView {
  cell: number;
  freeMiB: number;
  freeCpuPercent: number;
  score: number;
  /** Why it does not fit the VM (with the headroom and floor); undefined when it does. */
  misfit?: string;
}

export class CellBook {
  private readonly accounts: Map<number, Account>;

  constructor(
    host: HostView,
    private readonly knobs: NumaHostKnobs,
  ) {
    const busy = new Map(host.pcpus.map((p) => [p.pcpu, p.usagePercent]));
    this.accounts = new Map(
      host.numaCells
        .filter((c) => c.cpus.length > 0)
        .map((c) => [c.id, { cell: c, capacityPercent: 100 * c.cpus.length, usedPercent: c.cpus.reduce((a, p) => a + (busy.get(p) ?? 0), 0), freeMiB: c.freeKiB / KIB_PER_MIB }]),
    );
  }

  /** The cells vCPUs can be placed on (those with pCPUs), by id. */
  cellIds(): number[] {
    return [...this.accounts.keys()].sort((a, b) => a - b);
  }

  pcpusOf(cell: number): number[] {
    return this.accounts.get(cell)?.cell.cpus ?? [];
  }

  /**
   * The cell as seen from the VM: its free memory and CPU (counting the VM's own use there as free), score
   * and fit — to be placed there, or (`stay`) to stay there, with half the headroom and floor.
   */
  view(v: PlacementVm, cell: number, stay = false): CellView {
    const a = this.accounts.get(cell);
    if (!a) return { cell, freeMiB: 0, freeCpuPercent: 0, score: 0, misfit: 'no such cell with pCPUs' };
    const freeMiB = a.freeMiB + (v.memoryCell === cell ? v.memoryMiB : 0);
    const freeCpuPercent = Math.max(0, a.capacityPercent - a.usedPercent + (v.useByCell.get(cell) ?? 0));
    const out: CellView = { cell, freeMiB, freeCpuPercent, score: Math.max(0, freeMiB) * freeCpuPercent };
    const misfit = this.misfit(v, a, freeMiB, freeCpuPercent, stay ? 0.5 : 1);
    if (misfit) out.misfit = misfit;
    return out;
  }

  /** Why the VM does not fit (`share`: of the headroom and floor kept); undefined when it does. */
  private misfit(v: PlacementVm, a: Account, freeMiB: number, freeCpuPercent: number, share: number): string | undefined {
    const headroom = share * (this.knobs.cpuHeadroomPercent / 100) * a.capacityPercent;
    const floor = share * this.knobs.cellFreeFloorMiB;
    if (v.vcpus > a.cell.cpus.length) return `${v.vcpus} vCPUs > its ${a.cell.cpus.length} pCPUs`;
    if (v.demandPercent > freeCpuPercent - headroom) return `demand ${fmt(v.demandPercent)} % > ${fmt(freeCpuPercent)} % CPU free less ${fmt(headroom)} % headroom`;
    if (v.memoryMiB > freeMiB - floor) return `memory ${fmt(v.memoryMiB)} MiB > ${fmt(freeMiB)} MiB free less ${fmt(floor)} MiB floor`;
    return undefined;
  }

  /** The fitting cell among `cells` with the highest score (ties: lower id), or undefined when none fits. */
  best(v: PlacementVm, cells: readonly number[]): CellView | undefined {
    return cells
      .map((c) => this.view(v, c))
      .filter((c) => c.misfit === undefined)
      .sort((a, b) => b.score - a.score || a.cell - b.cell)[0];
  }

  /** Books the VM onto `cell`: its demand moves there from where its vCPUs run, and its memory from its bound cell. */
  place(v: PlacementVm, cell: number): void {
    const to = this.accounts.get(cell);
    if (!to) return;
    for (const [id, use] of v.useByCell) {
      const a = this.accounts.get(id);
      if (a) a.usedPercent -= use;
    }
    to.usedPercent += v.demandPercent;
    if (v.memoryCell === cell) return;
    to.freeMiB -= v.memoryMiB;
    const from = v.memoryCell !== undefined ? this.accounts.get(v.memoryCell) : undefined;
    if (from) from.freeMiB += v.memoryMiB;
  }
}
