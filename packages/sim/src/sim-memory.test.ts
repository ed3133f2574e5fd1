import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HypervisorEvent } from '@ballast/domain';
import { ErrorCode, isInvalidArg, isNoDomain, isOperationInvalid, LibvirtError } from '@ballast/libvirt';
import { SimCluster } from './sim-cluster.js';
import { SimHypervisor } from './sim-hypervisor.js';
import type { SimVmSpec } from './sim-vm.js';
import { constant, gib, mib, ramp, type Signal, steps } from './sim-workload.js';

const EPOCH = 1_700_000_000;

const isOperationFailed = (e: unknown): boolean => e instanceof LibvirtError && e.code === ErrorCode.OPERATION_FAILED;

function setup(
  vm: Partial<SimVmSpec> & { memory?: Signal },
  host: { memoryKiB?: number; overheadKiB?: number } = {},
): { sim: SimCluster; hv: SimHypervisor; uuid: string; events: HypervisorEvent[] } {
  const sim = new SimCluster({ seed: 5 });
  sim.addHost({ id: 'h1', pcpus: 4, memoryKiB: host.memoryKiB ?? gib(8), overheadKiB: host.overheadKiB ?? mib(512) });
  const hv = new SimHypervisor(sim, 'sim://h1');
  const events: HypervisorEvent[] = [];
  hv.onEvent((ev) => events.push(ev));
  const { uuid } = sim.createVm('h1', { name: 'g1', vcpus: 1, maxMemoryKiB: gib(2), memoryKiB: gib(1), ...vm });
  return { sim, hv, uuid, events };
}

async function balloon(hv: SimHypervisor) {
  const [s] = await hv.collectStats({ balloon: true, vcpu: false });
  assert.ok(s?.balloon);
  return s.balloon;
}

