// set-numa and set-ksm through the router on the simulator (the lab and the test driver test them on libvirt), and
// the records pin-vcpu and set-numa keep of who pinned each vCPU (pin-records.test.ts: through the XML).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobSpec } from '@ballast/domain';
import { ErrorCode, LibvirtError } from '@ballast/libvirt';
import { SimCluster, SimHypervisor, constant, gib, mib } from '@ballast/sim';
import { JobRouter } from '../job-router.js';
import { PermanentJobError, type ProcessorContext } from './processor-context.js';
import { TEST_PROCESSOR_CONFIG } from './test-config.js';

function setup() {
  const sim = new SimCluster({ seed: 5 });
  sim.addHost({ id: 'h1', pcpus: 4, memoryKiB: gib(8), numaNodes: 2 });
  const vm = sim.createVm('h1', { name: 'g1', vcpus: 2, maxMemoryKiB: gib(2), memoryKiB: mib(512), cpu: constant(0.1), memory: constant(mib(150)) });
  const hv = new SimHypervisor(sim, 'sim://h1');
  const ctx: ProcessorContext = { hv, config: TEST_PROCESSOR_CONFIG, now: () => sim.wallClockMs, sleep: async (ms) => sim.advance(ms) };
  const router = new JobRouter(ctx, 'h1');
  let n = 0;
  const job = (action: JobSpec['action'], vmScoped = true, policy?: string): JobSpec => ({
    schemaVersion: 1,
    id: `job-${++n}`,
    hostId: 'h1',
    ...(vmScoped ? { vmUuid: vm.uuid, vmName: 'g1' } : {}),
    ...(policy ? { source: 'policy' as const, policy } : { source: 'manual' as const }),
    createdAtMs: 0,
    action,
  });
  return { sim, hv, vm, router, job };
}

test('set-numa places memory and every vCPU on the cell, then is "already there"', async () => {
  const s = setup();
  const r = await s.router.handle(s.job({ type: 'set-numa', cell: 1 }));
  assert.equal(r.alreadyThere, false, r.message);
  assert.deepEqual(await s.hv.getNumaTune(s.vm.uuid), { mode: 'strict', nodeset: [1] });
  assert.deepEqual(await s.hv.getVcpuPinning(s.vm.uuid), [[2, 3], [2, 3]]);
  assert.match(r.message, /g1 on NUMA cell 1: memory strict nodeset 1, vCPUs on pCPUs 2,3/);
  assert.equal((await s.router.handle(s.job({ type: 'set-numa', cell: 1 }))).alreadyThere, true);
});

test('set-numa with pinVcpus false moves only the memory', async () => {
  const s = setup();
  await s.router.handle(s.job({ type: 'set-numa', cell: 0, pinVcpus: false }));
  assert.deepEqual((await s.hv.getNumaTune(s.vm.uuid)).nodeset, [0]);
  assert.deepEqual(await s.hv.getVcpuPinning(s.vm.uuid), [[0, 1, 2, 3], [0, 1, 2, 3]]);
});

test('set-numa to a cell the host lacks fails permanently, naming the cells, and changes nothing', async () => {
  const s = setup();
  await assert.rejects(s.router.handle(s.job({ type: 'set-numa', cell: 7 })), (e: Error) => e instanceof PermanentJobError && /NUMA cell 7 does not exist on this host \(cells: 0, 1\)/.test(e.message));
  assert.deepEqual((await s.hv.getNumaTune(s.vm.uuid)).nodeset, []);
});

test('set-numa: a vCPU that cannot be pinned puts back what the job changed (vCPUs and memory), and fails once', async () => {
  const s = setup();
  await s.router.handle(s.job({ type: 'set-numa', cell: 0, pinVcpus: false }));
  const pin = s.hv.pinVcpu.bind(s.hv);
  s.hv.pinVcpu = async (uuid, vcpu, pcpus) => {
    if (vcpu === 1 && pcpus.includes(2)) throw new LibvirtError('pcpu 2 is out of range', ErrorCode.INVALID_ARG, 0);
    return pin(uuid, vcpu, pcpus);
  };
  await assert.rejects(
    s.router.handle(s.job({ type: 'set-numa', cell: 1 })),
    (e: Error) => e instanceof PermanentJobError && /cannot pin g1's vCPU 1 to NUMA cell 1's pCPUs 2,3: .*; its memory placement is back on nodeset 0/.test(e.message),
  );
  assert.deepEqual(await s.hv.getVcpuPinning(s.vm.uuid), [[0, 1, 2, 3], [0, 1, 2, 3]]);
  assert.deepEqual((await s.hv.getNumaTune(s.vm.uuid)).nodeset, [0]);
});

