/**
 * The CPU model of one simulated host, advanced one cycle at a time.
 *
 * 1. Demand: each vCPU of a running VM wants d ∈ [0, 1] of a pCPU (its script), capped by the VM's
 *    vcpu_quota/vcpu_period (a per-vCPU cap, as libvirt applies vcpu_quota to each vCPU's cgroup).
 * 2. Placement: each busy vCPU runs on one pCPU of its affinity set, by a kernel-like model (pinned vCPUs
 *    where pinned; the others stay on the pCPU they ran on, wake up where it is idle, are sometimes
 *    scattered by a wake-up, and are migrated by a periodic balancer when the imbalance is large):
 *    sim-cpu-placement.ts. Loads only grow while placing, so the pCPUs sit in a min-heap and a vCPU
 *    allowed everywhere finds the least loaded pCPU in O(log pCPUs).
 * 3. Sharing: on a pCPU whose placed demand exceeds 1, the pCPU is split by weighted max-min fairness
 *    (water-filling). A vCPU's weight is its VM's cpu_shares × its share of the VM's demand, which
 *    approximates CFS group scheduling (shares belong to the VM's cgroup, not to each vCPU).
 * Served time goes to vCPU time (VM cpu time is their sum) and the pCPU's user time; the rest of the
 * pCPU is idle. Per pCPU, served ≤ 100 % by construction.
 *
 * Demand signals are re-evaluated only when their holdUntil hint (sim-workload.ts) has expired; the
 * clock only moves forward, so a cached value stays right until then.
 *
 * For speed, the per-vCPU state of all VMs of a host lives in host-wide typed arrays (VcpuTable); each
 * VM's vcpuTimeNs / vcpuPcpu / vcpuDemand are views into them. The table is rebuilt when the host's VMs
 * or their pinning or workloads change (CpuScratch.dirty).
 */
import { placeKernelLike, type KernelSchedulerOptions } from './sim-cpu-placement.js';
import type { SimVm } from './sim-vm.js';
import { holdUntil, type Signal } from './sim-workload.js';

const EPS = 1e-12;
/** Safety margin taken off a signal's holdUntil hint, ms. */
export const HOLD_MARGIN_MS = 1e-6;

/** Reusable per-host buffers, so a cycle allocates nothing in the common case. */
export class CpuScratch {
  /** Set when VMs are added/removed or repinned: the vCPU table must be rebuilt. */
  dirty = true;

  // vCPU table: one slot per vCPU of every VM on the host, VM by VM
  slots = 0;
  slotVm: SimVm[] = [];
  slotAffinity: number[][] = [];
  slotAffinityLen = new Int32Array(0);
  slotFull = new Uint8Array(0);
  timeNs = new Float64Array(0);
  waitNs = new Float64Array(0);
  pcpuOf = new Int32Array(0);
  demandOf = new Float64Array(0);
  /** Last evaluated demand of each slot's signal, and until when it holds (see Signal.holdUntil). */
  sigValue = new Float64Array(0);
  sigUntil = new Float64Array(0);
  /** 1 when the slot's vCPU ran in the previous cycle (its demand then was > 0). */
  wasBusy = new Uint8Array(0);
  /** Simulated time of the next load-balancing pass (sim-cpu-placement.ts). */
  nextBalanceMs = 0;

  // entities of one cycle (busy vCPUs)
  slot = new Int32Array(64);
  weight = new Float64Array(64);
  placed = new Int32Array(64);
  /** 1 when the entity is placed by wake-up placement this cycle. */
  waking = new Uint8Array(64);
  served = new Float64Array(64);
  keys = new Float64Array(64);
  ratio = new Float64Array(64);
  contended: number[] = [];

  load: Float64Array;
  busy: Float64Array;
  /** Min-heap of pCPU ids by (placed load, id), and each pCPU's index in it. */
  heap: Int32Array;
  heapPos: Int32Array;

  constructor(pcpus: number) {
    this.load = new Float64Array(pcpus);
    this.busy = new Float64Array(pcpus);
    this.heap = new Int32Array(pcpus);
    this.heapPos = new Int32Array(pcpus);
  }

  ensure(n: number): void {
    if (n <= this.slot.length) return;
    const size = Math.max(n, this.slot.length * 2);
    this.slot = new Int32Array(size);
    this.weight = new Float64Array(size);
    this.placed = new Int32Array(size);
    this.waking = new Uint8Array(size);
    this.served = new Float64Array(size);
    this.keys = new Float64Array(size);
  }