describe('sim memory model', () => {
  it('balloon moves toward its target at a finite rate and reports when it settles', async () => {
    const { sim, hv, uuid, events } = setup({ memoryKiB: gib(2), memory: constant(mib(300)) });
    await hv.setMemory(uuid, gib(1));
    assert.equal((await balloon(hv)).currentKiB, gib(2), 'no change before time passes');
    sim.advance(1000);
    assert.equal((await balloon(hv)).currentKiB, gib(2) - mib(256));
    sim.advance(2000);
    assert.equal((await balloon(hv)).currentKiB, gib(2) - mib(768));
    assert.equal(events.filter((e) => e.kind === 'balloon-change').length, 0);
    sim.advance(1000);
    assert.equal((await balloon(hv)).currentKiB, gib(1));
    const changes = events.filter((e) => e.kind === 'balloon-change');
    assert.deepEqual(changes, [{ kind: 'balloon-change', uuid, name: 'g1', actualKiB: gib(1) }]);
    sim.advance(5000);
    assert.equal(events.filter((e) => e.kind === 'balloon-change').length, 1, 'settled balloons stay quiet');
    // and back up
    await hv.setMemory(uuid, gib(1) + mib(100));
    sim.advance(1000);
    assert.equal((await balloon(hv)).currentKiB, gib(1) + mib(100));
  });

  it('balloon rate is configurable', async () => {
    const sim = new SimCluster({ balloonRateKiBPerSec: mib(64) });
    sim.addHost({ id: 'h1' });
    const { uuid } = sim.createVm('h1', { name: 'g', vcpus: 1, maxMemoryKiB: gib(1) });
    await new SimHypervisor(sim, 'h1').setMemory(uuid, mib(512));
    sim.advance(2000);
    assert.equal(sim.inspect(uuid).currentKiB, gib(1) - mib(128));
  });

  it('guest figures: unused = current − used − kernel; available = current − kernel; used follows demand', async () => {
    const { sim, hv, uuid } = setup({ memory: ramp(mib(200), mib(600), mib(100)), memStatsPeriodSec: 1 });
    sim.advance(2000);
    const b = await balloon(hv);
    assert.equal(sim.inspect(uuid).usedKiB, mib(400));
    assert.equal(b.availableKiB, gib(1) - mib(32));
    assert.equal(b.unusedKiB, gib(1) - mib(400) - mib(32));
    assert.equal(b.usableKiB, b.unusedKiB);
    assert.equal(b.majorFaults, 0);
    assert.equal(b.swapInKiB, 0);
  });

  it('stats are gated by the stats period: undefined before it is set, refreshed once per period', async () => {
    const { sim, hv, uuid } = setup({ memory: ramp(mib(200), mib(800), mib(10)) });
    sim.advance(3000);
    const before = await balloon(hv);
    assert.equal(before.currentKiB, gib(1));
    assert.equal(before.maximumKiB, gib(2));
    assert.equal(before.unusedKiB, undefined);
    assert.equal(before.lastUpdateSec, undefined);
    assert.equal(before.majorFaults, undefined);

    await hv.setMemoryStatsPeriod(uuid, 3);
    sim.advance(1000); // first report at the next cycle
    const first = await balloon(hv);
    assert.equal(first.lastUpdateSec, EPOCH + 4);
    assert.equal(first.lastUpdateSec, sim.wallClockMs / 1000, 'stamped with the simulated wall clock');
    assert.equal(first.unusedKiB, gib(1) - mib(240) - mib(32));
    sim.advance(2000); // within the period: the same report
    assert.deepEqual(await balloon(hv), { ...first, rssKiB: (await balloon(hv)).rssKiB });
    assert.equal((await balloon(hv)).lastUpdateSec, EPOCH + 4);
    sim.advance(1000); // period elapsed
    const second = await balloon(hv);
    assert.equal(second.lastUpdateSec, EPOCH + 7);
    assert.equal(second.unusedKiB, gib(1) - mib(270) - mib(32));

    await hv.setMemoryStatsPeriod(uuid, 0); // stop refreshing: the last report stays
    sim.advance(10_000);
    assert.equal((await balloon(hv)).lastUpdateSec, EPOCH + 7);
    await assert.rejects(hv.setMemoryStatsPeriod(uuid, -1), isInvalidArg);
  });

  it('inflating the balloon below what the guest uses (minus what swap absorbs) kills the guest', async () => {
    // used 800 MiB, kernel 32 MiB, swap 256 MiB (2 GiB / 8): the guest cannot go below 576 MiB
    const { sim, hv, uuid, events } = setup({ memory: constant(mib(800)), memStatsPeriodSec: 1 });
    await hv.setMemory(uuid, mib(400));
    sim.advance(1000);
    assert.equal(sim.inspect(uuid).state, 'running', 'still alive while the balloon is on its way');
    sim.advance(1000);
    const vm = sim.inspect(uuid);
    assert.equal(vm.state, 'crashed');
    assert.equal(vm.deaths, 1);
    assert.equal(vm.currentKiB, mib(576), 'the balloon stops where the guest died');
    const lifecycle = events.filter((e) => e.kind === 'lifecycle');
    assert.deepEqual(lifecycle.at(-1), { kind: 'lifecycle', uuid, name: 'g1', event: 'crashed', detail: 0 });
    assert.equal((await hv.listVms())[0]?.state, 'crashed');
    // a dead guest uses no CPU, reports nothing new and refuses balloon changes
    const cpu = (await hv.collectStats({ balloon: false, vcpu: false }))[0]?.cpuTimeNs;
    sim.advance(5000);
    assert.equal((await hv.collectStats({ balloon: false, vcpu: false }))[0]?.cpuTimeNs, cpu);
    await assert.rejects(hv.setMemory(uuid, gib(1)), isOperationInvalid);
    assert.equal(sim.totals().deaths, 1);
  });

  it('a target above that floor survives, with the overflow in swap', async () => {
    const { sim, hv, uuid } = setup({ memory: constant(mib(800)), memStatsPeriodSec: 1 });
    await hv.setMemory(uuid, mib(640));
    sim.advance(5000);
    const vm = sim.inspect(uuid);
    assert.equal(vm.state, 'running');
    assert.equal(vm.deaths, 0);
    assert.equal(vm.swappedKiB, mib(800) - (mib(640) - mib(32)));
    const b = await balloon(hv);
    assert.equal(b.unusedKiB, 0);
    assert.ok((b.swapInKiB ?? 0) > 0);
    assert.ok((b.majorFaults ?? 0) > 0);
  });

  it('swap-in and major faults grow with the pressure', async () => {
    const sim = new SimCluster();
    sim.addHost({ id: 'h1', memoryKiB: gib(8) });
    const hv = new SimHypervisor(sim, 'h1');
    const spec = { vcpus: 1, maxMemoryKiB: gib(2), memory: constant(mib(900)), memStatsPeriodSec: 1 };
    const none = sim.createVm('h1', { ...spec, name: 'none', memoryKiB: gib(1) }).uuid;
    const some = sim.createVm('h1', { ...spec, name: 'some', memoryKiB: mib(900) }).uuid; // 32 MiB swapped
    const lots = sim.createVm('h1', { ...spec, name: 'lots', memoryKiB: mib(760) }).uuid; // 172 MiB swapped
    sim.advance(10_000);
    const b = new Map((await hv.collectStats({ balloon: true, vcpu: false })).map((s) => [s.uuid, s.balloon]));
    const faults = (u: string): number => b.get(u)?.majorFaults ?? -1;
    const swapIn = (u: string): number => b.get(u)?.swapInKiB ?? -1;
    assert.equal(faults(none), 0);
    assert.ok(faults(some) > 0);
    assert.ok(faults(lots) > 4 * faults(some), `${faults(lots)} vs ${faults(some)}`);
    assert.ok(swapIn(lots) > 4 * swapIn(some));
    // counters only rise
    const f0 = faults(lots);
    sim.advance(5000);
    const after = (await hv.collectStats({ balloon: true, vcpu: false })).find((s) => s.uuid === lots);
    assert.ok((after?.balloon?.majorFaults ?? 0) > f0);
    // giving memory back ends the swapping: swapped pages come back in, then faults stop
    await hv.setMemory(lots, gib(1));
    sim.advance(2000);
    assert.equal(sim.inspect(lots).swappedKiB, 0);
    const settled = sim.inspect(lots).majorFaults;
    sim.advance(5000);
    assert.equal(sim.inspect(lots).majorFaults, settled);
  });

  it('demand beyond RAM + swap OOM-kills the consumer; the guest lives and the script goes on', async () => {
    // fits up to 1 GiB − 32 MiB + 256 MiB = 1248 MiB; grows 100 MiB/s from 1000 MiB
    const { sim, uuid } = setup({ memory: ramp(mib(1000), mib(4000), mib(100)), baseMemoryKiB: mib(100) });
    sim.advance(2000);
    assert.equal(sim.inspect(uuid).oomKills, 0);
    assert.equal(sim.inspect(uuid).usedKiB, mib(1200));
    sim.advance(1000); // 1300 MiB > 1248
    let vm = sim.inspect(uuid);
    assert.equal(vm.oomKills, 1);
    assert.equal(vm.state, 'running');
    assert.equal(vm.usedKiB, mib(100));
    sim.advance(2000);
    assert.equal(sim.inspect(uuid).usedKiB, mib(300), 'the script keeps growing from where the kill left it');
    sim.advance(20_000); // killed again when the script passes 1200 + 1248 MiB (t = 15 s)
    vm = sim.inspect(uuid);
    assert.equal(vm.oomKills, 2);
    assert.equal(vm.deaths, 0);
  });

  it('memory freed by the OOM killer is forgiven as the script comes back down', async () => {
    const { sim, uuid } = setup({
      memory: steps([[0, mib(500)], [5_000, mib(1500)], [10_000, mib(50)], [15_000, mib(700)]]),
      baseMemoryKiB: mib(100),
    });
    sim.advance(6000);
    assert.equal(sim.inspect(uuid).oomKills, 1);
    assert.equal(sim.inspect(uuid).usedKiB, mib(100));
    sim.advance(5000);
    assert.equal(sim.inspect(uuid).usedKiB, mib(50));
    sim.advance(5000);
    assert.equal(sim.inspect(uuid).usedKiB, mib(700));
  });

  it('tmpfs demand beyond RAM + swap cannot be OOM-killed away: the guest panics', async () => {
    const { sim, uuid, events } = setup({ memory: ramp(mib(1000), mib(4000), mib(100)), tmpfs: true });
    sim.advance(3000);
    const vm = sim.inspect(uuid);
    assert.equal(vm.state, 'crashed');
    assert.equal(vm.oomKills, 1);
    assert.equal(vm.deaths, 1);
    assert.deepEqual(events.at(-1), { kind: 'lifecycle', uuid, name: 'g1', event: 'crashed', detail: 0 });
  });

  it('a MOM-like policy (every guest +5 % per 10 s, whatever it needs) lets a tmpfs writer die', async () => {
    // DESIGN.md: four 512/2048 MiB guests, one writing 20 MiB/s into tmpfs; MOM grew all of them
    const sim = new SimCluster({ seed: 1 });
    sim.addHost({ id: 'h1', memoryKiB: gib(24) });
    const hv = new SimHypervisor(sim, 'h1');
    const guest = { vcpus: 1, maxMemoryKiB: gib(2), memoryKiB: mib(512), swapKiB: 0, memStatsPeriodSec: 5 };
    const writer = sim.createVm('h1', { ...guest, name: 'writer', memory: ramp(mib(150), gib(2), mib(20)), tmpfs: true }).uuid;
    for (let i = 0; i < 3; i++) sim.createVm('h1', { ...guest, name: `idle${i}`, memory: constant(mib(150)) });
    let diedAtSec = -1;
    for (let t = 0; t < 300 && diedAtSec < 0; t += 10) {
      for (const vm of await hv.listVms()) {
        if (vm.state !== 'running') continue;
        const cur = sim.inspect(vm.uuid).targetKiB;
        await hv.setMemory(vm.uuid, Math.min(gib(2), Math.round(cur * 1.05)));
      }
      sim.advance(10_000);
      if (sim.inspect(writer).state === 'crashed') diedAtSec = sim.nowMs / 1000;
    }
    assert.ok(diedAtSec > 0 && diedAtSec <= 60, `writer died at ${diedAtSec} s`);
    const idle = sim.inspectAll().filter((v) => v.name.startsWith('idle'));
    assert.ok(idle.every((v) => v.currentKiB > mib(512) && v.usedKiB === mib(150)), 'idle guests grew for nothing');
  });

  it('a balloon growing in time keeps a growing guest alive (the coordinator scenario)', async () => {
    const { sim, hv, uuid } = setup({ memory: ramp(mib(400), mib(1800), mib(20)), memStatsPeriodSec: 1 });
    // a simple policy: keep 200 MiB unused
    for (let t = 0; t < 80; t++) {
      const b = await balloon(hv);
      if (b.unusedKiB !== undefined && b.unusedKiB < mib(200)) {
        await hv.setMemory(uuid, Math.min(gib(2), b.currentKiB + mib(100)));
      }
      sim.advance(1000);
    }
    const vm = sim.inspect(uuid);
    assert.equal(vm.oomKills, 0);
    assert.equal(vm.deaths, 0);
    assert.ok(vm.currentKiB > mib(1800));
  });

  it('host free = total − overhead − Σ balloon sizes; setMemory fails if the host would go negative', async () => {
    const { sim, hv, uuid } = setup({ memoryKiB: gib(1) }, { memoryKiB: gib(4), overheadKiB: mib(512) });
    const other = sim.createVm('h1', { name: 'g2', vcpus: 1, maxMemoryKiB: gib(4), memoryKiB: gib(2) }).uuid;
    let node = await hv.nodeMemory();
    assert.equal(node.totalKiB, gib(4));
    assert.equal(node.freeKiB, gib(4) - mib(512) - gib(3));
    // growing g1 by 512 MiB would leave −0 KiB: exactly fits; 513 MiB does not
    await assert.rejects(hv.setMemory(uuid, gib(1) + mib(513)), isOperationFailed);
    await hv.setMemory(uuid, gib(1) + mib(512));
    sim.advance(1000);
    node = await hv.nodeMemory();
    assert.equal(node.freeKiB, mib(256), 'free shrinks as the balloon moves');
    sim.advance(1000);
    assert.equal((await hv.nodeMemory()).freeKiB, 0);
    // the committed target counts even before the balloon gets there
    await hv.setMemory(other, gib(1));
    await assert.rejects(hv.setMemory(uuid, gib(2)), isOperationFailed);
    sim.advance(4000);
    assert.equal((await hv.nodeMemory()).freeKiB, gib(1));
    // NUMA cells add up to the host's free memory (plus nothing else)
    const info = await hv.hostInfo();
    const cellsFree = info.numaCells.reduce((n, c) => n + c.freeKiB, 0);
    assert.ok(Math.abs(cellsFree - gib(1)) <= info.numaCells.length);
  });

  it('setMemory above the maximum or at zero is an invalid argument', async () => {
    const { hv, uuid } = setup({});
    await assert.rejects(hv.setMemory(uuid, gib(2) + 1), isInvalidArg);
    await assert.rejects(hv.setMemory(uuid, 0), isInvalidArg);
    await assert.rejects(hv.setMemory('00000000-0000-4000-8000-000000000000', gib(1)), isNoDomain);
  });

  it('a guest started with less memory than it needs dies at boot', () => {
    const { sim, uuid } = setup({ memoryKiB: mib(128), memory: constant(mib(600)), baseMemoryKiB: mib(600) });
    assert.equal(sim.inspect(uuid).state, 'crashed');
  });
});
