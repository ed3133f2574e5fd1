/**
 * One simulated VM: its configuration, its workload scripts and its mutable state. The CPU and memory
 * models (sim-cpu.ts, sim-memory.ts) advance it; SimCluster owns it. Read it, don't mutate it from outside.
 */
import { formatCpuList, type VmConfig, type VmState } from '@ballast/domain';
import { ErrorCode } from '@ballast/libvirt';
import { simError } from './sim-error.js';
import { constant, mib, type Signal } from './sim-workload.js';

/** libvirt's cpulist format ("0-3,6"); lives in the domain, re-exported here for the simulator's users. */
export { formatCpuList };

export interface SimVmSpec {
  name: string;
  /** Default: derived from (cluster seed, name). */
  uuid?: string;
  vcpus: number;
  maxMemoryKiB: number;
  /** Balloon size at start (libvirt currentMemory); default maxMemoryKiB. */
  memoryKiB?: number;
  /** Busy fraction (0..1) of each vCPU over time: one signal for all vCPUs or one per vCPU. Default 0. */
  cpu?: Signal | readonly Signal[];
  /** Guest used memory (KiB) over time, excluding the guest kernel. Default constant(baseMemoryKiB). */
  memory?: Signal;
  /** Page cache the guest would like to keep (KiB, reclaimable, never swaps). Default 0. */
  cache?: Signal;
  /** Used memory left after the OOM killer kills the consumer, KiB. Default 64 MiB. */
  baseMemoryKiB?: number;
  /** Guest kernel + firmware overhead, KiB: available = current − kernel. Default 32 MiB. */
  kernelKiB?: number;
  /** zram-like swap capacity, KiB. Default maxMemoryKiB / 8. */
  swapKiB?: number;
  /** Fraction of swapped pages the guest touches per second (drives swap-in, major faults). Default 0.05. */
  swapTouchPerSec?: number;
  /**
   * The consumer's memory is tmpfs-like: the OOM killer kills the writer but frees nothing, so demand
   * beyond RAM + swap panics the guest ("System is deadlocked on memory") instead. Default false.
   */
  tmpfs?: boolean;
  /** cpu_shares, default 1024. */
  shares?: number;
  /** vcpu_quota µs, default -1 (unlimited). */
  quotaUs?: number;
  /** vcpu_period µs, default 100000. */
  periodUs?: number;
  /** vCPU → pCPU affinity; default every vCPU on every pCPU. */
  pinning?: readonly (readonly number[])[];
  /** Balloon stats period from the domain XML (<stats period=…/>), seconds; default 0 (none). */
  memStatsPeriodSec?: number;
  /** Start running (default) or defined but shut off. */
  autostart?: boolean;
  /** What its domain XML would say (labels, memory backing, passthrough, balloon model); default a plain virtio-balloon guest. */
  config?: Partial<VmConfig>;
}

/** Guest-reported balloon figures, as of the guest's last stats update. */
export interface GuestMemSnapshot {
  unusedKiB: number;
  availableKiB: number;
  usableKiB: number;
  diskCachesKiB: number;
  majorFaults: number;
  minorFaults: number;
  swapInKiB: number;
  swapOutKiB: number;
  lastUpdateSec: number;
}

export const VM_DEFAULTS = {
  baseMemoryKiB: mib(64),
  kernelKiB: mib(32),
  swapFraction: 1 / 8,
  swapTouchPerSec: 0.05,
  shares: 1024,
  quotaUs: -1,
  periodUs: 100_000,
} as const;

export class SimVm {
  readonly uuid: string;
  readonly name: string;
  /** Its domain configuration as vmConfig() reports it. */
  config: VmConfig;
  readonly vcpus: number;
  readonly maxKiB: number;
  /** Balloon size the domain starts with (its persistent currentMemory). */
  readonly initialKiB: number;
  readonly baseKiB: number;
  readonly kernelKiB: number;
  readonly swapCapKiB: number;
  readonly swapTouchPerSec: number;
  readonly configStatsPeriodSec: number;
  readonly tmpfs: boolean;

  hostId: string;
  state: VmState;

  cpuSignals: Signal[];
  memSignal: Signal;
  cacheSignal: Signal | undefined;
  /** Last value of memSignal and until when it holds (see Signal.holdUntil); reset when memSignal changes. */
  memHoldValue = 0;
  memHoldUntil = -Infinity;