  /** Lays out every VM's vCPU state in host-wide arrays, keeping the values, and re-points the VMs' views. */
  rebuild(vms: readonly SimVm[], pcpus: number): void {
    let n = 0;
    for (const vm of vms) n += vm.vcpus;
    const timeNs = new Float64Array(n);
    const waitNs = new Float64Array(n);
    const pcpuOf = new Int32Array(n);
    const demandOf = new Float64Array(n);
    this.slotVm = new Array<SimVm>(n);
    this.slotAffinity = new Array<number[]>(n);
    this.slotAffinityLen = new Int32Array(n);
    this.slotFull = new Uint8Array(n);
    this.sigValue = new Float64Array(n);
    this.sigUntil = new Float64Array(n).fill(-Infinity);
    this.wasBusy = new Uint8Array(n);
    let off = 0;
    for (const vm of vms) {
      timeNs.set(vm.vcpuTimeNs, off);
      waitNs.set(vm.vcpuWaitNs, off);
      pcpuOf.set(vm.vcpuPcpu, off);
      demandOf.set(vm.vcpuDemand, off);
      vm.vcpuTimeNs = timeNs.subarray(off, off + vm.vcpus);
      vm.vcpuWaitNs = waitNs.subarray(off, off + vm.vcpus);
      vm.vcpuPcpu = pcpuOf.subarray(off, off + vm.vcpus);
      vm.vcpuDemand = demandOf.subarray(off, off + vm.vcpus);
      for (let v = 0; v < vm.vcpus; v++) {
        const set = vm.pinning[v] as number[];
        this.slotVm[off + v] = vm;
        this.slotAffinity[off + v] = set;
        this.slotAffinityLen[off + v] = Math.min(4095, set.length);
        this.slotFull[off + v] = set.length === pcpus ? 1 : 0;
      }
      off += vm.vcpus;
    }
    this.slots = n;
    this.timeNs = timeNs;
    this.waitNs = waitNs;
    this.pcpuOf = pcpuOf;
    this.demandOf = demandOf;
    this.ensure(n);
    this.dirty = false;
  }
}

export interface CpuHostState {
  readonly pcpus: number;
  readonly vmList: readonly SimVm[];
  readonly pcpuUserNs: Float64Array;
  readonly pcpuIdleNs: Float64Array;
  readonly cpuScratch: CpuScratch;
  /** NUMA cell of each pCPU. */
  readonly cellOfPcpu: Int32Array;
  /** The host's seeded PRNG for the scheduler's random choices. */
  readonly cpuRandom: () => number;
  readonly scheduler: Readonly<KernelSchedulerOptions>;
}

/** Advances the CPU accounting of one host over [tMs, tMs + dtMs); demand is sampled at tMs. */
export function stepHostCpu(host: CpuHostState, tMs: number, dtMs: number): void {
  const s = host.cpuScratch;
  if (s.dirty) s.rebuild(host.vmList, host.pcpus);
  const n = sampleDemand(host, s, tMs);
  s.load.fill(0);
  s.busy.fill(0);
  placeKernelLike(host, s, n, tMs);
  shareAndAccount(host, s, n, dtMs * 1e6);
}

/** 1. Demand: each running vCPU's demand at tMs (capped by its quota) and its weight (shares per demand); returns how many want CPU. */
function sampleDemand(host: CpuHostState, s: CpuScratch, tMs: number): number {
  const demandOf = s.demandOf;
  const sigValue = s.sigValue;
  const sigUntil = s.sigUntil;
  let n = 0;
  let off = 0;
  for (const vm of host.vmList) {
    const base = off;
    off += vm.vcpus;
    if (vm.state !== 'running' || (vm.migrating !== undefined && !vm.migrating.live)) continue;
    const cap = vm.quotaUs > 0 ? Math.min(1, vm.quotaUs / vm.periodUs) : 1;
    const signals = vm.cpuSignals;
    let total = 0;
    for (let v = 0; v < vm.vcpus; v++) {
      let d: number;
      if (tMs < (sigUntil[base + v] as number)) {
        d = sigValue[base + v] as number;
      } else {
        const sig = signals[v] as Signal;
        d = sig(tMs);
        sigValue[base + v] = d;
        sigUntil[base + v] = holdUntil(sig, tMs) - HOLD_MARGIN_MS;
      }
      d = d > 0 ? (d < 1 ? d : 1) : 0;
      if (d > cap) d = cap;
      s.wasBusy[base + v] = (demandOf[base + v] as number) > 0 ? 1 : 0;
      demandOf[base + v] = d;
      total += d;
    }
    if (total <= 0) continue;
    const perDemand = vm.shares / total;
    for (let v = 0; v < vm.vcpus; v++) {
      const d = demandOf[base + v] as number;
      if (d <= 0) continue;
      s.slot[n] = base + v;
      s.weight[n] = perDemand * d;
      n++;
    }
  }
  return n;
}

