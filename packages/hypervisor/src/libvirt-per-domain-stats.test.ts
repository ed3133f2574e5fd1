// The collector's per-domain read: on libvirt's test driver (test:///default, shared by this process's connections),
// and with a fake connection whose balloon call hangs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { type Connection, type DomainSample, LibvirtError, type MemoryStats, open } from '@ballast/libvirt';

import { LIST_REFRESH_MS, PerDomainStatsReader } from './libvirt-per-domain-stats.js';
import type { LibvirtEvent } from '@ballast/libvirt';

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
    // New since the last read: its started event makes the next read list, and it is read in that cycle, after the
    // list. The event comes through libvirt's event loop: a read that starts before it arrives does not see the VM
    // yet; the one after does (well before LIST_REFRESH_MS).
    const t0 = Date.now();
    let uuids: string[] = [];
    while (Date.now() - t0 < 2000 && !uuids.includes(uuid)) {
      uuids = (await reader.read(opts)).map((s) => s.uuid);
      if (!uuids.includes(uuid)) await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(uuids.sort(), [TEST_UUID, uuid].sort());
    assert.ok(Date.now() - t0 < LIST_REFRESH_MS / 2, 'seen through the event, not the periodic list');
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

describe('PerDomainStatsReader: the domain list follows lifecycle events', () => {
  /** A connection with two running VMs that counts list calls and lets the test send events and stop a VM. */
  function fakeConnection(events: 'ok' | 'failing' | 'absent') {
    const state = { lists: 0, stopped: new Set<string>(), gone: new Set<string>(), send: (_e: LibvirtEvent): void => undefined };
    const refs = [{ uuid: 'u1', name: 'vm1', id: 1 }, { uuid: 'u2', name: 'vm2', id: 2 }];
    const conn = {
      listDomainRefs: () => {
        state.lists++;
        return Promise.resolve(refs.filter((r) => !state.gone.has(r.uuid)).map((r) => (state.stopped.has(r.uuid) ? { ...r, id: -1 } : r)));
      },
      sampleDomain: (uuid: string) => {
        if (state.gone.has(uuid)) return Promise.reject(new LibvirtError('Domain not found', 42, 10));
        const sample: DomainSample = { info: { state: state.stopped.has(uuid) ? 5 : 1, maxMemKiB: 1024, memoryKiB: 512, nrVirtCpu: 1, cpuTimeNs: 5 } };
        return Promise.resolve(sample);
      },
      memoryStats: () => Promise.resolve({}),
      ...(events === 'absent'
        ? {}
        : {
            onEvent: (l: (e: LibvirtEvent) => void) => {
              state.send = l;
              return () => undefined;
            },
            eventsReady: () => (events === 'ok' ? Promise.resolve({}) : Promise.reject(new Error('no events here'))),
          }),
    } as unknown as Connection;
    return { conn, state };
  }
  const opts = { balloon: false, vcpu: false };
  const settle = () => new Promise((r) => setImmediate(r));
  const uuidsOf = (xs: { uuid: string }[]) => xs.map((x) => x.uuid).sort();

  test('lists until events are in place, then only after an event, a VM found stopped or gone, or LIST_REFRESH_MS', async () => {
    let now = 0;
    const { conn, state } = fakeConnection('ok');
    const reader = new PerDomainStatsReader(conn, 50, () => now);
    assert.deepEqual(uuidsOf(await reader.read(opts)), ['u1', 'u2']);
    await settle(); // events in place: the next read lists once more (the list they keep true)
    await reader.read(opts);
    assert.equal(state.lists, 2);
    for (let i = 0; i < 5; i++) assert.deepEqual(uuidsOf(await reader.read(opts)), ['u1', 'u2']);
    assert.equal(state.lists, 2, 'no list while no event says the set changed');
    state.send({ type: 'lifecycle', uuid: 'u3', name: 'vm3', event: 2, detail: 0 });
    await reader.read(opts);
    assert.equal(state.lists, 3, 'a started event: the next read lists');
    state.send({ type: 'balloon-change', uuid: 'u1', name: 'vm1', actualKiB: 1 });
    await reader.read(opts);
    assert.equal(state.lists, 3, 'other events change nothing');
    // stopped with its event lost: left out at once (shut off), and the next read lists
    state.stopped.add('u2');
    assert.deepEqual(uuidsOf(await reader.read(opts)), ['u1']);
    assert.equal(state.lists, 3);
    assert.deepEqual(uuidsOf(await reader.read(opts)), ['u1']);
    assert.equal(state.lists, 4);
    // gone (undefined) with its event lost: the same
    state.gone.add('u1');
    assert.deepEqual(uuidsOf(await reader.read(opts)), []);
    await reader.read(opts);
    assert.equal(state.lists, 5);
    now += LIST_REFRESH_MS;
    await reader.read(opts);
    assert.equal(state.lists, 6, 'listed again after LIST_REFRESH_MS without any event');
  });

  test('events that cannot be had, or a connection without them: every read lists', async () => {
    for (const kind of ['failing', 'absent'] as const) {
      const { conn, state } = fakeConnection(kind);
      const reader = new PerDomainStatsReader(conn, 50);
      for (let i = 0; i < 4; i++) {
        await reader.read(opts);
        await settle();
      }
      assert.equal(state.lists, 4, kind);
    }
  });
});
