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
    return (this.cpuSum[h] as number) / (this.hosts[h] as HostModel).cpuCapacity;
  }

  memLoad(h: number): number {
    return (this.memSum[h] as number) / (this.hosts[h] as HostModel).memCapacityMiB;
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
    const from = this.at[v] as number;
    if (from === to) return this.imbalance();
    const vm = this.vms[v] as VmModel;
    let c1 = this.s1[0] as number;
    let c2 = this.s2[0] as number;
    let m1 = this.s1[1] as number;
    let m2 = this.s2[1] as number;
    if (from >= 0 && this.counted[from]) {
      const host = this.hosts[from] as HostModel;
      const c = this.cpuLoad(from);
      const cn = c - vm.cpuEnt / host.cpuCapacity;
      const m = this.memLoad(from);
      const mn = m - vm.memEnt / host.memCapacityMiB;
      c1 += cn - c;
      c2 += cn * cn - c * c;
      m1 += mn - m;
      m2 += mn * mn - m * m;
    }
    if (this.counted[to]) {
      const host = this.hosts[to] as HostModel;
      const c = this.cpuLoad(to);
      const cn = c + vm.cpuEnt / host.cpuCapacity;
      const m = this.memLoad(to);
      const mn = m + vm.memEnt / host.memCapacityMiB;
      c1 += cn - c;
      c2 += cn * cn - c * c;
      m1 += mn - m;
      m2 += mn * mn - m * m;
    }
    return Math.max(std(c1, c2, this.n), std(m1, m2, this.n));
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

function std(s1: number, s2: number, n: number): number {
  if (n <= 1) return 0;
  const mean = s1 / n;
  return Math.sqrt(Math.max(0, s2 / n - mean * mean));
}
