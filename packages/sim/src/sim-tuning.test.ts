import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SimCluster } from './sim-cluster.js';
import { SimHypervisor } from './sim-hypervisor.js';
import { constant, gib, mib } from './sim-workload.js';

test('SimHypervisor keeps numatune per VM and KSM per host, shared by its connections', async () => {
  const sim = new SimCluster({ seed: 1 });
  sim.addHost({ id: 'h1', pcpus: 4, memoryKiB: gib(4) });
  const { uuid } = sim.createVm('h1', { name: 'vm', vcpus: 1, maxMemoryKiB: gib(1), memoryKiB: mib(512), cpu: constant(0.1), memory: constant(mib(100)) });
  const a = new SimHypervisor(sim, 'sim://h1');
  const b = new SimHypervisor(sim, 'sim://h1');
  assert.deepEqual(await a.getNumaTune(uuid), { mode: 'strict', nodeset: [] });
  await a.setNumaTune(uuid, { mode: 'restrictive', nodeset: [1, 0] });
  assert.deepEqual(await b.getNumaTune(uuid), { mode: 'restrictive', nodeset: [0, 1] });
  await assert.rejects(a.getNumaTune('00000000-0000-4000-8000-000000000000'), { code: 42 });

  assert.equal((await a.getKsm()).run, 'stop');
  await a.setKsm({ run: 'run', pagesToScan: 200 });
  const ksm = await b.getKsm();
  assert.deepEqual([ksm.run, ksm.pagesToScan, ksm.sleepMillisecs], ['run', 200, 20]);
});
