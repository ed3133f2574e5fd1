import type { SimVmSnapshot } from './sim-cluster-types.js';
import type { SimVm } from './sim-vm.js';

/** A read-only copy of one VM's state, including what the guest would not report (for tests and benchmarks). */
export function inspectVm(vm: SimVm): SimVmSnapshot {
  return {
    uuid: vm.uuid,
    name: vm.name,
    hostId: vm.hostId,
    state: vm.state,
    vcpus: vm.vcpus,
    maxKiB: vm.maxKiB,
    currentKiB: vm.currentKiB,
    targetKiB: vm.targetKiB,
    usedKiB: vm.usedKiB,
    swappedKiB: vm.swappedKiB,
    swapCapKiB: vm.swapCapKiB,
    cacheKiB: vm.cacheKiB,
    kernelKiB: vm.kernelKiB,
    oomKills: vm.oomKills,
    deaths: vm.deaths,
    majorFaults: Math.floor(vm.majorFaults),
    swapInKiB: Math.floor(vm.swapInKiB),
    swapOutKiB: Math.floor(vm.swapOutKiB),
    cpuTimeNs: Math.round(vm.cpuTimeNs),
    vcpuTimeNs: Array.from(vm.vcpuTimeNs, Math.round),
    vcpuDemand: Array.from(vm.vcpuDemand),
    vcpuPcpu: Array.from(vm.vcpuPcpu),
    statsPeriodSec: vm.statsPeriodSec,
    migrating: vm.migrating !== undefined,
  };
}
