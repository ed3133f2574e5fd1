import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HypervisorEvent } from '@ballast/domain';
import { isVmGone, type Hypervisor } from '@ballast/hypervisor';
import { ErrorCode, ErrorDomain, isConnectionClosed, isInvalidArg, isNoConnect, isNoDomain, isOperationInvalid, LibvirtError } from '@ballast/libvirt';
import { SIM_LIFECYCLE, SimCluster } from './sim-cluster.js';
import { simError } from './sim-error.js';
import { parseSimUri, SimHypervisor } from './sim-hypervisor.js';
import { constant, gib, mib } from './sim-workload.js';

function twoHosts(): { sim: SimCluster; h1: SimHypervisor; h2: SimHypervisor; uuid: string } {
  const sim = new SimCluster({ seed: 9 });
  sim.addHost({ id: 'h1', pcpus: 8, memoryKiB: gib(8), numaNodes: 2 });
  sim.addHost({ id: 'h2', pcpus: 4, memoryKiB: gib(4) });
  const { uuid } = sim.createVm('h1', {
    name: 'web',
    vcpus: 2,
    maxMemoryKiB: gib(2),
    memoryKiB: gib(1),
    cpu: constant(0.5),
    memory: constant(mib(400)),
    memStatsPeriodSec: 1,
  });
  return { sim, h1: new SimHypervisor(sim, 'sim://h1'), h2: new SimHypervisor(sim, 'sim://h2'), uuid };
}

const MISSING = '00000000-0000-4000-8000-000000000000';

const isOperationFailed = (e: unknown): boolean => e instanceof LibvirtError && e.code === ErrorCode.OPERATION_FAILED;

