import type { KernelSchedulerOptions } from './sim-cpu-placement.js';
import type { SimVm } from './sim-vm.js';
import type { Signal } from './sim-workload.js';

/** Public types of the simulated cluster (see sim-cluster.ts). */

export interface SimClusterOptions {
  /** Seed of every derived identity (UUIDs); default 1. */
  seed?: number;
  /** Length of one simulation cycle; advance() steps in cycles of at most this. Default 1000 ms. */
  cycleMs?: number;
  /** Guest wall clock at sim time 0 (balloon lastUpdateSec), seconds since epoch. Default 1_700_000_000. */
  epochSec?: number;
  /** How fast a balloon moves toward its target, KiB per simulated second. Default 256 MiB/s. */
  balloonRateKiBPerSec?: number;
  /** Migration transfer rate, KiB/s; duration = setup + balloon size / rate. Default 128 MiB/s. */
  migrationRateKiBPerSec?: number;
  /** Fixed part of a migration's duration, ms. Default 500. */
  migrationSetupMs?: number;
  /** Knobs of the kernel-like placement of unpinned vCPUs (sim-cpu-placement.ts); default KERNEL_SCHEDULER_DEFAULTS. */
  cpuScheduler?: Partial<KernelSchedulerOptions>;
}

/** libvirt's lifecycle event details (virDomainEvent*DetailType) the simulator emits. */
export const SIM_LIFECYCLE = {
  started: { booted: 0, migrated: 1 },
  suspended: { paused: 0, migrated: 1 },
  resumed: { unpaused: 0, migrated: 1 },
  stopped: { destroyed: 1, migrated: 3 },
  crashed: { panicked: 0 },
  undefined: { removed: 0 },
} as const;

export interface SimVmSnapshot {
  uuid: string;
  name: string;
  hostId: string;
  state: SimVm['state'];
  vcpus: number;
  maxKiB: number;
  currentKiB: number;
  targetKiB: number;
  usedKiB: number;
  swappedKiB: number;
  swapCapKiB: number;
  cacheKiB: number;
  kernelKiB: number;
  oomKills: number;
  deaths: number;
  majorFaults: number;
  swapInKiB: number;
  swapOutKiB: number;
  cpuTimeNs: number;
  vcpuTimeNs: number[];
  vcpuDemand: number[];
  vcpuPcpu: number[];
  statsPeriodSec: number;
  migrating: boolean;
}

export interface SimWorkload {
  cpu?: Signal | readonly Signal[];
  memory?: Signal;
  cache?: Signal;
}