  // memory state (KiB)
  currentKiB: number;
  targetKiB: number;
  usedKiB = 0;
  swappedKiB = 0;
  cacheKiB = 0;
  /** Memory the OOM killer freed that the script still counts (see sim-memory.ts). */
  oomOffsetKiB = 0;

  // guest counters (cumulative, fractional accumulators; reported floored)
  majorFaults = 0;
  minorFaults = 0;
  swapInKiB = 0;
  swapOutKiB = 0;
  oomKills = 0;
  deaths = 0;

  // cpu
  shares: number;
  quotaUs: number;
  periodUs: number;
  /** Where its emulator threads may run (sorted pCPU ids); undefined: every pCPU of the host (not modelled as load). */
  emulatorPcpus: number[] | undefined;
  /** Sorted, de-duplicated pCPU ids per vCPU. */
  pinning: number[][];
  /** Cumulative run time of each vCPU, ns. (Views into the host's vCPU table once placed, see sim-cpu.ts.) */
  vcpuTimeNs: Float64Array;
  /** Cumulative time each vCPU waited, runnable, for a pCPU, ns (libvirt's vcpu.N.delay). Views like vcpuTimeNs. */
  vcpuWaitNs: Float64Array;
  /** pCPU each vCPU last ran on. */
  vcpuPcpu: Int32Array;
  /** Demand (after quota cap) of each vCPU in the last cycle. */
  vcpuDemand: Float64Array;

  // balloon stats
  statsPeriodSec: number;
  nextStatsAtMs = 0;
  guest: GuestMemSnapshot | undefined;

  /** Set while a migration job runs. */
  migrating: { destHostId: string; startedAtMs: number; doneAtMs: number; reservedKiB: number; live: boolean } | undefined;

  constructor(spec: SimVmSpec, uuid: string, hostId: string, hostPcpus: number) {
    if (!/^[A-Za-z0-9._-]+$/.test(spec.name)) throw simError(ErrorCode.INVALID_ARG, `invalid VM name '${spec.name}'`);
    if (!Number.isInteger(spec.vcpus) || spec.vcpus < 1) throw simError(ErrorCode.INVALID_ARG, 'vcpus must be an integer ≥ 1');
    if (!(spec.maxMemoryKiB > 0)) throw simError(ErrorCode.INVALID_ARG, 'maxMemoryKiB must be > 0');
    const initial = spec.memoryKiB ?? spec.maxMemoryKiB;
    if (!(initial > 0) || initial > spec.maxMemoryKiB) {
      throw simError(ErrorCode.INVALID_ARG, 'memoryKiB must be in (0, maxMemoryKiB]');
    }
    this.uuid = uuid;
    this.name = spec.name;
    this.config = { labels: {}, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: [], ...spec.config };
    this.vcpus = spec.vcpus;
    this.maxKiB = spec.maxMemoryKiB;
    this.initialKiB = initial;
    this.baseKiB = spec.baseMemoryKiB ?? VM_DEFAULTS.baseMemoryKiB;
    this.kernelKiB = spec.kernelKiB ?? VM_DEFAULTS.kernelKiB;
    this.swapCapKiB = spec.swapKiB ?? Math.floor(spec.maxMemoryKiB * VM_DEFAULTS.swapFraction);
    this.swapTouchPerSec = spec.swapTouchPerSec ?? VM_DEFAULTS.swapTouchPerSec;
    this.configStatsPeriodSec = spec.memStatsPeriodSec ?? 0;
    this.tmpfs = spec.tmpfs ?? false;
    this.hostId = hostId;
    this.state = 'shutoff';
    this.cpuSignals = expandCpu(spec.cpu, spec.vcpus);
    this.memSignal = spec.memory ?? constant(this.baseKiB);
    this.cacheSignal = spec.cache;
    this.currentKiB = initial;
    this.targetKiB = initial;
    const tune = validateTune({
      shares: spec.shares ?? VM_DEFAULTS.shares,
      quotaUs: spec.quotaUs ?? VM_DEFAULTS.quotaUs,
      periodUs: spec.periodUs ?? VM_DEFAULTS.periodUs,
    });
    this.shares = tune.shares;
    this.quotaUs = tune.quotaUs;
    this.periodUs = tune.periodUs;
    this.emulatorPcpus = undefined;
    this.pinning = [];
    for (let v = 0; v < spec.vcpus; v++) {
      const p = spec.pinning?.[v];
      this.pinning.push(p ? normalizeCpuSet(p, hostPcpus) : allCpus(hostPcpus));
    }
    this.vcpuTimeNs = new Float64Array(spec.vcpus);
    this.vcpuWaitNs = new Float64Array(spec.vcpus);
    this.vcpuDemand = new Float64Array(spec.vcpus);
    this.vcpuPcpu = new Int32Array(spec.vcpus);
    for (let v = 0; v < spec.vcpus; v++) {
      const set = this.pinning[v] ?? [];
      this.vcpuPcpu[v] = set[v % set.length] ?? 0;
    }
    this.statsPeriodSec = 0;
    this.guest = undefined;
    this.migrating = undefined;
  }

