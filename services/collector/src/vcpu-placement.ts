import type { VmStats } from '@ballast/domain';
import type { Hypervisor } from '@ballast/hypervisor';

/**
 * The stats with the pCPU each vCPU of a running VM is on now, from Hypervisor.currentPcpus
 * (virDomainGetVcpus, one call per VM: libvirt's bulk stats do not say), read for every running VM whose stats
 * lack it, all at once. A VM whose read fails (stopped meanwhile, a busy monitor) keeps its stats as they are:
 * its vCPUs go without a currentPcpu this cycle.
 */
export function withPlacement(hv: Hypervisor, stats: VmStats[]): Promise<VmStats[]> {
  return Promise.all(
    stats.map(async (s) => {
      if (s.state !== 'running' || s.vcpus.every((v) => v.pcpu !== undefined)) return s;
      let pcpus: number[];
      try {
        pcpus = await hv.currentPcpus(s.uuid);
      } catch {
        return s;
      }
      const vcpus = s.vcpus.map((v) => {
        const pcpu = pcpus[v.id];
        return pcpu !== undefined && pcpu >= 0 ? { ...v, pcpu } : v;
      });
      return { ...s, vcpus };
    }),
  );
}
