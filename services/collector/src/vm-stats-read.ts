import type { VmStats } from '@ballast/domain';
import type { Hypervisor } from '@ballast/hypervisor';
import { withPlacement } from './vcpu-placement.js';

export interface VmStatsRead {
  balloon: boolean;
  /** With balloon: the VMs that need it this cycle (BalloonSchedule); default all. */
  balloonFor?: (uuid: string) => boolean;
  /** Where each running VM's vCPUs are now (vcpus[].pcpu). */
  placement: boolean;
  /** Each vCPU's wait for a pCPU (delayNs); default true. */
  vcpuWait?: boolean;
  dirtyRate?: boolean;
}

/**
 * The sampler's per-cycle read of its VMs: state, CPU, per-vCPU and (when asked) balloon stats of every running VM,
 * with their vCPUs' current pCPUs. The hypervisor reads placement along with the stats where it can
 * (LibvirtHypervisor); withPlacement reads it for the VMs still without it. The stats bench times this very
 * function as "the collector's cycle".
 */
export async function readVmStats(hv: Hypervisor, read: VmStatsRead): Promise<VmStats[]> {
  const stats = await hv.collectStats({
    balloon: read.balloon,
    ...(read.balloonFor ? { balloonFor: read.balloonFor } : {}),
    vcpu: true,
    placement: read.placement,
    vcpuWait: read.vcpuWait ?? true,
    ...(read.dirtyRate ? { dirtyRate: true } : {}),
  });
  return read.placement ? withPlacement(hv, stats) : stats;
}
