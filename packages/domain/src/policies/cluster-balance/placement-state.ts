/**
 * A what-if copy of the cluster: where each VM is, each host's load (Σ entitlement / capacity, CPU and
 * memory) and what it holds, with the sums that give the imbalance in O(1) after a move.
 *
 * Imbalance = the larger of the population standard deviations of the hosts' normalized CPU loads and of
 * their normalized memory loads (DRS balances on the std dev of normalized entitlements; taking the larger
 * of the two means a cluster is as unbalanced as its worse resource). Hosts in maintenance and stale hosts
 * are left out: nothing balances onto them.
 */
import type { ClusterModel, HostModel, VmModel } from './model.js';

export class PlacementState {
  readonly hosts: HostModel[];
  readonly vms: VmModel[];
  /** VM index → host index. */
  readonly at: Int32Array;
  readonly hostIndex = new Map<string, number>();
  readonly cpuSum: Float64Array;
  readonly memSum: Float64Array;
  /** Σ memory the VMs hold (balloons), MiB. */
  readonly heldMiB: Float64Array;
  readonly reserved: Float64Array;
  /** Host free memory as predicted after the moves so far, MiB. */
  readonly freeMiB: Float64Array;
  /** Hosts counted in the imbalance. */
  readonly counted: Uint8Array;
  /** Host capacities (CPU % and memory MiB) as arrays: the search's inner loop reads them. */
  private readonly cpuCap: Float64Array;
  private readonly memCap: Float64Array;
  private readonly scratch = new Float64Array(4);
  private n = 0;
  private s1 = [0, 0];
  private s2 = [0, 0];

  constructor(m: ClusterModel) {
    this.hosts = m.hosts;
    this.vms = m.vms;
    const H = m.hosts.length;
    m.hosts.forEach((h, i) => this.hostIndex.set(h.id, i));
    this.cpuSum = new Float64Array(H);
    this.memSum = new Float64Array(H);
    this.heldMiB = new Float64Array(H);
    this.reserved = new Float64Array(H);
    this.freeMiB = Float64Array.from(m.hosts.map((h) => h.freeMiB));
    this.cpuCap = Float64Array.from(m.hosts.map((h) => h.cpuCapacity));
    this.memCap = Float64Array.from(m.hosts.map((h) => h.memCapacityMiB));
    this.counted = Uint8Array.from(m.hosts.map((h) => (h.maintenance || h.stale ? 0 : 1)));
    this.at = new Int32Array(m.vms.length).fill(-1);
    m.vms.forEach((v, i) => {
      const h = this.hostIndex.get(v.hostId);
      if (h === undefined) return;
      this.at[i] = h;
      this.add(i, h, 1);
    });
    this.recount();
  }

  private add(v: number, h: number, sign: 1 | -1): void {
    const vm = this.vms[v] as VmModel;
    this.cpuSum[h] = (this.cpuSum[h] as number) + sign * vm.cpuEnt;
    this.memSum[h] = (this.memSum[h] as number) + sign * vm.memEnt;
    this.heldMiB[h] = (this.heldMiB[h] as number) + sign * vm.memSizeMiB;
    this.reserved[h] = (this.reserved[h] as number) + sign * vm.cpuReserved;
  }

  cpuLoad(h: number): number {
    return (this.cpuSum[h] as number) / (this.cpuCap[h] as number);
  }

  memLoad(h: number): number {
    return (this.memSum[h] as number) / (this.memCap[h] as number);
  }

  private recount(): void {
    this.n = 0;
    this.s1 = [0, 0];
    this.s2 = [0, 0];
    for (let h = 0; h < this.hosts.length; h++) {
      if (!this.counted[h]) continue;
      this.n++;
      const c = this.cpuLoad(h);
      const m = this.memLoad(h);
      this.s1 = [(this.s1[0] as number) + c, (this.s1[1] as number) + m];
      this.s2 = [(this.s2[0] as number) + c * c, (this.s2[1] as number) + m * m];
    }
  }

  get countedHosts(): number {
    return this.n;
  }

  /** The imbalance now. */
  imbalance(): number {
    return Math.max(std(this.s1[0] as number, this.s2[0] as number, this.n), std(this.s1[1] as number, this.s2[1] as number, this.n));
  }

  /** The imbalance if VM `v` moved to host `to` (nothing changes; no allocation: the search calls it millions of times). */
  imbalanceIf(v: number, to: number): number {
    if (this.at[v] === to) return this.imbalance();
    const base = this.scratch;
    this.sumsWithout(v, base);
    if (!this.counted[to]) return Math.max(std(base[0] as number, base[1] as number, this.n), std(base[2] as number, base[3] as number, this.n));
    const vm = this.vms[v] as VmModel;
    return this.imbalanceAdding(base, vm.cpuEnt, vm.memEnt, to);
  }

  /**
   * The load sums with VM `v` taken off its host, into `out`: [Σ cpu, Σ cpu², Σ mem, Σ mem²] of the counted
   * hosts' loads. With imbalanceAdding, the search computes the source side once per VM, not per destination.
   */
  sumsWithout(v: number, out: Float64Array): void {
    out[0] = this.s1[0] as number;
    out[1] = this.s2[0] as number;
    out[2] = this.s1[1] as number;
    out[3] = this.s2[1] as number;
    const from = this.at[v] as number;
    if (from < 0 || !this.counted[from]) return;
    const vm = this.vms[v] as VmModel;
    const cap = this.cpuCap[from] as number;
    const mcap = this.memCap[from] as number;
    const c = (this.cpuSum[from] as number) / cap;
    const cn = c - vm.cpuEnt / cap;
    const m = (this.memSum[from] as number) / mcap;
    const mn = m - vm.memEnt / mcap;
    out[0] = (out[0] as number) + (cn - c);
    out[1] = (out[1] as number) + (cn * cn - c * c);
    out[2] = (out[2] as number) + (mn - m);
    out[3] = (out[3] as number) + (mn * mn - m * m);
  }

