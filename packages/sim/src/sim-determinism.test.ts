import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimCluster } from './sim-cluster.js';
import { SimHypervisor } from './sim-hypervisor.js';
import { buildRandomCluster } from './sim-scenario.js';

/** Everything a collector could read from the cluster, plus every event, as one string. */
async function run(seed: number, stripHints = false): Promise<string> {
  const sim = buildRandomCluster({ seed, hosts: 6, vmsPerHost: 15, pcpusPerHost: 8, statsPeriodSec: 2 });
  if (stripHints) stripHoldHints(sim);
  const events: string[] = [];
  sim.onEvent((ev, hostId) => events.push(`${sim.nowMs} ${hostId} ${JSON.stringify(ev)}`));
  const hvs = sim.hosts().map((h) => new SimHypervisor(sim, h.id));
  const out: unknown[] = [];
  for (let round = 0; round < 12; round++) {
    sim.advance(10_000);
    // a little actuation so the run exercises balloons, pinning and tuning
    const first = hvs[round % hvs.length] as SimHypervisor;
    const [vm] = await first.listVms();
    if (vm && vm.state === 'running') {
      await first.pinVcpu(vm.uuid, 0, [round % 8]).catch(() => undefined);
      await first.setCpuTune(vm.uuid, { shares: 512 + 128 * round }).catch(() => undefined);
      await first.setMemory(vm.uuid, 1024 * (600 + 50 * round)).catch(() => undefined);
    }
    for (const hv of hvs) {
      out.push(await hv.collectStats({ balloon: true, vcpu: true }), await hv.nodeCpuTimes(), await hv.nodeMemory());
    }
  }
  return JSON.stringify({ out, events, totals: sim.totals() });
}

/** Wraps every workload signal in a plain function, so the simulator cannot use holdUntil hints. */
function stripHoldHints(sim: SimCluster): void {
  for (const host of sim.hosts()) {
    for (const vm of host.vmList) {
      const cpu = vm.cpuSignals.map((s) => (t: number) => s(t));
      const mem = vm.memSignal;
      sim.setWorkload(vm.uuid, { cpu, memory: (t) => mem(t) });
    }
  }
}

describe('sim determinism', () => {
  it('the same seed and scenario give identical stats and events', async () => {
    const a = await run(1234);
    const b = await run(1234);
    assert.equal(a, b);
    assert.ok(a.length > 100_000);
  });

  it('a different seed gives a different run', async () => {
    assert.notEqual(await run(1234), await run(4321));
  });

  it('the holdUntil shortcut changes nothing', async () => {
    assert.equal(await run(77, true), await run(77));
  });

  it('the random scenario exercises the interesting paths', async () => {
    const sim = buildRandomCluster({ seed: 5, hosts: 4, vmsPerHost: 20, pcpusPerHost: 8 });
    sim.advance(600_000);
    const all = sim.inspectAll();
    assert.ok(sim.totals().oomKills > 0, 'some OOM kills');
    assert.ok(all.some((v) => v.swappedKiB > 0 || v.swapInKiB > 0), 'some swapping');
  });
});
