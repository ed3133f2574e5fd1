// What the CPU policies see, on the simulator: where each vCPU runs, CPU tune, numatune, the pins Ballast
// recorded, NUMA cells and KSM — and when the sampler reads them again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VmStats } from '@ballast/domain';
import { SimCluster, SimHypervisor, constant, gib } from '@ballast/sim';
import { HostSampler, type SamplerOptions } from './host-sampler.js';

function setup(over: Partial<SamplerOptions> = {}) {
  const sim = new SimCluster({ seed: 4 });
  sim.addHost({ id: 'h1', pcpus: 4, memoryKiB: gib(8), numaNodes: 2 });
  const web = sim.createVm('h1', { name: 'web', vcpus: 2, maxMemoryKiB: gib(1), cpu: constant(0.5) }).uuid;
  const db = sim.createVm('h1', { name: 'db', vcpus: 1, maxMemoryKiB: gib(1), cpu: constant(0.2) }).uuid;
  const hv = new SimHypervisor(sim, 'sim://h1');
  const clockNs = () => BigInt(sim.wallClockMs) * 1_000_000n;
  const opts: SamplerOptions = { hostId: 'h1', intervalMs: 2000, balloonEvery: 1, hostInfoEvery: 5, configEvery: 30, now: () => sim.wallClockMs, monotonicNs: clockNs, ...over };
  const sampler = new HostSampler(hv, opts);
  const next = async () => {
    sim.advance(2000);
    return sampler.sample();
  };
  return { sim, hv, sampler, web, db, next };
}

test('a report carries each vCPU\'s current pCPU, CPU tune, numatune, recorded pins, NUMA cells and KSM', async () => {
  const { sim, hv, web, next } = setup();
  await hv.pinVcpu(web, 1, [3]);
  const r = await next();
  const vm = r.vms.find((v) => v.uuid === web);
  assert.deepEqual(vm?.vcpus.map((c) => c.currentPcpu), Array.from(sim.vm(web).vcpuPcpu));
  assert.equal(vm?.vcpus[1]?.currentPcpu, 3);
  assert.deepEqual(vm?.cpuTune, await hv.getCpuTune(web));
  assert.deepEqual(vm?.numaTune, { mode: 'strict', nodeset: [] });
  assert.deepEqual(vm?.config?.pins, []);
  assert.deepEqual(r.numaCells.map((c) => [c.id, c.cpus]), [[0, [0, 1]], [1, [2, 3]]]);
  // the simulator has KSM (stored, not modelled); ksmd's CPU is read only for a local libvirt URI
  assert.deepEqual(r.ksm, { run: 'stop', pagesToScan: 100, sleepMillisecs: 20, pagesShared: 0, pagesSharing: 0, pagesUnshared: 0, pagesVolatile: 0, fullScans: 0 });
});

test('recorded pins, CPU tune and numatune are read again after the events that announce them, not before', async () => {
  const { hv, sampler, web, next } = setup();
  await next();
  const record = { vcpu: 0, pcpus: [1], by: 'manual', atMs: 42 };
  await hv.pinVcpu(web, 0, [1]);
  await hv.recordPins(web, [record]);
  await hv.setCpuTune(web, { shares: 2048 });
  await hv.setNumaTune(web, { nodeset: [1] });
  const vm = async () => (await next()).vms.find((v) => v.uuid === web);
  const stale = await vm(); // nobody told the sampler: what it read stays until configEvery
  assert.deepEqual(stale?.config?.pins, []);
  assert.notEqual(stale?.cpuTune?.shares, 2048);
  const off = hv.onEvent((ev) => sampler.handleEvent(ev));
  await hv.recordPins(web, [record]); // metadata-change: the domain XML
  assert.deepEqual((await vm())?.config?.pins, [record]);
  assert.notEqual((await vm())?.cpuTune?.shares, 2048, 'a metadata change does not re-read the CPU tune');
  await hv.setCpuTune(web, { shares: 2048 }); // tunable: pinning, CPU tune, numatune (and the XML)
  const fresh = await vm();
  assert.equal(fresh?.cpuTune?.shares, 2048);
  assert.deepEqual(fresh?.numaTune, { mode: 'strict', nodeset: [1] });
  assert.deepEqual(fresh?.vcpus[0]?.pcpus, [1]);
  off();
});

test('every configEvery cycles the CPU tune and numatune are read again anyway', async () => {
  const { hv, web, next } = setup({ configEvery: 2 });
  await next();
  await hv.setCpuTune(web, { quotaUs: 50000 });
  await next(); // cycle 2: cached
  const r = await next(); // cycle 3: two cycles after the first read
  assert.equal(r.vms.find((v) => v.uuid === web)?.cpuTune?.quotaUs, 50000);
});

/** A SimHypervisor whose bulk stats lack the pCPU, as libvirt's do; counts the per-VM placement reads. */
function libvirtLike(s: ReturnType<typeof setup>, failFor?: string) {
  const reads: string[] = [];
  const bulk = s.hv.collectStats.bind(s.hv);
  const place = s.hv.currentPcpus.bind(s.hv);
  s.hv.collectStats = async (o) => (await bulk(o)).map((v): VmStats => ({ ...v, vcpus: v.vcpus.map(({ id, timeNs, online }) => ({ id, timeNs, online })) }));
  s.hv.currentPcpus = async (uuid) => {
    reads.push(uuid);
    if (uuid === failFor) throw new Error('monitor busy');
    return place(uuid);
  };
  return reads;
}

test('where bulk stats lack it, each running VM\'s placement is read; a VM whose read fails goes without', async () => {
  const s = setup();
  const reads = libvirtLike(s, s.db);
  const r = await s.next();
  assert.deepEqual(reads.sort(), [s.web, s.db].sort());
  assert.deepEqual(r.vms.find((v) => v.uuid === s.web)?.vcpus.map((c) => c.currentPcpu), Array.from(s.sim.vm(s.web).vcpuPcpu));
  assert.deepEqual(r.vms.find((v) => v.uuid === s.db)?.vcpus.map((c) => c.currentPcpu), [undefined]);
  s.sim.pauseVm(s.db);
  reads.length = 0;
  await s.next();
  assert.deepEqual(reads, [s.web], 'running VMs only');
});

test('placementEvery: every Nth cycle (cycles between report no currentPcpu); 0: never', async () => {
  const every2 = setup({ placementEvery: 2 });
  const reads = libvirtLike(every2);
  const seen: boolean[] = [];
  for (let i = 0; i < 4; i++) seen.push((await every2.next()).vms.every((v) => v.vcpus.every((c) => c.currentPcpu !== undefined)));
  assert.deepEqual(seen, [true, false, true, false]);
  assert.equal(reads.length, 4);
  const never = setup({ placementEvery: 0 });
  const none = libvirtLike(never);
  assert.ok((await never.next()).vms.every((v) => v.vcpus.every((c) => c.currentPcpu === undefined)));
  assert.equal(none.length, 0);
});
