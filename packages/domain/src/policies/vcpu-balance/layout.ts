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
  /** Every pCPU, ascending. */
  allCpus: number[];
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
  return { pcpuCount: n, cells, cellIndexOf, allCpus: Array.from({ length: n }, (_, p) => p) };
}

/** Where one VM's vCPUs may be pinned. */
export interface VmDomain {
  /** The pCPUs the VM may use at all: its numatune cells', or every pCPU. A vCPU allowed all of them is unpinned. */
  allowed: number[];
  /** Index into layout.cells of the cell its vCPUs are balanced in. */
  cellIndex: number;
  /** Ids of its numatune cells on this host (empty: no numatune). */
  tunedCells: number[];
}

/**
 * The VM's cell: among its numatune cells (every cell without one), the cell where most of its vCPUs
 * are now (`mainPcpus`: one pCPU per vCPU, -1 when unknown); ties and no vCPU placed yet → the lowest.
 */
export function vmDomain(vm: Pick<VmView, 'numaTune'>, layout: HostLayout, mainPcpus: readonly number[]): VmDomain {
  if (layout.cells.length === 1) return { allowed: layout.allCpus, cellIndex: 0, tunedCells: (vm.numaTune?.nodeset ?? []).includes(layout.cells[0]?.id ?? NaN) ? [layout.cells[0]?.id ?? 0] : [] };
  const nodeset = vm.numaTune?.nodeset ?? [];
  const tuned: number[] = [];
  if (nodeset.length > 0) layout.cells.forEach((c, i) => (nodeset.includes(c.id) ? tuned.push(i) : undefined));
  const count = new Array<number>(layout.cells.length).fill(0);
  for (const p of mainPcpus) {
    const ci = layout.cellIndexOf[p];
    if (ci !== undefined && (tuned.length === 0 || tuned.includes(ci))) count[ci] = (count[ci] as number) + 1;
  }
  let cellIndex = tuned[0] ?? 0;
  for (let ci = 0; ci < count.length; ci++) if ((count[ci] as number) > (count[cellIndex] as number)) cellIndex = ci;
  const allowed =
    tuned.length === 0 ? layout.allCpus : tuned.length === 1 ? (layout.cells[tuned[0] as number]?.cpus ?? []) : tuned.flatMap((ci) => layout.cells[ci]?.cpus ?? []).sort((a, b) => a - b);
  return { allowed, cellIndex, tunedCells: tuned.map((ci) => layout.cells[ci]?.id ?? ci) };
}

/** Why the VM is balanced in its cell, for decisions. */
export function domainWhy(d: VmDomain, layout: HostLayout): string {
  const cellId = layout.cells[d.cellIndex]?.id ?? 0;
  if (layout.cells.length === 1) return 'the host has one cell: every pCPU';
  if (d.tunedCells.length > 0) return `numatune: cell${d.tunedCells.length > 1 ? 's' : ''} ${d.tunedCells.join(',')}; balanced in cell ${cellId}`;
  return `no numatune: cell ${cellId}, where most of its vCPUs are`;
}
