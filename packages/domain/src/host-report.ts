import type { VmState } from './model.js';

/** One collection cycle of one host: what the collector sends and the policy engine ingests. */
export interface HostReport {
  hostId: string;
  hostname: string;
  hostUuid: string;
  takenAtMs: number;
  collectMs: number;
  intervalMs: number;
  pcpuCount: number;
  memoryTotalKiB: number;
  memoryFreeKiB: number;
  pcpus: { pcpu: number; usagePercent: number }[];
  numaCells: { id: number; cpus: number[]; memoryKiB: number; freeKiB: number }[];
  vms: VmReport[];
  migrationUri?: string;
  migrationDataUri?: string;
}

export interface VmReport {
  uuid: string;
  name: string;
  state: VmState;
  cpuPercent: number;
  vcpus: { id: number; usagePercent: number; pcpus: number[]; currentPcpu?: number }[];
  balloon?: {
    actualKiB: number;
    maximumKiB: number;
    hasGuestStats: boolean;
    unusedKiB: number;
    availableKiB: number;
    usableKiB: number;
    majorFaults: number;
    swapInKiB: number;
    lastUpdateSec: number;
  };
}
