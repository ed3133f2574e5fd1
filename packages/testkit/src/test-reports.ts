import type { HostReport, VmReport } from '@ballast/domain';

/** Builders of HostReports for the engine's tests. */
export function vmReport(name: string, over: Partial<VmReport> = {}): VmReport {
  return {
    uuid: `uuid-${name}`,
    name,
    state: 'running',
    cpuPercent: 10,
    vcpus: [{ id: 0, usagePercent: 10, pcpus: [0, 1] }],
    balloon: {
      actualKiB: 512 * 1024,
      maximumKiB: 2048 * 1024,
      hasGuestStats: true,
      unusedKiB: 300 * 1024,
      availableKiB: 480 * 1024,
      usableKiB: 350 * 1024,
      majorFaults: 0,
      swapInKiB: 0,
      lastUpdateSec: 1000,
    },
    ...over,
  };
}

export function hostReport(hostId: string, vms: VmReport[], over: Partial<HostReport> = {}): HostReport {
  return {
    hostId,
    hostname: `${hostId}.example`,
    hostUuid: `host-uuid-${hostId}`,
    takenAtMs: 1_000_000,
    collectMs: 3,
    intervalMs: 2000,
    pcpuCount: 2,
    memoryTotalKiB: 24 * 1024 * 1024,
    memoryFreeKiB: 20 * 1024 * 1024,
    pcpus: [
      { pcpu: 0, usagePercent: 20 },
      { pcpu: 1, usagePercent: 5 },
    ],
    numaCells: [{ id: 0, cpus: [0, 1], memoryKiB: 24 * 1024 * 1024, freeKiB: 20 * 1024 * 1024 }],
    vms,
    ...over,
  };
}