  /** The imbalance from sums (sumsWithout) once a VM of this CPU and memory entitlement is added to counted host `to`. */
  imbalanceAdding(base: Float64Array, cpuEnt: number, memEnt: number, to: number): number {
    return Math.sqrt(Math.max(0, this.varianceAdding(base, cpuEnt, memEnt, to)));
  }

  /** The larger of the two variances behind imbalanceAdding (its square, without the root: the search compares these first). */
  varianceAdding(base: Float64Array, cpuEnt: number, memEnt: number, to: number): number {
    const n = this.n;
    if (n <= 1) return 0;
    const cap = this.cpuCap[to] as number;
    const mcap = this.memCap[to] as number;
    const c = (this.cpuSum[to] as number) / cap;
    const cn = c + cpuEnt / cap;
    const m = (this.memSum[to] as number) / mcap;
    const mn = m + memEnt / mcap;
    const cMean = ((base[0] as number) + (cn - c)) / n;
    const mMean = ((base[2] as number) + (mn - m)) / n;
    const vc = ((base[1] as number) + (cn * cn - c * c)) / n - cMean * cMean;
    const vm = ((base[3] as number) + (mn * mn - m * m)) / n - mMean * mMean;
    return vc > vm ? vc : vm;
  }

  /** The least load and the capacity range of these hosts: what imbalanceFloor bounds a search over them by. */
  destRange(dests: readonly number[]): DestRange {
    const r: DestRange = { cpuLoadMin: Infinity, memLoadMin: Infinity, cpuCapMin: Infinity, cpuCapMax: 0, memCapMin: Infinity, memCapMax: 0 };
    for (const h of dests) {
      r.cpuLoadMin = Math.min(r.cpuLoadMin, this.cpuLoad(h));
      r.memLoadMin = Math.min(r.memLoadMin, this.memLoad(h));
      r.cpuCapMin = Math.min(r.cpuCapMin, this.cpuCap[h] as number);
      r.cpuCapMax = Math.max(r.cpuCapMax, this.cpuCap[h] as number);
      r.memCapMin = Math.min(r.memCapMin, this.memCap[h] as number);
      r.memCapMax = Math.max(r.memCapMax, this.memCap[h] as number);
    }
    return r;
  }

  /**
   * A lower bound of imbalanceAdding(base, cpuEnt, memEnt, to) over every counted host `to` in the range (exact
   * in real arithmetic; callers leave a margin for rounding): the search skips a VM whose bound is already
   * worse than the best move found, without trying each destination.
   */
  imbalanceFloor(base: Float64Array, cpuEnt: number, memEnt: number, r: DestRange): number {
    const n = this.n;
    if (n <= 1 || !(r.cpuCapMax > 0)) return 0;
    const vc = varianceFloor(base[0] as number, base[1] as number, n, r.cpuLoadMin, cpuEnt / r.cpuCapMax, cpuEnt / r.cpuCapMin);
    const vm = varianceFloor(base[2] as number, base[3] as number, n, r.memLoadMin, memEnt / r.memCapMax, memEnt / r.memCapMin);
    return Math.sqrt(Math.max(0, vc, vm));
  }

  move(v: number, to: number): void {
    const from = this.at[v] as number;
    const vm = this.vms[v] as VmModel;
    if (from >= 0) {
      this.add(v, from, -1);
      this.freeMiB[from] = (this.freeMiB[from] as number) + vm.memSizeMiB;
    }
    this.add(v, to, 1);
    this.freeMiB[to] = (this.freeMiB[to] as number) - vm.memSizeMiB;
    this.at[v] = to;
    this.recount();
  }

  /** VM indices on host h. */
  vmsOn(h: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.at.length; i++) if (this.at[i] === h) out.push(i);
    return out;
  }

  /** Mean load of the counted hosts, per resource. */
  meanLoads(): { cpu: number; mem: number } {
    return this.n > 0 ? { cpu: (this.s1[0] as number) / this.n, mem: (this.s1[1] as number) / this.n } : { cpu: 0, mem: 0 };
  }
}

/**
 * Adding load b to a host at load x takes the variance from v0 (sums s1, s2 over n hosts) to
 * v0 + (b/n)·(2(x − μ) + b(1 − 1/n)), μ = s1/n: increasing in x, convex in b. Its least value over x ≥ xMin
 * and b within [bMin, bMax].
 */
function varianceFloor(s1: number, s2: number, n: number, xMin: number, bMin: number, bMax: number): number {
  const mu = s1 / n;
  const v0 = s2 / n - mu * mu;
  const d = xMin - mu;
  const k = 1 - 1 / n;
  const b = Math.min(bMax, Math.max(bMin, -d / k));
  return v0 + (b / n) * (2 * d + b * k);
}

export interface DestRange {
  cpuLoadMin: number;
  memLoadMin: number;
  cpuCapMin: number;
  cpuCapMax: number;
  memCapMin: number;
  memCapMax: number;
}

function std(s1: number, s2: number, n: number): number {
  if (n <= 1) return 0;
  const mean = s1 / n;
  return Math.sqrt(Math.max(0, s2 / n - mean * mean));
}