test('set-ksm writes only what differs, verifies it, and a repeat is "already there"', async () => {
  const s = setup();
  const r = await s.router.handle(s.job({ type: 'set-ksm', run: 'run', pagesToScan: 300 }, false));
  assert.equal(r.alreadyThere, false);
  const k = await s.hv.getKsm();
  assert.deepEqual([k.run, k.pagesToScan, k.sleepMillisecs], ['run', 300, 20]);
  assert.equal((await s.router.handle(s.job({ type: 'set-ksm', pagesToScan: 300 }, false))).alreadyThere, true);
});

test('set-ksm unmerge is refused when the host has no room for the pages it would unshare', async () => {
  const s = setup();
  const ksm = await s.hv.getKsm();
  // pretend 2 GiB of pages are merged on a host with less free than that above the floor
  const free = (await s.hv.nodeMemory()).freeKiB;
  s.hv.getKsm = async () => ({ ...ksm, run: 'run', counters: { ...ksm.counters, pagesSharing: Math.ceil(free / 4) } });
  await assert.rejects(s.router.handle(s.job({ type: 'set-ksm', run: 'unmerge' }, false)), (e: Error) => e instanceof PermanentJobError && /refusing to unmerge KSM: \d+ shared pages need \d+ MiB/.test(e.message));
});

test('pin-vcpu records the vCPU it pinned (manual or policy:<name>, now), keeping the other vCPUs\' records', async () => {
  const s = setup();
  const t0 = s.sim.wallClockMs;
  const a = await s.router.handle(s.job({ type: 'pin-vcpu', vcpu: 0, pcpus: [1] }));
  assert.deepEqual(a.observed?.['pinRecord'], { by: 'manual', atMs: t0 });
  assert.deepEqual((await s.hv.vmConfig(s.vm.uuid)).pins, [{ vcpu: 0, pcpus: [1], by: 'manual', atMs: t0 }]);
  s.sim.advance(2000);
  await s.router.handle(s.job({ type: 'pin-vcpu', vcpu: 1, pcpus: [3, 2] }, true, 'vcpu-balance'));
  await s.router.handle(s.job({ type: 'pin-vcpu', vcpu: 0, pcpus: [0] }, true, 'vcpu-balance'));
  assert.deepEqual((await s.hv.vmConfig(s.vm.uuid)).pins, [
    { vcpu: 0, pcpus: [0], by: 'policy:vcpu-balance', atMs: t0 + 2000 },
    { vcpu: 1, pcpus: [2, 3], by: 'policy:vcpu-balance', atMs: t0 + 2000 },
  ]);
  // "already there" changed nothing, so it records nothing
  s.sim.advance(2000);
  assert.equal((await s.router.handle(s.job({ type: 'pin-vcpu', vcpu: 0, pcpus: [0] }))).alreadyThere, true);
  assert.equal((await s.hv.vmConfig(s.vm.uuid)).pins[0]?.by, 'policy:vcpu-balance');
});

test('set-numa records the vCPUs it moved onto the cell\'s pCPUs, not those already there', async () => {
  const s = setup();
  await s.router.handle(s.job({ type: 'pin-vcpu', vcpu: 1, pcpus: [2, 3] }));
  const r = await s.router.handle(s.job({ type: 'set-numa', cell: 1 }, true, 'numa-place'));
  assert.deepEqual(r.observed?.['vcpusPinned'], [0]);
  assert.deepEqual((await s.hv.vmConfig(s.vm.uuid)).pins.map((p) => [p.vcpu, p.pcpus, p.by]), [
    [0, [2, 3], 'policy:numa-place'],
    [1, [2, 3], 'manual'],
  ]);
});

test('a pin record that cannot be written does not fail the job: the pin stays, the result says so', async () => {
  const s = setup();
  s.hv.recordPins = async () => {
    throw new Error('metadata write refused');
  };
  const r = await s.router.handle(s.job({ type: 'pin-vcpu', vcpu: 1, pcpus: [2] }));
  assert.equal(r.alreadyThere, false);
  assert.equal(r.message, 'vCPU 1 pinned to pCPUs 2; the pin is in place but was not recorded as set by manual: metadata write refused');
  assert.equal(r.observed?.['pinRecordError'], 'metadata write refused');
  assert.deepEqual((await s.hv.getVcpuPinning(s.vm.uuid))[1], [2]);
  assert.deepEqual((await s.hv.vmConfig(s.vm.uuid)).pins, []);
});
