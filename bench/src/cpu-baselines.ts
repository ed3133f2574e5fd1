/**
 * The other sides of the vCPU balance benchmark, as policies the same loop runs: a naive round-robin
 * pinner (vCPU i of the host, VMs by name, to pCPU i mod n, once: it pins only what is not there yet) and
 * no pinning at all (the simulator's kernel-like scheduler places every vCPU).
 */
import type { ClusterSnapshot, Plan, PlannedJob, Policy } from '@ballast/domain';

function roundRobin(snapshot: ClusterSnapshot): Plan {
  const jobs: PlannedJob[] = [];
  for (const host of snapshot.hosts) {
    const vms = snapshot.vms.filter((v) => v.hostId === host.hostId).sort((a, b) => a.name.localeCompare(b.name));
    let i = 0;
    for (const vm of vms) {
      for (const c of vm.vcpus) {
        const to = i++ % host.pcpuCount;
        if (c.pcpus.length === 1 && c.pcpus[0] === to) continue;
        jobs.push({ hostId: host.hostId, vmUuid: vm.uuid, vmName: vm.name, action: { type: 'pin-vcpu', vcpu: c.id, pcpus: [to] }, reason: `round-robin: vCPU ${i - 1} of the host → pCPU ${to}` });
      }
    }
  }
  return { jobs, decisions: [] };
}

const ok = (raw: unknown) => ({ ok: true as const, args: raw });

export const roundRobinPinner: Policy<unknown> = { name: 'round-robin', order: 400, defaults: {}, validate: ok, plan: roundRobin };

export const noPinning: Policy<unknown> = { name: 'none', order: 400, defaults: {}, validate: ok, plan: () => ({ jobs: [], decisions: [] }) };
