/**
 * The pCPUs and NUMA cells of one host as the balancer sees them, and the cell each VM is balanced in:
 * a VM with a numatune stays on its cells' pCPUs; any other VM on the cell its vCPUs are on (most of
 * them); on a one-cell host that is every pCPU.
 */
import type { HostView, VmView } from '../../snapshot.js';

export interface HostCell {
  id: number;
  /** Its pCPUs, ascending. */
  cpus: number[];
}

export interface HostLayout {
  pcpuCount: number;
  cells: HostCell[];
  /** Index into `cells` of each pCPU. */
  cellIndexOf: number[];
}

/**
 * The host's cells as its report gives them, pCPUs beyond pcpuCount dropped; without cells (or for
 * pCPUs no cell lists) one more cell holds the rest (id 0 when it is the only one, else -1).
 */
export function hostLayout(host: Pick<HostView, 'pcpuCount' | 'numaCells'>): HostLayout {
  const n = Math.max(0, host.pcpuCount);
  const cellIndexOf = new Array<number>(n).fill(-1);
  const cells: HostCell[] = [];
  for (const c of [...host.numaCells].sort((a, b) => a.id - b.id)) {
    const cpus = [...new Set(c.cpus)].filter((p) => Number.isInteger(p) && p >= 0 && p < n && cellIndexOf[p] === -1).sort((a, b) => a - b);
    if (cpus.length === 0) continue;
    for (const p of cpus) cellIndexOf[p] = cells.length;
    cells.push({ id: c.id, cpus });
  }
  const rest = cellIndexOf.flatMap((ci, p) => (ci === -1 ? [p] : []));
  if (rest.length > 0) {
    for (const p of rest) cellIndexOf[p] = cells.length;
    cells.push({ id: cells.length === 0 ? 0 : -1, cpus: rest });
  }
  return { pcpuCount: n, cells, cellIndexOf };
}

/** Where one VM's vCPUs may be pinned. */
export interface VmDomain {
  /** The pCPUs the VM may use at all: its numatune cells' pCPUs, or every pCPU. A vCPU allowed all of them is unpinned. */
  allowed: number[];
  /** Index into layout.cells of the cell its vCPUs are balanced in. */
  cellIndex: number;
  why: string;
}

/**
 * The VM's cell: among its numatune cells (every cell without one), the cell where most of its vCPUs
 * are now (`mainPcpus`: one pCPU per vCPU, -1 when unknown); ties and no vCPU placed yet → the lowest.
 */
export function vmDomain(vm: Pick<VmView, 'numaTune'>, layout: HostLayout, mainPcpus: readonly number[]): VmDomain {
  const all = layout.cells.map((_, i) => i);
  const nodeset = vm.numaTune?.nodeset ?? [];
  const tuned = all.filter((i) => nodeset.includes(layout.cells[i]?.id ?? NaN));
  const candidates = tuned.length > 0 ? tuned : all;
  const count = new Map<number, number>();
  for (const p of mainPcpus) {
    const ci = layout.cellIndexOf[p];
    if (ci !== undefined && candidates.includes(ci)) count.set(ci, (count.get(ci) ?? 0) + 1);
  }
  let cellIndex = candidates[0] ?? 0;
  for (const ci of candidates) if ((count.get(ci) ?? 0) > (count.get(cellIndex) ?? 0)) cellIndex = ci;
  const allowed = candidates.flatMap((ci) => layout.cells[ci]?.cpus ?? []).sort((a, b) => a - b);
  const cellId = layout.cells[cellIndex]?.id ?? 0;
  const why =
    layout.cells.length === 1
      ? 'the host has one cell: every pCPU'
      : tuned.length > 0
        ? `numatune: cell${tuned.length > 1 ? 's' : ''} ${tuned.map((i) => layout.cells[i]?.id).join(',')}; balanced in cell ${cellId}`
        : `no numatune: cell ${cellId}, where most of its vCPUs are`;
  return { allowed, cellIndex, why };
}