/** 3. Sharing: uncontended pCPUs serve all demand, contended ones are water-filled; then CPU time is accounted. */
function shareAndAccount(host: CpuHostState, s: CpuScratch, n: number, dtNs: number): void {
  const load = s.load;
  const busy = s.busy;
  const contended = s.contended;
  contended.length = 0;
  for (let i = 0; i < n; i++) {
    if ((load[s.placed[i] as number] as number) > 1 + EPS) contended.push(i);
    else s.served[i] = s.demandOf[s.slot[i] as number] as number;
  }
  if (contended.length > 0) waterFill(s, contended);
  const timeNs = s.timeNs;
  const waitNs = s.waitNs;
  for (let i = 0; i < n; i++) {
    const served = s.served[i] as number;
    const t = s.slot[i] as number;
    timeNs[t] = (timeNs[t] as number) + served * dtNs;
    // runnable but not served: the run-queue wait libvirt reports as vcpu.N.delay
    waitNs[t] = (waitNs[t] as number) + Math.max(0, (s.demandOf[t] as number) - served) * dtNs;
    const p = s.placed[i] as number;
    busy[p] = (busy[p] as number) + served;
  }
  const user = host.pcpuUserNs;
  const idle = host.pcpuIdleNs;
  for (let p = 0; p < host.pcpus; p++) {
    const b = Math.min(1, busy[p] as number);
    user[p] = (user[p] as number) + b * dtNs;
    idle[p] = (idle[p] as number) + (1 - b) * dtNs;
  }
}

/**
 * Weighted max-min fair split of each contended pCPU among the vCPUs placed on it. `idx` lists the
 * entities on contended pCPUs; it is ordered by (pCPU, demand/weight, index) and then filled group by group.
 */
function waterFill(s: CpuScratch, idx: number[]): void {
  const n = idx.length;
  const ratio = s.ratio.length >= s.served.length ? s.ratio : (s.ratio = new Float64Array(s.served.length));
  for (const i of idx) ratio[i] = (s.demandOf[s.slot[i] as number] as number) / (s.weight[i] as number);
  const before = (a: number, b: number): boolean => {
    const pa = s.placed[a] as number;
    const pb = s.placed[b] as number;
    if (pa !== pb) return pa < pb;
    const ra = ratio[a] as number;
    const rb = ratio[b] as number;
    return ra !== rb ? ra < rb : a < b;
  };
  if (n <= 32) {
    for (let k = 1; k < n; k++) {
      const x = idx[k] as number;
      let j = k - 1;
      while (j >= 0 && before(x, idx[j] as number)) {
        idx[j + 1] = idx[j] as number;
        j--;
      }
      idx[j + 1] = x;
    }
  } else {
    idx.sort((a, b) => (a === b ? 0 : before(a, b) ? -1 : 1));
  }
  let g = 0;
  while (g < n) {
    const p = s.placed[idx[g] as number];
    let end = g;
    let weight = 0;
    while (end < n && s.placed[idx[end] as number] === p) weight += s.weight[idx[end++] as number] as number;
    let remaining = 1;
    let k = g;
    for (; k < end; k++) {
      const i = idx[k] as number;
      const w = s.weight[i] as number;
      const d = s.demandOf[s.slot[i] as number] as number;
      if (d > (remaining * w) / weight) break;
      s.served[i] = d;
      remaining -= d;
      weight -= w;
    }
    for (let j = k; j < end; j++) {
      const i = idx[j] as number;
      s.served[i] = (remaining * (s.weight[i] as number)) / weight;
    }
    g = end;
  }
}
