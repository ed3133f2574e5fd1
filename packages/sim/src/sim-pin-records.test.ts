import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SimCluster } from './sim-cluster.js';
import { SimHypervisor } from './sim-hypervisor.js';
import { gib } from './sim-workload.js';

it('recordPin keeps one pin record per vCPU in the domain configuration, as the actuator writes them', async () => {
  const sim = new SimCluster({ seed: 1 });
  sim.addHost({ id: 'h1', pcpus: 4, memoryKiB: gib(8) });
  const { uuid } = sim.createVm('h1', { name: 'a', vcpus: 2, maxMemoryKiB: gib(1) });
  const hv = new SimHypervisor(sim, 'h1');
  assert.deepEqual((await hv.vmConfig(uuid)).pins, []);
  sim.recordPin('h1', uuid, { vcpu: 1, pcpus: [2], by: 'policy:vcpu-balance', atMs: 5 });
  sim.recordPin('h1', uuid, { vcpu: 0, pcpus: [3], by: 'manual', atMs: 6 });
  sim.recordPin('h1', uuid, { vcpu: 1, pcpus: [0], by: 'policy:vcpu-balance', atMs: 7 });
  assert.deepEqual((await hv.vmConfig(uuid)).pins, [
    { vcpu: 0, pcpus: [3], by: 'manual', atMs: 6 },
    { vcpu: 1, pcpus: [0], by: 'policy:vcpu-balance', atMs: 7 },
  ]);
  assert.throws(() => sim.recordPin('h2', uuid, { vcpu: 0, pcpus: [0], by: 'manual', atMs: 0 }));
});
