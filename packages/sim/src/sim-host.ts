/**
 * One simulated host: pCPUs, NUMA cells, memory, the VMs it runs and its cumulative pCPU times.
 * Host memory accounting: free = total − overhead − Σ balloon sizes of the VMs that hold memory.
 */
import type { HostInfo, NumaCell, PcpuTimes } from '@ballast/domain';
import { ErrorCode } from '@ballast/libvirt';
import { CpuScratch } from './sim-cpu.js';
import { KERNEL_SCHEDULER_DEFAULTS, type KernelSchedulerOptions } from './sim-cpu-placement.js';
import { hashString, mulberry32 } from './sim-random.js';
import { simError } from './sim-error.js';
import type { SimVm } from './sim-vm.js';
import { gib, mib } from './sim-workload.js';

export interface SimNumaCellSpec {
  cpus: readonly number[];
  memoryKiB: number;
}

export interface SimHostSpec {
  /** Id used in the URI sim://<id>: letters, digits, '.', '_', '-'. */
  id: string;
  /** Default: the id. */
  hostname?: string;
  /** Default: derived from (cluster seed, id). */
  uuid?: string;
  /** Number of pCPUs when numaCells is not given; default 8. */
  pcpus?: number;
  /** Total memory when numaCells is not given; default 16 GiB. */
  memoryKiB?: number;
  /** Split pcpus and memoryKiB into this many equal cells (contiguous pCPU ids); default 1. */
  numaNodes?: number;
  /** Explicit cells; their cpus must be exactly 0..n−1 between them. Overrides the three above. */
  numaCells?: readonly SimNumaCellSpec[];
  cpuMhz?: number;
  cpuModel?: string;
  /** Memory the host keeps for itself, KiB; default 512 MiB. */
  overheadKiB?: number;
}

export class SimHost {
  readonly id: string;
  readonly hostname: string;
  readonly hostUuid: string;
  readonly pcpus: number;
  readonly memoryKiB: number;
  readonly overheadKiB: number;
  readonly cpuMhz: number;
  readonly cpuModel: string;
  readonly cells: readonly { id: number; cpus: number[]; memoryKiB: number }[];
  /** NUMA cell of each pCPU. */
  readonly cellOfPcpu: Int32Array;

  readonly vms = new Map<string, SimVm>();
  /** VMs in placement order (iteration order of every report). */
  vmList: SimVm[] = [];
  /** Memory reserved for incoming migrations, KiB. */
  incomingKiB = 0;

  readonly pcpuUserNs: Float64Array;
  readonly pcpuIdleNs: Float64Array;
  readonly cpuScratch: CpuScratch;
  /** The scheduler's PRNG, seeded from (cluster seed, host id). */
  readonly cpuRandom: () => number;
  readonly scheduler: Readonly<KernelSchedulerOptions>;

  /** `cpu`: the cluster's seed and the kernel-like scheduler's knobs (sim-cpu-placement.ts). */
  constructor(spec: SimHostSpec, uuid: string, cpu: { seed: number; scheduler?: Partial<KernelSchedulerOptions> } = { seed: 1 }) {
    if (!/^[A-Za-z0-9._-]+$/.test(spec.id)) throw simError(ErrorCode.INVALID_ARG, `invalid host id '${spec.id}'`);
    this.id = spec.id;
    this.hostname = spec.hostname ?? spec.id;
    this.hostUuid = uuid;
    this.cells = buildCells(spec);
    this.pcpus = this.cells.reduce((n, c) => n + c.cpus.length, 0);
    this.memoryKiB = this.cells.reduce((n, c) => n + c.memoryKiB, 0);
    this.overheadKiB = spec.overheadKiB ?? mib(512);
    if (this.overheadKiB < 0 || this.overheadKiB >= this.memoryKiB) {
      throw simError(ErrorCode.INVALID_ARG, 'overheadKiB must be in [0, memoryKiB)');
    }
    this.cpuMhz = spec.cpuMhz ?? 2400;
    this.cpuModel = spec.cpuModel ?? 'sim-x86_64';
    this.cellOfPcpu = new Int32Array(this.pcpus);
    for (const c of this.cells) for (const p of c.cpus) this.cellOfPcpu[p] = c.id;
    this.pcpuUserNs = new Float64Array(this.pcpus);
    this.pcpuIdleNs = new Float64Array(this.pcpus);
    this.cpuScratch = new CpuScratch(this.pcpus);
    this.cpuRandom = mulberry32(hashString(`${cpu.seed >>> 0}:cpu:${spec.id}`));
    this.scheduler = { ...KERNEL_SCHEDULER_DEFAULTS, ...cpu.scheduler };
  }

  /** Σ balloon sizes of VMs that hold memory, KiB. */
  usedKiB(): number {
    let used = 0;
    for (const vm of this.vmList) if (vm.holdsMemory) used += vm.currentKiB;
    return used;
  }

