// The collector's per-domain read: on libvirt's test driver (test:///default, shared by this process's connections),
// and with a fake connection whose balloon call hangs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { type Connection, type DomainSample, type MemoryStats, open } from '@ballast/libvirt';

import { PerDomainStatsReader } from './libvirt-per-domain-stats.js';

const TEST_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';

function xml(name: string, uuid: string): string {
  return `<domain type='test'><name>${name}</name><uuid>${uuid}</uuid><memory>262144</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`;
}

describe('PerDomainStatsReader on test:///default', () => {
  let conn: Connection;
  let other: Connection;
  before(async () => {
    conn = await open('test:///default');
    other = await open('test:///default');
  });
  after(async () => {
    await conn.close();
    await other.close();
  });

  test('every running VM with CPU time, vCPUs, placement and balloon; VMs started and destroyed between reads', async () => {
    const reader = new PerDomainStatsReader(conn);
    const opts = { balloon: true, vcpu: true, vcpuWait: false, placement: true };
    const first = await reader.read(opts);
    assert.deepEqual(first.map((s) => s.uuid), [TEST_UUID]);
    const vm = first[0]!;
    assert.equal(vm.name, 'test');
    assert.ok((vm.cpuTimeNs ?? 0) > 0);
    assert.ok(vm.vcpus.length > 0 && vm.vcpus.every((v) => v.pcpu !== undefined));
    assert.ok(vm.balloon && vm.balloon.maximumKiB > 0 && vm.balloon.lastUpdateSec !== undefined);

    const uuid = 'dddddddd-0000-4000-8000-000000000001';
    await other.createXML(xml('per-domain-new', uuid));
    // New since the last read: read in the same cycle, after the list.
    assert.deepEqual((await reader.read(opts)).map((s) => s.uuid).sort(), [TEST_UUID, uuid].sort());
    await other.destroy(uuid);
    // Gone since the last read: its sample fails with NO_DOMAIN and it is left out, the cycle goes on.
    assert.deepEqual((await reader.read(opts)).map((s) => s.uuid), [TEST_UUID]);
  });

  test('a VM that stopped is left out, as the bulk call\'s ACTIVE filter leaves it out', async () => {
    const reader = new PerDomainStatsReader(conn);
    const uuid = 'dddddddd-0000-4000-8000-000000000002';
    await other.defineXML(xml('per-domain-stopping', uuid));
    await other.create(uuid);
    assert.ok((await reader.read({ balloon: false, vcpu: true })).some((s) => s.uuid === uuid));
    await other.destroy(uuid);
    assert.ok(!(await reader.read({ balloon: false, vcpu: true })).some((s) => s.uuid === uuid));
    await other.undefine(uuid);
  });

  test('without placement or balloon: no pCPU, no balloon', async () => {
    const [vm] = await new PerDomainStatsReader(conn).read({ balloon: false, vcpu: true, vcpuWait: false });
    assert.ok(vm && vm.vcpus.length > 0 && vm.vcpus.every((v) => v.pcpu === undefined));
    assert.equal(vm.balloon, undefined);
  });
});

describe('PerDomainStatsReader: a balloon read that hangs', () => {
  test('the cycle goes on without guest figures after the wait, and asks that VM again only once the call is back', async () => {
    let calls = 0;
    let release: (m: MemoryStats) => void = () => undefined;
    const sample: DomainSample = { info: { state: 1, maxMemKiB: 1024, memoryKiB: 512, nrVirtCpu: 1, cpuTimeNs: 5 }, vcpus: [{ vcpu: 0, state: 1, cpuTimeNs: 5, cpu: 0 }] };
    const fake = {
      listDomainRefs: () => Promise.resolve([{ uuid: 'u1', name: 'vm1', id: 1 }]),
      sampleDomain: () => Promise.resolve(sample),
      memoryStats: () => {
        calls++;
        return new Promise<MemoryStats>((resolve) => {
          release = resolve;
        });
      },
    } as unknown as Connection;
    const reader = new PerDomainStatsReader(fake, 50);
    const opts = { balloon: true, vcpu: true, vcpuWait: false };
    const t0 = Date.now();
    const [first] = await reader.read(opts);
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(first?.balloon, { currentKiB: 512, maximumKiB: 1024 });
    const [second] = await reader.read(opts);
    assert.deepEqual(second?.balloon, { currentKiB: 512, maximumKiB: 1024 });
    assert.equal(calls, 1, 'no second balloon call while the first is in flight');
    release({ actualKiB: 600, unusedKiB: 100 });
    await new Promise((r) => setImmediate(r));
    const third = reader.read(opts);
    release({ actualKiB: 600, unusedKiB: 100, lastUpdateSec: 7 });
    const [vm] = await third;
    assert.equal(calls, 2);
    assert.deepEqual(vm?.balloon, { currentKiB: 600, maximumKiB: 1024, unusedKiB: 100, lastUpdateSec: 7 });
  });
});

describe('PerDomainStatsReader: the connection goes away', () => {
  test('a failing list and failing samples reject the read once, with no unhandled rejection', async () => {
    const lost = Object.assign(new Error('internal error: client socket is closed'), { code: 1, domain: 7 });
    let unhandled = 0;
    const onUnhandled = (): void => {
      unhandled++;
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const sample: DomainSample = { info: { state: 1, maxMemKiB: 1024, memoryKiB: 512, nrVirtCpu: 1, cpuTimeNs: 5 } };
      let fail = false;
      const fake = {
        listDomainRefs: () => (fail ? new Promise((_, reject) => setTimeout(() => reject(lost), 20)) : Promise.resolve([{ uuid: 'u1', name: 'vm1', id: 1 }])),
        sampleDomain: () => (fail ? Promise.reject(lost) : Promise.resolve(sample)),
        memoryStats: () => Promise.resolve({}),
      } as unknown as Connection;
      const reader = new PerDomainStatsReader(fake, 50);
      assert.equal((await reader.read({ balloon: false, vcpu: false })).length, 1);
      fail = true;
      await assert.rejects(reader.read({ balloon: false, vcpu: false }), /client socket is closed/);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(unhandled, 0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
