import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimCluster } from './sim-cluster.js';
import { SimHypervisor } from './sim-hypervisor.js';
import { buildRandomCluster } from './sim-scenario.js';
import { constant, gib, type Signal, steps } from './sim-workload.js';

const SEC = 1e9;

/** One host with `pcpus` pCPUs and 1-vCPU VMs, each given its demand and optional pinning/tune. */
function setup(
  pcpus: number,
  vms: { cpu: Signal; pin?: number[]; shares?: number; quotaUs?: number; vcpus?: number }[],
): { sim: SimCluster; hv: SimHypervisor; uuids: string[] } {
  const sim = new SimCluster({ seed: 3 });
  sim.addHost({ id: 'h1', pcpus, memoryKiB: gib(64) });
  const uuids = vms.map(
    (v, i) =>
      sim.createVm('h1', {
        name: `vm${i}`,
        vcpus: v.vcpus ?? 1,
        maxMemoryKiB: gib(1),
        cpu: v.cpu,
        ...(v.pin ? { pinning: Array.from({ length: v.vcpus ?? 1 }, () => v.pin as number[]) } : {}),
        ...(v.shares ? { shares: v.shares } : {}),
        ...(v.quotaUs ? { quotaUs: v.quotaUs } : {}),
      }).uuid,
  );
  return { sim, hv: new SimHypervisor(sim, 'sim://h1'), uuids };
}

async function cpuSec(hv: SimHypervisor): Promise<number[]> {
  const stats = await hv.collectStats({ balloon: false, vcpu: true });
  return stats.map((s) => (s.cpuTimeNs ?? 0) / SEC);
}

function near(actual: number, expected: number, tol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tol, `expected ≈${expected}, got ${actual}`);
}