  /** Cumulative CPU time of the VM: the sum of its vCPUs' times, ns. */
  get cpuTimeNs(): number {
    let t = 0;
    for (let v = 0; v < this.vcpus; v++) t += this.vcpuTimeNs[v] as number;
    return t;
  }

  /** True when the VM holds host memory (its QEMU process exists). */
  get holdsMemory(): boolean {
    return this.state !== 'shutoff' && this.state !== 'nostate';
  }

  /** Host memory this VM may come to hold: the larger of its balloon size and its balloon target. */
  get committedKiB(): number {
    return this.holdsMemory ? Math.max(this.currentKiB, this.targetKiB) : 0;
  }

  /** Sets the pinning of one vCPU; if its last pCPU is no longer allowed, moves it to the first allowed. */
  pin(vcpu: number, pcpus: number[]): void {
    this.pinning[vcpu] = pcpus;
    if (!pcpus.includes(this.vcpuPcpu[vcpu] ?? -1)) this.vcpuPcpu[vcpu] = pcpus[0] ?? 0;
  }
}

function expandCpu(cpu: Signal | readonly Signal[] | undefined, vcpus: number): Signal[] {
  if (cpu === undefined) return Array.from({ length: vcpus }, () => constant(0));
  if (typeof cpu === 'function') return Array.from({ length: vcpus }, () => cpu);
  if (cpu.length !== vcpus) throw simError(ErrorCode.INVALID_ARG, `cpu: expected ${vcpus} signals, got ${cpu.length}`);
  return [...cpu];
}

/** libvirt's answer to a live change of a VM that is not running (or is migrating). */
export function requireActive(vm: SimVm): void {
  if (vm.state !== 'running' && vm.state !== 'paused') {
    throw simError(ErrorCode.OPERATION_INVALID, `Requested operation is not valid: domain '${vm.name}' is not running`);
  }
  if (vm.migrating) throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' has an active job: migration`);
}

export function allCpus(pcpus: number): number[] {
  return Array.from({ length: pcpus }, (_, i) => i);
}

/** Validates a pCPU set against the host and returns it sorted and de-duplicated. */
export function normalizeCpuSet(pcpus: readonly number[], hostPcpus: number): number[] {
  if (pcpus.length === 0) throw simError(ErrorCode.INVALID_ARG, 'empty cpumap: a vCPU needs at least one pCPU');
  for (const p of pcpus) {
    if (!Number.isInteger(p) || p < 0 || p >= hostPcpus) {
      throw simError(ErrorCode.INVALID_ARG, `invalid pCPU ${p}: host has pCPUs 0-${hostPcpus - 1}`);
    }
  }
  return [...new Set(pcpus)].sort((a, b) => a - b);
}

/** libvirt's ranges: shares 2..262144, period 1000..1000000 µs, quota ≤ 0 (unlimited) or ≥ 1000 µs. */
export function validateTune(t: { shares: number; quotaUs: number; periodUs: number }): {
  shares: number;
  quotaUs: number;
  periodUs: number;
} {
  if (!Number.isInteger(t.shares) || t.shares < 2 || t.shares > 262144) {
    throw simError(ErrorCode.INVALID_ARG, `cpu_shares ${t.shares} out of range [2, 262144]`);
  }
  if (!Number.isInteger(t.periodUs) || t.periodUs < 1000 || t.periodUs > 1_000_000) {
    throw simError(ErrorCode.INVALID_ARG, `vcpu_period ${t.periodUs} out of range [1000, 1000000]`);
  }
  if (!Number.isInteger(t.quotaUs) || (t.quotaUs > 0 && t.quotaUs < 1000)) {
    throw simError(ErrorCode.INVALID_ARG, `vcpu_quota ${t.quotaUs} out of range: -1, 0 or ≥ 1000`);
  }
  return t;
}
