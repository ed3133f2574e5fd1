import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimCluster, SimHypervisor, gib, mib, constant } from '@ballast/sim';
import { HostSampler } from './host-sampler.js';

function setup(): { sim: SimCluster; hv: SimHypervisor; sampler: HostSampler; uuid: string; locked: string } {
  const sim = new SimCluster({ seed: 3 });
  sim.addHost({ id: 'h1', pcpus: 4, memoryKiB: gib(8) });
  const { uuid } = sim.createVm('h1', {
    name: 'web',
    vcpus: 1,
    maxMemoryKiB: gib(2),
    memoryKiB: mib(512),
    memory: constant(mib(100)),
    memStatsPeriodSec: 2,
    config: { labels: { tier: 'gold' } },
  });
  const locked = sim.createVm('h1', { name: 'db', vcpus: 1, maxMemoryKiB: gib(1), config: { memoryLocked: true, hostdevCount: 1 } }).uuid;
  const hv = new SimHypervisor(sim, 'sim://h1');
  const sampler = new HostSampler(hv, { hostId: 'h1', intervalMs: 2000, balloonEvery: 1, hostInfoEvery: 10, configEvery: 3, now: () => sim.wallClockMs });
  return { sim, hv, sampler, uuid, locked };
}

test('each VM report carries its domain configuration (labels, memory backing, passthrough)', async () => {
  const { sampler, uuid, locked } = setup();
  const r = await sampler.sample();
  const web = r.vms.find((v) => v.uuid === uuid);
  const db = r.vms.find((v) => v.uuid === locked);
  assert.deepEqual(web?.config, { labels: { tier: 'gold' }, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: [] });
  assert.equal(db?.config?.memoryLocked, true);
  assert.equal(db?.config?.hostdevCount, 1);
});

test('the configuration is re-read every configEvery cycles and after invalidateConfig (lifecycle events)', async () => {
  const { sim, sampler, uuid } = setup();
  const vm = sim.vmOn('h1', uuid);
  await sampler.sample();
  vm.config = { ...vm.config, labels: { tier: 'bronze' } };
  const label = async (): Promise<string | undefined> => (await sampler.sample()).vms.find((v) => v.uuid === uuid)?.config?.labels['tier'];
  assert.equal(await label(), 'gold'); // cycle 2: cached
  assert.equal(await label(), 'gold'); // cycle 3: cached
  assert.equal(await label(), 'bronze'); // cycle 4: 3 cycles after the first read
  vm.config = { ...vm.config, labels: { tier: 'silver' } };
  sampler.invalidateConfig(uuid);
  assert.equal(await label(), 'silver');
});