describe('SimHypervisor', () => {
  it('is a Hypervisor with a sim:// URI', () => {
    const { h1 } = twoHosts();
    const hv: Hypervisor = h1;
    assert.equal(hv.uri, 'sim://h1');
    assert.equal(parseSimUri('sim://node-7'), 'node-7');
    assert.equal(parseSimUri('qemu:///system'), undefined);
    assert.throws(() => new SimHypervisor(new SimCluster(), 'sim://nope'), isNoConnect);
  });

  it('identities are deterministic from the seed', () => {
    const a = twoHosts();
    const b = twoHosts();
    assert.equal(a.uuid, b.uuid);
    assert.match(a.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const other = new SimCluster({ seed: 10 });
    other.addHost({ id: 'h1' });
    assert.notEqual(other.createVm('h1', { name: 'web', vcpus: 1, maxMemoryKiB: gib(1) }).uuid, a.uuid);
    assert.notEqual(a.sim.host('h1').hostUuid, a.sim.host('h2').hostUuid);
  });

  it('hostInfo: pCPUs, NUMA cells, memory', async () => {
    const { h1 } = twoHosts();
    const info = await h1.hostInfo();
    assert.equal(info.hostname, 'h1');
    assert.equal(info.pcpus, 8);
    assert.equal(info.memoryKiB, gib(8));
    assert.deepEqual(
      info.numaCells.map((c) => ({ id: c.id, cpus: c.cpus, memoryKiB: c.memoryKiB })),
      [
        { id: 0, cpus: [0, 1, 2, 3], memoryKiB: gib(4) },
        { id: 1, cpus: [4, 5, 6, 7], memoryKiB: gib(4) },
      ],
    );
    // the VM (pinned everywhere) and the overhead are spread over both cells
    assert.deepEqual(
      info.numaCells.map((c) => c.freeKiB),
      [gib(4) - mib(256) - mib(512), gib(4) - mib(256) - mib(512)],
    );
  });

  it('explicit NUMA cells pin memory to the cells a VM may run on', async () => {
    const sim = new SimCluster();
    sim.addHost({ id: 'n', numaCells: [{ cpus: [0, 1], memoryKiB: gib(2) }, { cpus: [2, 3], memoryKiB: gib(6) }], overheadKiB: 0 });
    sim.createVm('n', { name: 'a', vcpus: 1, maxMemoryKiB: gib(1), pinning: [[2, 3]] });
    const info = await new SimHypervisor(sim, 'n').hostInfo();
    assert.equal(info.pcpus, 4);
    assert.deepEqual(info.numaCells.map((c) => c.freeKiB), [gib(2), gib(5)]);
  });

  it('listVms and collectStats report the host’s VMs only, with vCPU and balloon parts on request', async () => {
    const { sim, h1, h2, uuid } = twoHosts();
    sim.advance(3000);
    assert.deepEqual(await h1.listVms(), [{ uuid, name: 'web', state: 'running' }]);
    assert.deepEqual(await h2.listVms(), []);
    const [bare] = await h1.collectStats({ balloon: false, vcpu: false });
    assert.equal(bare?.vcpus.length, 0);
    assert.equal(bare?.balloon, undefined);
    assert.equal(bare?.cpuTimeNs, 3e9);
    const [full] = await h1.collectStats({ balloon: true, vcpu: true });
    assert.deepEqual(full?.vcpus.map((v) => [v.id, v.timeNs, v.online]), [
      [0, 1.5e9, true],
      [1, 1.5e9, true],
    ]);
    assert.equal(full?.balloon?.currentKiB, gib(1));
    assert.equal(full?.balloon?.maximumKiB, gib(2));
    assert.equal(full?.balloon?.unusedKiB, gib(1) - mib(400) - mib(32));
    assert.equal(full?.balloon?.rssKiB, mib(432));
  });

  it('every per-VM call on a missing VM fails with code 42 (no-domain)', async () => {
    const { h1, h2, uuid } = twoHosts();
    const calls: [string, () => Promise<unknown>][] = [
      ['getVcpuPinning', () => h1.getVcpuPinning(MISSING)],
      ['setMemory', () => h1.setMemory(MISSING, gib(1))],
      ['setMemoryStatsPeriod', () => h1.setMemoryStatsPeriod(MISSING, 5)],
      ['pinVcpu', () => h1.pinVcpu(MISSING, 0, [0])],
      ['getCpuTune', () => h1.getCpuTune(MISSING)],
      ['setCpuTune', () => h1.setCpuTune(MISSING, { shares: 2048 })],
      ['migrate', () => h1.migrate(MISSING, { destUri: 'sim://h2', live: true })],
      // a VM on another host is not visible through this connection
      ['other host', () => h2.setMemory(uuid, gib(1))],
    ];
    for (const [name, call] of calls) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof LibvirtError, `${name}: the binding's own error class`);
        assert.equal(e.code, ErrorCode.NO_DOMAIN, name);
        assert.equal(e.domain, ErrorDomain.QEMU, name);
        assert.ok(isNoDomain(e), name);
        assert.ok(isVmGone(e), `${name}: the package predicate recognises it too`);
        return true;
      });
    }
    assert.equal(isVmGone(simError(ErrorCode.INVALID_ARG, 'x')), false);
  });

  it('invalid pinning and tuning are rejected as invalid arguments and change nothing', async () => {
    const { h1, uuid } = twoHosts();
    await assert.rejects(h1.pinVcpu(uuid, 2, [0]), isInvalidArg);
    await assert.rejects(h1.pinVcpu(uuid, 0, [8]), isInvalidArg);
    await assert.rejects(h1.pinVcpu(uuid, 0, []), isInvalidArg);
    await assert.rejects(h1.setCpuTune(uuid, { shares: 1 }), isInvalidArg);
    await assert.rejects(h1.setCpuTune(uuid, { quotaUs: 500 }), isInvalidArg);
    await assert.rejects(h1.setCpuTune(uuid, { periodUs: 10 }), isInvalidArg);
    // a bad emulator pCPU set refuses the whole tune: the shares that came with it are not set either
    await assert.rejects(h1.setCpuTune(uuid, { shares: 2048, emulatorPcpus: [9] }), isInvalidArg);
    await assert.rejects(h1.setCpuTune(uuid, { emulatorPcpus: [] }), isInvalidArg);
    assert.deepEqual(await h1.getCpuTune(uuid), { shares: 1024, quotaUs: -1, periodUs: 100_000, emulatorPcpus: [0, 1, 2, 3, 4, 5, 6, 7] });
    await h1.setCpuTune(uuid, { emulatorPcpus: [3, 1] });
    assert.deepEqual((await h1.getCpuTune(uuid)).emulatorPcpus, [1, 3]);
    assert.deepEqual(await h1.getVcpuPinning(uuid), [
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3, 4, 5, 6, 7],
    ]);
  });

  it('events: tunable on pin and cpu tune, lifecycle on stop/start, in order, until unsubscribed', async () => {
    const { sim, h1, uuid } = twoHosts();
    const seen: HypervisorEvent[] = [];
    const all: [string, HypervisorEvent][] = [];
    const off = h1.onEvent((ev) => seen.push(ev));
    sim.onEvent((ev, hostId) => all.push([hostId, ev]));
    await h1.pinVcpu(uuid, 1, [3, 2, 2]);
    await h1.setCpuTune(uuid, { shares: 2048, quotaUs: 50_000 });
    sim.stopVm(uuid);
    sim.startVm(uuid);
    assert.deepEqual(seen, [
      { kind: 'tunable', uuid, name: 'web', params: { 'cputune.vcpupin1': '2-3' } },
      { kind: 'tunable', uuid, name: 'web', params: { 'cputune.cpu_shares': 2048, 'cputune.vcpu_quota': 50_000 } },
      { kind: 'lifecycle', uuid, name: 'web', event: 'stopped', detail: SIM_LIFECYCLE.stopped.destroyed },
      { kind: 'lifecycle', uuid, name: 'web', event: 'started', detail: SIM_LIFECYCLE.started.booted },
    ]);
    assert.deepEqual(
      all.map(([h]) => h),
      ['h1', 'h1', 'h1', 'h1'],
    );
    off();
    sim.crashVm(uuid);
    assert.equal(seen.length, 4, 'no events after unsubscribing');
    assert.equal(all.length, 5);
  });

  it('a listener that throws does not stop delivery; the triggering call reports the error', async () => {
    const { h1, uuid } = twoHosts();
    const seen: string[] = [];
    h1.onEvent(() => {
      throw new Error('boom');
    });
    h1.onEvent((ev) => seen.push(ev.kind));
    await assert.rejects(h1.pinVcpu(uuid, 0, [1]), /boom/);
    assert.deepEqual(seen, ['tunable']);
    assert.deepEqual(await h1.getVcpuPinning(uuid).then((p) => p[0]), [1]);
  });

  it('migrates a VM in simulated time proportional to its memory', async () => {
    const { sim, h1, h2, uuid } = twoHosts();
    const ev1: HypervisorEvent[] = [];
    const ev2: HypervisorEvent[] = [];
    h1.onEvent((e) => ev1.push(e));
    h2.onEvent((e) => ev2.push(e));
    const freeBefore = (await h2.nodeMemory()).freeKiB;
    let done = false;
    const moving = h1.migrate(uuid, { destUri: 'sim://h2', live: true }).then(() => {
      done = true;
    });
    // 1 GiB at 128 MiB/s + 0.5 s setup = 8.5 s
    await assert.rejects(h1.setMemory(uuid, gib(2)), isOperationInvalid);
    await assert.rejects(h1.migrate(uuid, { destUri: 'sim://h2', live: true }), isOperationInvalid);
    sim.advance(8000);
    await Promise.resolve();
    assert.equal(done, false);
    assert.equal((await h1.listVms()).length, 1, 'still on the source while migrating');
    assert.equal(sim.inspect(uuid).cpuTimeNs, 8e9, 'a live migration keeps the guest running');
    sim.advance(1000);
    await moving;
    assert.equal(done, true);
    assert.deepEqual(await h1.listVms(), []);
    assert.deepEqual((await h2.listVms()).map((v) => v.uuid), [uuid]);
    assert.equal((await h2.nodeMemory()).freeKiB, freeBefore - gib(1));
    assert.equal((await h1.nodeMemory()).freeKiB, gib(8) - mib(512));
    assert.deepEqual(ev1, [{ kind: 'lifecycle', uuid, name: 'web', event: 'stopped', detail: SIM_LIFECYCLE.stopped.migrated }]);
    assert.deepEqual(ev2, [{ kind: 'lifecycle', uuid, name: 'web', event: 'started', detail: SIM_LIFECYCLE.started.migrated }]);
    // the VM keeps its counters and is managed through the destination now
    await assert.rejects(h1.getCpuTune(uuid), isNoDomain);
    await h2.setMemory(uuid, mib(800));
    sim.advance(1000);
    assert.equal((await h2.collectStats({ balloon: true, vcpu: false }))[0]?.balloon?.currentKiB, mib(800));
    assert.equal(sim.inspect(uuid).hostId, 'h2');
    // pCPUs the destination lacks are dropped from the pinning
    assert.deepEqual(await h2.getVcpuPinning(uuid), [
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
  });

  it('migration fails at once when the destination lacks room, or the URI is not a cluster host', async () => {
    const { sim, h1, uuid } = twoHosts();
    sim.createVm('h2', { name: 'big', vcpus: 1, maxMemoryKiB: gib(3), memoryKiB: gib(3) });
    await assert.rejects(h1.migrate(uuid, { destUri: 'sim://h2', live: true }), isOperationFailed);
    await assert.rejects(h1.migrate(uuid, { destUri: 'sim://h9', live: true }), isNoConnect);
    await assert.rejects(h1.migrate(uuid, { destUri: 'qemu+tcp://10.0.0.2/system', live: true }), isNoConnect);
    await assert.rejects(h1.migrate(uuid, { destUri: 'sim://h1', live: true }), isOperationInvalid);
    assert.equal(sim.inspect(uuid).hostId, 'h1');
    assert.equal(sim.inspect(uuid).migrating, false);
  });

  it('a migration fails if the guest dies on the way, and the reservation is released', async () => {
    const { sim, h1, h2, uuid } = twoHosts();
    const moving = h1.migrate(uuid, { destUri: 'sim://h2', live: true });
    assert.equal((await h2.nodeMemory()).freeKiB, gib(4) - mib(512), 'a reservation is not a balloon');
    sim.crashVm(uuid);
    sim.advance(1000);
    await assert.rejects(moving, isOperationFailed);
    assert.equal(sim.host('h2').incomingKiB, 0);
    assert.equal(sim.inspect(uuid).hostId, 'h1');
  });

  it('an offline migration pauses the guest for its duration', async () => {
    const { sim, h1, uuid } = twoHosts();
    const moving = h1.migrate(uuid, { destUri: 'sim://h2', live: false });
    assert.equal(sim.inspect(uuid).state, 'paused');
    sim.advance(9000);
    await moving;
    assert.equal(sim.inspect(uuid).state, 'running');
    assert.equal(sim.inspect(uuid).cpuTimeNs, 0, 'no CPU while paused');
  });

  it('currentPcpus: where each vCPU runs, within its affinity; only for an active VM', async () => {
    const { sim, h1, uuid } = twoHosts();
    await h1.pinVcpu(uuid, 1, [5]);
    sim.advance(2000);
    const where = await h1.currentPcpus(uuid);
    assert.equal(where.length, 2);
    assert.equal(where[1], 5);
    assert.ok(where.every((p) => Number.isInteger(p) && p >= 0 && p < 8));
    sim.stopVm(uuid);
    await assert.rejects(h1.currentPcpus(uuid), isOperationInvalid);
  });

  it('recordPins keeps the records in the VM config (vmConfig shows copies), with a metadata-change event', async () => {
    const { sim, h1, uuid } = twoHosts();
    const seen: HypervisorEvent[] = [];
    h1.onEvent((e) => seen.push(e));
    const records = [{ vcpu: 1, pcpus: [4, 5], by: 'policy:vcpu-balance', atMs: 7 }, { vcpu: 0, pcpus: [1], by: 'manual', atMs: 9 }];
    await h1.recordPins(uuid, records);
    records[0]!.pcpus.push(6);
    const pins = (await h1.vmConfig(uuid)).pins;
    assert.deepEqual(pins, [{ vcpu: 0, pcpus: [1], by: 'manual', atMs: 9 }, { vcpu: 1, pcpus: [4, 5], by: 'policy:vcpu-balance', atMs: 7 }]);
    pins[0]!.pcpus.push(3);
    assert.deepEqual((await h1.vmConfig(uuid)).pins[0]?.pcpus, [1]);
    assert.deepEqual(seen, [{ kind: 'metadata-change', uuid, name: 'web', nsUri: 'https://ballast.dev/xmlns/pins/1' }]);
    sim.stopVm(uuid);
    await assert.rejects(h1.recordPins(uuid, []), isOperationInvalid, 'written live, as libvirt does');
  });

  it('close() ends events and calls; a severed connection reports connection-lost', async () => {
    const { sim, h1, uuid } = twoHosts();
    const seen: HypervisorEvent[] = [];
    h1.onEvent((e) => seen.push(e));
    await h1.close();
    await assert.rejects(h1.listVms(), isConnectionClosed);
    sim.crashVm(uuid);
    assert.equal(seen.length, 0);

    const h1b = new SimHypervisor(sim, 'h1');
    const lost: HypervisorEvent[] = [];
    h1b.onEvent((e) => lost.push(e));
    sim.severConnections('h1', 'network down');
    assert.deepEqual(lost, [{ kind: 'connection-lost', reason: 'network down' }]);
    await assert.rejects(h1b.nodeMemory(), isConnectionClosed);
    assert.equal((await new SimHypervisor(sim, 'h1').listVms()).length, 1, 'a new connection works');
  });
});