  freeKiB(): number {
    return Math.max(0, this.memoryKiB - this.overheadKiB - this.usedKiB());
  }

  /** Memory VMs may come to hold (balloon targets, incoming migrations) — what admission checks use. */
  committedKiB(): number {
    let c = this.incomingKiB;
    for (const vm of this.vmList) c += vm.committedKiB;
    return c;
  }

  /** Room for `extraKiB` more committed memory? */
  fits(extraKiB: number): boolean {
    return this.committedKiB() + extraKiB <= this.memoryKiB - this.overheadKiB;
  }

  add(vm: SimVm): void {
    this.vms.set(vm.uuid, vm);
    this.vmList.push(vm);
    vm.hostId = this.id;
    this.cpuScratch.dirty = true;
  }

  remove(vm: SimVm): void {
    this.vms.delete(vm.uuid);
    this.vmList = this.vmList.filter((v) => v !== vm);
    this.cpuScratch.dirty = true;
  }

  info(): HostInfo {
    return {
      hostname: this.hostname,
      hostUuid: this.hostUuid,
      cpuModel: this.cpuModel,
      pcpus: this.pcpus,
      cpuMhz: this.cpuMhz,
      memoryKiB: this.memoryKiB,
      numaCells: this.numaCells(),
    };
  }

  /**
   * Free memory per cell. A VM's memory is spread over the cells of the pCPUs its vCPUs may run on, in
   * proportion to those cells' sizes; the host overhead over all cells likewise.
   */
  numaCells(): NumaCell[] {
    const used = this.cells.map((c) => (this.overheadKiB * c.memoryKiB) / this.memoryKiB);
    const inSet = new Uint8Array(this.cells.length);
    for (const vm of this.vmList) {
      if (!vm.holdsMemory) continue;
      inSet.fill(0);
      for (const set of vm.pinning) for (const p of set) inSet[this.cellOfPcpu[p] as number] = 1;
      let size = 0;
      for (const c of this.cells) if (inSet[c.id]) size += c.memoryKiB;
      for (const c of this.cells) {
        if (inSet[c.id]) used[c.id] = (used[c.id] as number) + (vm.currentKiB * c.memoryKiB) / size;
      }
    }
    return this.cells.map((c) => ({
      id: c.id,
      cpus: [...c.cpus],
      memoryKiB: c.memoryKiB,
      freeKiB: Math.max(0, Math.round(c.memoryKiB - (used[c.id] as number))),
    }));
  }

  cpuTimes(): PcpuTimes[] {
    const out: PcpuTimes[] = [];
    for (let p = 0; p < this.pcpus; p++) {
      out.push({
        pcpu: p,
        userNs: Math.round(this.pcpuUserNs[p] as number),
        systemNs: 0,
        idleNs: Math.round(this.pcpuIdleNs[p] as number),
        iowaitNs: 0,
      });
    }
    return out;
  }
}

function buildCells(spec: SimHostSpec): { id: number; cpus: number[]; memoryKiB: number }[] {
  if (spec.numaCells) {
    if (spec.numaCells.length === 0) throw simError(ErrorCode.INVALID_ARG, 'numaCells must not be empty');
    const cells = spec.numaCells.map((c, id) => ({ id, cpus: [...c.cpus].sort((a, b) => a - b), memoryKiB: c.memoryKiB }));
    const all = cells.flatMap((c) => c.cpus).sort((a, b) => a - b);
    if (all.some((p, i) => p !== i)) throw simError(ErrorCode.INVALID_ARG, 'numaCells cpus must be exactly 0..n-1');
    if (cells.some((c) => !(c.memoryKiB > 0))) throw simError(ErrorCode.INVALID_ARG, 'cell memoryKiB must be > 0');
    return cells;
  }
  const pcpus = spec.pcpus ?? 8;
  const memoryKiB = spec.memoryKiB ?? gib(16);
  const nodes = spec.numaNodes ?? 1;
  if (!Number.isInteger(pcpus) || pcpus < 1) throw simError(ErrorCode.INVALID_ARG, 'pcpus must be an integer ≥ 1');
  if (!(memoryKiB > 0)) throw simError(ErrorCode.INVALID_ARG, 'memoryKiB must be > 0');
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > pcpus) {
    throw simError(ErrorCode.INVALID_ARG, 'numaNodes must be an integer in [1, pcpus]');
  }
  const cells: { id: number; cpus: number[]; memoryKiB: number }[] = [];
  let memLeft = memoryKiB;
  for (let id = 0; id < nodes; id++) {
    const from = Math.floor((id * pcpus) / nodes);
    const to = Math.floor(((id + 1) * pcpus) / nodes);
    const mem = id === nodes - 1 ? memLeft : Math.floor(memoryKiB / nodes);
    memLeft -= mem;
    cells.push({ id, cpus: Array.from({ length: to - from }, (_, i) => from + i), memoryKiB: mem });
  }
  return cells;
}
