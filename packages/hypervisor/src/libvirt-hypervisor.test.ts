// LibvirtHypervisor against libvirt's test driver (test:///default). The test driver has no node
// memory stats, cpu_shares or migration, and rejects the LIVE flag on pinning: see README of
// @ballast/libvirt.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { HypervisorEvent } from '@ballast/domain';
import { isInvalidArg, isNoSupport } from '@ballast/libvirt';

import { isVmGone } from './errors.js';
import type { Hypervisor } from './hypervisor.js';
import { LibvirtHypervisor } from './libvirt-hypervisor.js';

const TEST_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';

describe('LibvirtHypervisor on test:///default', () => {
  let hv: LibvirtHypervisor;
  before(async () => {
    hv = await LibvirtHypervisor.open('test:///default', { affect: 'current' });
  });
  after(() => hv.close());

  test('vmConfig reads labels, memory backing, passthrough and the balloon model from the domain XML', async () => {
    const plain = await hv.vmConfig(TEST_UUID);
    assert.deepEqual(plain, { labels: {}, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: [] });
    const uuid = '0b3c7f4e-5c1f-4b1e-9a53-2d7b5d6c8e01';
    await hv.connection.createXML(`<domain type='test'>
      <name>locked-vm</name><uuid>${uuid}</uuid><memory unit='MiB'>512</memory><vcpu>1</vcpu>
      <metadata><b:labels xmlns:b="https://ballast.dev/xmlns/labels/1"><b:label name="tier">gold</b:label></b:labels></metadata>
      <memoryBacking><locked/></memoryBacking>
      <os><type>hvm</type></os>
      <devices><memballoon model='none'/></devices>
    </domain>`);
    const c = await hv.vmConfig(uuid).finally(() => hv.connection.destroy(uuid));
    assert.deepEqual(c, { labels: { tier: 'gold' }, memoryLocked: true, hugepages: false, hostdevCount: 0, balloonModel: 'none', deflateOnOom: false, pins: [] });
  });

  test('implements Hypervisor', () => {
    const asInterface: Hypervisor = hv;
    assert.equal(asInterface.uri, 'test:///default');
  });

  test('hostInfo merges node info, capabilities NUMA and per-cell free memory', async () => {
    const info = await hv.hostInfo();
    assert.equal(typeof info.hostname, 'string');
    assert.match(info.hostUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal((await hv.hostInfo()).hostUuid, info.hostUuid, 'stable');
    assert.equal(info.cpuModel, 'i686');
    assert.equal(info.pcpus, 16);
    assert.equal(info.cpuMhz, 1400);
    assert.equal(info.memoryKiB, 3145728);
    assert.deepEqual(info.numaCells, [
      { id: 0, cpus: [0, 1, 2, 3, 4, 5, 6, 7], memoryKiB: 2097152, freeKiB: 2048 },
      { id: 1, cpus: [8, 9, 10, 11, 12, 13, 14, 15], memoryKiB: 4194304, freeKiB: 4096 },
    ]);
  });

  test('nodeCpuTimes and nodeMemory (falls back to node info + free memory)', async () => {
    const cpus = await hv.nodeCpuTimes();
    assert.ok(cpus.length > 0);
    for (const c of cpus) assert.ok(c.userNs > 0 && c.systemNs > 0 && c.idleNs > 0 && c.iowaitNs >= 0);
    assert.deepEqual(await hv.nodeMemory(), { totalKiB: 3145728, freeKiB: 3072 });
  });

  test('listVms and collectStats', async () => {
    assert.deepEqual(await hv.listVms(), [{ uuid: TEST_UUID, name: 'test', state: 'running' }]);
    // The test driver's bulk stats carry state only.
    const bulk = new LibvirtHypervisor(hv.connection, { affect: 'current', statsStrategy: 'bulk' });
    assert.deepEqual(await bulk.collectStats({ balloon: true, vcpu: true }), [{ uuid: TEST_UUID, name: 'test', state: 'running', vcpus: [] }]);
    // The per-domain read (the default) has CPU time, vCPUs (virDomainGetVcpus) and balloon figures there too.
    const [vm] = await hv.collectStats({ balloon: true, vcpu: true, placement: true });
    assert.equal(vm?.state, 'running');
    assert.ok((vm?.cpuTimeNs ?? 0) > 0);
    assert.deepEqual(vm?.vcpus.map((v) => v.id), [0, 1]);
    assert.ok(vm?.vcpus.every((v) => v.pcpu !== undefined && v.timeNs > 0 && v.online));
    assert.equal(vm?.balloon?.maximumKiB, 8388608);
    assert.ok(vm?.balloon?.unusedKiB !== undefined);
  });

  test('pinning and memory', async () => {
    await hv.pinVcpu(TEST_UUID, 1, [3]);
    assert.deepEqual((await hv.getVcpuPinning(TEST_UUID))[1], [3]);
    await hv.setMemoryStatsPeriod(TEST_UUID, 5);
    await hv.setMemory(TEST_UUID, 1048576);
    assert.equal((await hv.connection.getDomainInfo(TEST_UUID)).memoryKiB, 1048576);
  });

  test('currentPcpus: virDomainGetVcpus per vCPU (the test driver runs a vCPU pinned to one pCPU there)', async () => {
    await hv.pinVcpu(TEST_UUID, 0, [2]);
    await hv.pinVcpu(TEST_UUID, 1, [5]);
    assert.deepEqual(await hv.currentPcpus(TEST_UUID), [2, 5]);
    for (const vcpu of [0, 1]) await hv.pinVcpu(TEST_UUID, vcpu, [0, 1, 2, 3, 4, 5, 6, 7]);
    await assert.rejects(hv.currentPcpus('11111111-2222-3333-4444-555555555555'), (err) => isVmGone(err));
  });

  test('recordPins writes <metadata> that vmConfig reads back; replaced whole; an empty list removes it', async () => {
    const events: HypervisorEvent[] = [];
    const off = hv.onEvent((e) => events.push(e));
    await hv.connection.eventsReady();
    try {
      await hv.recordPins(TEST_UUID, [{ vcpu: 1, pcpus: [2, 3], by: 'policy:a&b', atMs: 1700000000000 }, { vcpu: 0, pcpus: [1], by: 'manual', atMs: 5 }]);
      assert.deepEqual((await hv.vmConfig(TEST_UUID)).pins, [
        { vcpu: 0, pcpus: [1], by: 'manual', atMs: 5 },
        { vcpu: 1, pcpus: [2, 3], by: 'policy:a&b', atMs: 1700000000000 },
      ]);
      assert.match(await hv.connection.getXMLDesc(TEST_UUID), /<ballast:pins xmlns:ballast="https:\/\/ballast\.dev\/xmlns\/pins\/1">/);
      await hv.recordPins(TEST_UUID, [{ vcpu: 0, pcpus: [4], by: 'manual', atMs: 6 }]);
      assert.deepEqual((await hv.vmConfig(TEST_UUID)).pins, [{ vcpu: 0, pcpus: [4], by: 'manual', atMs: 6 }]);
      await hv.recordPins(TEST_UUID, []);
      assert.deepEqual((await hv.vmConfig(TEST_UUID)).pins, []);
      for (let i = 0; i < 50 && events.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      const nsUri = 'https://ballast.dev/xmlns/pins/1';
      assert.deepEqual(events, Array(3).fill({ kind: 'metadata-change', uuid: TEST_UUID, name: 'test', nsUri }));
    } finally {
      off();
    }
  });

  test('cpu tune: the test driver\'s "fair" scheduler has no cpu_shares', async () => {
    await assert.rejects(hv.getCpuTune(TEST_UUID), (err) => isNoSupport(err));
    await assert.rejects(hv.setCpuTune(TEST_UUID, { shares: 512 }), (err) => isInvalidArg(err));
  });

  test('a missing VM is isVmGone', async () => {
    await assert.rejects(hv.setMemory('11111111-2222-3333-4444-555555555555', 1024), (err) => isVmGone(err));
  });

  test('migration is not supported by the test driver', async () => {
    await assert.rejects(hv.migrate(TEST_UUID, { destUri: 'test:///default', live: true }), (err) => isNoSupport(err));
  });

  test('onEvent maps lifecycle events', async () => {
    const events: HypervisorEvent[] = [];
    const off = hv.onEvent((e) => events.push(e));
    await hv.connection.eventsReady();
    await hv.connection.destroy(TEST_UUID);
    await hv.connection.create(TEST_UUID);
    for (let i = 0; i < 50 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    off();
    assert.deepEqual(events, [
      { kind: 'lifecycle', uuid: TEST_UUID, name: 'test', event: 'stopped', detail: 1 },
      { kind: 'lifecycle', uuid: TEST_UUID, name: 'test', event: 'started', detail: 0 },
    ]);
  });
});

describe('LibvirtHypervisor default affect (LIVE)', () => {
  test('the test driver rejects LIVE pinning with INVALID_ARG (unsupported flags)', async () => {
    const hv = await LibvirtHypervisor.open('test:///default');
    try {
      await assert.rejects(hv.pinVcpu(TEST_UUID, 0, [1]), (err) => isInvalidArg(err));
      await hv.setMemory(TEST_UUID, 1048576); // LIVE is fine here
    } finally {
      await hv.close();
    }
  });
});
