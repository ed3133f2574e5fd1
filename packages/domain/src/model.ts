/**
 * The pure model shared by every part of Ballast. No I/O here: these are plain data types.
 * Units are in the names: KiB for memory (libvirt's own unit), ns for cumulative CPU time.
 */

export type VmState = 'running' | 'blocked' | 'paused' | 'shutdown' | 'shutoff' | 'crashed' | 'pmsuspended' | 'nostate';

/** One NUMA cell of a host. */
export interface NumaCell {
  id: number;
  /** pCPU ids in this cell. */
  cpus: number[];
  memoryKiB: number;
  freeKiB: number;
}

export interface HostInfo {
  hostname: string;
  /** libvirt's host UUID (from capabilities), stable across restarts. */
  hostUuid: string;
  cpuModel: string;
  /** Number of online physical CPUs (pCPUs). */
  pcpus: number;
  cpuMhz: number;
  memoryKiB: number;
  numaCells: NumaCell[];
}

/** Cumulative CPU time of one pCPU since boot, in ns. */
export interface PcpuTimes {
  pcpu: number;
  userNs: number;
  systemNs: number;
  idleNs: number;
  iowaitNs: number;
}

export interface NodeMemory {
  totalKiB: number;
  freeKiB: number;
  /** Free + reclaimable (buffers, cache) when the driver reports them. */
  availableKiB?: number;
}

export interface VmRef {
  uuid: string;
  name: string;
  state: VmState;
}

export interface VcpuStats {
  id: number;
  /** Cumulative time this vCPU ran, ns. */
  timeNs: number;
  /**
   * Cumulative time it was runnable but waiting for a pCPU (the host scheduler's run queue), ns — libvirt's
   * vcpu.N.delay; absent where the driver does not report it.
   */
  delayNs?: number;
  /** pCPU it last ran on, when known. */
  pcpu?: number;
  online: boolean;
}

/** Balloon figures of a VM. Guest-reported values are absent until the guest driver reports. */
export interface BalloonStats {
  /** Current balloon size as libvirt sees it (what the guest has). */
  currentKiB: number;
  /** Maximum memory of the domain. */
  maximumKiB: number;
  /** Guest-reported fields (virtio-balloon stats); undefined when not reported. */
  unusedKiB?: number;
  availableKiB?: number;
  usableKiB?: number;
  diskCachesKiB?: number;
  majorFaults?: number;
  minorFaults?: number;
  swapInKiB?: number;
  swapOutKiB?: number;
  rssKiB?: number;
  /** Guest's timestamp of its last stats update, seconds since epoch. */
  lastUpdateSec?: number;
}

/** One VM's raw stats at one instant, as one bulk call returns them. */
export interface VmStats {
  uuid: string;
  name: string;
  state: VmState;
  /** Cumulative CPU time of the whole VM, ns. */
  cpuTimeNs?: number;
  vcpus: VcpuStats[];
  balloon?: BalloonStats;
  /** How fast the guest dirtied its memory at its last dirty-rate measurement, MiB/s (libvirt's dirtyrate group). */
  dirtyRateMiBPerSec?: number;
}

export interface CpuTune {
  shares: number;
  /** vcpu_quota in µs; -1 or 0 means unlimited. */
  quotaUs: number;
  periodUs: number;
  /**
   * Where the VM's emulator threads (QEMU's main loop and I/O threads, not its vCPUs) may run: pCPU ids,
   * ascending (libvirt's emulatorpin). Absent when the driver does not report it.
   */
  emulatorPcpus?: number[];
}

/** libvirt's numatune memory modes: how a VM's memory is bound to its nodeset. */
export type NumaMode = 'strict' | 'preferred' | 'interleave' | 'restrictive';

/** Where a VM's memory comes from (libvirt's <numatune><memory mode nodeset/>). */
export interface NumaTune {
  mode: NumaMode;
  /** NUMA cell ids, ascending; empty when the VM has no numatune (memory from any cell). */
  nodeset: number[];
}

/** KSM's run control (/sys/kernel/mm/ksm/run): stop ksmd (merged pages stay merged), run it, or stop and unmerge every page. */
export type KsmRun = 'stop' | 'run' | 'unmerge';

/** A host's KSM knobs. */
export interface KsmTunables {
  /** Absent when it cannot be read: libvirt does not expose it, and a remote host's sysfs is out of reach. */
  run?: KsmRun;
  /** Pages ksmd scans per wake-up. */
  pagesToScan: number;
  /** ksmd's sleep between wake-ups, ms. */
  sleepMillisecs: number;
  /** Whether pages of different NUMA cells may merge; absent on a kernel without the knob. */
  mergeAcrossNodes?: boolean;
}

/** KSM's counters: pages, and completed passes over all mergeable memory. */
export interface KsmCounters {
  /** Shared pages in use. */
  pagesShared: number;
  /** Sites sharing them (how much is saved). */
  pagesSharing: number;
  /** Unique pages repeatedly checked for merging. */
  pagesUnshared: number;
  /** Pages changing too fast to merge. */
  pagesVolatile: number;
  fullScans: number;
}

/** A host's KSM settings with its counters. */
export interface KsmSettings extends KsmTunables {
  counters: KsmCounters;
}

/** Hypervisor events the collector and actuator react to. */
export type HypervisorEvent =
  | { kind: 'lifecycle'; uuid: string; name: string; event: string; detail: number }
  | { kind: 'tunable'; uuid: string; name: string; params: Record<string, string | number | boolean> }
  | { kind: 'balloon-change'; uuid: string; name: string; actualKiB: number }
  /** The domain's <metadata> (or title, description) changed; `nsUri` names the element's namespace. */
  | { kind: 'metadata-change'; uuid: string; name: string; nsUri?: string }
  | { kind: 'connection-lost'; reason: string };