describe('sim CPU model', () => {
  it('two busy vCPUs on one pCPU split it evenly; the other pCPU stays idle', async () => {
    const { sim, hv } = setup(2, [
      { cpu: constant(1), pin: [0] },
      { cpu: constant(1), pin: [0] },
    ]);
    sim.advance(10_000);
    const [a, b] = await cpuSec(hv);
    near(a ?? -1, 5);
    near(b ?? -1, 5);
    const times = await hv.nodeCpuTimes();
    near((times[0]?.userNs ?? 0) / SEC, 10);
    near((times[0]?.idleNs ?? -1) / SEC, 0);
    near((times[1]?.userNs ?? -1) / SEC, 0);
    near((times[1]?.idleNs ?? 0) / SEC, 10);
  });

  it('demand that fits is served in full even on a shared pCPU', async () => {
    const { sim, hv } = setup(1, [{ cpu: constant(0.3) }, { cpu: constant(0.5) }]);
    sim.advance(10_000);
    const [a, b] = await cpuSec(hv);
    near(a ?? -1, 3);
    near(b ?? -1, 5);
  });

  it('cpu shares weight the split (2048 vs 1024 → 2/3 vs 1/3)', async () => {
    const { sim, hv } = setup(1, [
      { cpu: constant(1), shares: 2048 },
      { cpu: constant(1), shares: 1024 },
    ]);
    sim.advance(9_000);
    const [a, b] = await cpuSec(hv);
    near(a ?? -1, 6);
    near(b ?? -1, 3);
  });

  it('a light vCPU keeps its demand; the heavy ones share the rest (max-min fairness)', async () => {
    const { sim, hv } = setup(1, [{ cpu: constant(0.1) }, { cpu: constant(1) }, { cpu: constant(1) }]);
    sim.advance(10_000);
    const [a, b, c] = await cpuSec(hv);
    near(a ?? -1, 1);
    near(b ?? -1, 4.5);
    near(c ?? -1, 4.5);
  });

  it('shares belong to the VM: a 2-vCPU VM with 1024 shares gets as much as a 1-vCPU VM with 1024', async () => {
    const { sim, hv } = setup(1, [{ cpu: constant(1), vcpus: 2 }, { cpu: constant(1) }]);
    sim.advance(10_000);
    const [a, b] = await cpuSec(hv);
    near(a ?? -1, 5);
    near(b ?? -1, 5);
  });

  it('vcpu_quota caps a vCPU even when the pCPU is free, and the rest goes to the others', async () => {
    const { sim, hv, uuids } = setup(1, [{ cpu: constant(1), quotaUs: 25_000 }, { cpu: constant(1) }]);
    sim.advance(10_000);
    const [a, b] = await cpuSec(hv);
    near(a ?? -1, 2.5);
    near(b ?? -1, 7.5);
    // lifting the quota restores an even split
    await hv.setCpuTune(uuids[0] as string, { quotaUs: -1 });
    sim.advance(10_000);
    const [a2, b2] = await cpuSec(hv);
    near((a2 ?? 0) - 2.5, 5);
    near((b2 ?? 0) - 7.5, 5);
    assert.deepEqual(await hv.getCpuTune(uuids[0] as string), { shares: 1024, quotaUs: -1, periodUs: 100_000, emulatorPcpus: [0] });
  });

  it('quota alone on an idle host: 50 % of a period', async () => {
    const { sim, hv } = setup(4, [{ cpu: constant(1), quotaUs: 50_000 }]);
    sim.advance(4_000);
    near((await cpuSec(hv))[0] ?? -1, 2);
  });

  it('pin changes take effect at the next cycle', async () => {
    const { sim, hv, uuids } = setup(2, [
      { cpu: constant(1), pin: [0] },
      { cpu: constant(1), pin: [0] },
    ]);
    sim.advance(10_000);
    assert.deepEqual(await hv.getVcpuPinning(uuids[1] as string), [[0]]);
    await hv.pinVcpu(uuids[1] as string, 0, [1]);
    assert.deepEqual(await hv.getVcpuPinning(uuids[1] as string), [[1]]);
    sim.advance(10_000);
    const [a, b] = await cpuSec(hv);
    near(a ?? -1, 15);
    near(b ?? -1, 15);
    const stats = await hv.collectStats({ balloon: false, vcpu: true });
    assert.equal(stats[1]?.vcpus[0]?.pcpu, 1);
    assert.equal(stats[0]?.vcpus[0]?.pcpu, 0);
  });

  it('unpinned vCPUs spread over idle pCPUs and stay where they are', async () => {
    const { sim, hv } = setup(4, [{ cpu: constant(1) }, { cpu: constant(1) }, { cpu: constant(1) }, { cpu: constant(1) }]);
    sim.advance(5_000);
    const first = (await hv.collectStats({ balloon: false, vcpu: true })).map((s) => s.vcpus[0]?.pcpu);
    assert.deepEqual([...first].sort(), [0, 1, 2, 3]);
    for (const t of await cpuSec(hv)) near(t, 5);
    sim.advance(5_000);
    const later = (await hv.collectStats({ balloon: false, vcpu: true })).map((s) => s.vcpus[0]?.pcpu);
    assert.deepEqual(later, first);
  });

  it('a pinned busy vCPU pushes unpinned ones to other pCPUs', async () => {
    const { sim, hv } = setup(2, [{ cpu: constant(1) }, { cpu: constant(1), pin: [0] }]);
    sim.advance(3_000);
    const stats = await hv.collectStats({ balloon: false, vcpu: true });
    assert.equal(stats[0]?.vcpus[0]?.pcpu, 1);
    for (const t of await cpuSec(hv)) near(t, 3);
  });

  it('placement puts the largest demands first, so demand that can fit is served in full', async () => {
    // VM order 0.3, 0.6, 0.9 on 2 pCPUs: 0.9 | 0.6 + 0.3 fits; first-come placement would not
    const { sim, hv } = setup(2, [{ cpu: constant(0.3) }, { cpu: constant(0.6) }, { cpu: constant(0.9) }]);
    sim.advance(10_000);
    const [a, b, c] = await cpuSec(hv);
    near(a ?? -1, 3);
    near(b ?? -1, 6);
    near(c ?? -1, 9);
  });

  it('demand follows its script over time', async () => {
    const { sim, hv } = setup(1, [{ cpu: steps([[0, 0.2], [5_000, 0.8]]) }]);
    sim.advance(10_000);
    near((await cpuSec(hv))[0] ?? -1, 5 * 0.2 + 5 * 0.8);
  });

  it('invariants on a random overcommitted cluster: per pCPU user + idle = elapsed, VM time = pCPU user time', async () => {
    const sim = buildRandomCluster({ seed: 11, hosts: 3, vmsPerHost: 12, pcpusPerHost: 8 });
    sim.advance(60_000);
    for (const host of sim.hosts()) {
      const hv = new SimHypervisor(sim, host.id);
      const times = await hv.nodeCpuTimes();
      let user = 0;
      for (const t of times) {
        assert.ok(Math.abs(t.userNs + t.idleNs - 60 * SEC) <= 2, `pCPU ${t.pcpu}: user+idle ≠ elapsed`);
        assert.ok(t.userNs <= 60 * SEC + 1);
        user += t.userNs;
      }
      const stats = await hv.collectStats({ balloon: false, vcpu: true });
      const vmTime = stats.reduce((n, s) => n + (s.cpuTimeNs ?? 0), 0);
      assert.ok(Math.abs(vmTime - user) < 1e3, `host ${host.id}: VM time ${vmTime} ≠ pCPU user ${user}`);
      for (const s of stats) {
        const sumVcpu = s.vcpus.reduce((n, v) => n + v.timeNs, 0);
        assert.ok(Math.abs(sumVcpu - (s.cpuTimeNs ?? 0)) <= s.vcpus.length);
      }
      assert.ok(user > 0.5 * 8 * 60 * SEC, 'expected a busy host');
    }
  });
});
