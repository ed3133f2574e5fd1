/**
 * The balancer's measure of a host: per-pCPU load (% of the pCPU) and its spread. The spread is the
 * population standard deviation of the pCPUs' load around the mean of their own NUMA cell — on a one-cell
 * host exactly the population std dev of per-pCPU usage; on a host with several cells, the part of it that
 * moves inside cells can change (a busy cell beside an idle one is the NUMA placement's business).
 * Kept as per-cell sums and sums of squares, so the change a move makes costs O(pCPUs it touches).
 */
import type { HostLayout } from './layout.js';

/** A change of load: [pCPU, Δ load in %]. A pCPU may appear more than once. */
export type LoadChange = readonly [number, number];

export class Spread {
  readonly load: Float64Array;
  private readonly sum: Float64Array;
  private readonly sumSq: Float64Array;
  private readonly size: Float64Array;
  // scratch for delta(): the distinct pCPUs a change touches, and their Δ
  private readonly touched: number[] = [];
  private readonly dx: number[] = [];

  constructor(private readonly layout: HostLayout) {
    this.load = new Float64Array(layout.pcpuCount);
    this.sum = new Float64Array(layout.cells.length);
    this.sumSq = new Float64Array(layout.cells.length);
    this.size = Float64Array.from(layout.cells, (c) => c.cpus.length);
  }

  /** Σ over pCPUs of (load − its cell's mean)². */
  get sse(): number {
    let j = 0;
    for (let c = 0; c < this.sum.length; c++) j += cellSse(this.sumSq[c] as number, this.sum[c] as number, this.size[c] as number);
    return Math.max(0, j);
  }

  /** The spread: √(sse / pCPUs), points of %. */
  stdDev(sse = this.sse): number {
    return this.layout.pcpuCount > 0 ? Math.sqrt(Math.max(0, sse) / this.layout.pcpuCount) : 0;
  }

  /** Population std dev of all the pCPUs' load around the host's mean (cells aside), for reports. */
  hostStdDev(): number {
    const n = this.load.length;
    if (n === 0) return 0;
    let s2 = 0;
    for (let p = 0; p < n; p++) s2 += (this.load[p] as number) ** 2;
    return Math.sqrt(Math.max(0, s2 / n - (this.total() / n) ** 2));
  }

  total(): number {
    let s = 0;
    for (let c = 0; c < this.sum.length; c++) s += this.sum[c] as number;
    return s;
  }

  /** The pCPUs' load now, as a plain array. */
  loads(): number[] {
    const out = new Array<number>(this.load.length);
    for (let p = 0; p < this.load.length; p++) out[p] = this.load[p] as number;
    return out;
  }

  /** How much sse changes if `changes` are applied. */
  delta(changes: readonly LoadChange[]): number {
    this.gather(changes);
    let d = 0;
    const cells = this.layout.cellIndexOf;
    // per touched cell: the change of its sum and sum of squares
    for (let i = 0; i < this.touched.length; i++) {
      const c = cells[this.touched[i] as number] as number;
      if (this.touched.slice(0, i).some((p) => cells[p] === c)) continue;
      let ds = 0;
      let ds2 = 0;
      for (let k = i; k < this.touched.length; k++) {
        const p = this.touched[k] as number;
        if (cells[p] !== c) continue;
        const x = this.load[p] as number;
        const y = x + (this.dx[k] as number);
        ds += y - x;
        ds2 += y * y - x * x;
      }
      const s = this.sum[c] as number;
      const s2 = this.sumSq[c] as number;
      const n = this.size[c] as number;
      d += cellSse(s2 + ds2, s + ds, n) - cellSse(s2, s, n);
    }
    return d;
  }

  apply(changes: readonly LoadChange[]): void {
    for (const [p, d] of changes) this.add(p, d);
  }

  /** Adds `d` % to pCPU p's load. */
  add(p: number, d: number): void {
    const c = this.layout.cellIndexOf[p] as number;
    const x = this.load[p] as number;
    const y = x + d;
    this.load[p] = y;
    this.sum[c] = (this.sum[c] as number) + d;
    this.sumSq[c] = (this.sumSq[c] as number) + y * y - x * x;
  }

  private gather(changes: readonly LoadChange[]): void {
    this.touched.length = 0;
    this.dx.length = 0;
    for (const [p, d] of changes) {
      const at = this.touched.indexOf(p);
      if (at >= 0) this.dx[at] = (this.dx[at] as number) + d;
      else {
        this.touched.push(p);
        this.dx.push(d);
      }
    }
  }
}

function cellSse(sumSq: number, sum: number, n: number): number {
  return n > 0 ? sumSq - (sum * sum) / n : 0;
}
