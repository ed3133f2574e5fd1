/**
 * Simulator benchmark: build a random cluster, advance it, collect stats. Wall-clock timing here is the
 * measurement only; the simulation itself never reads a clock.
 *
 *   node packages/hypervisor/dist/sim-bench.js [hosts=200] [vmsPerHost=20] [cycles=1000]
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { SimCluster } from './sim-cluster.js';
import { SimHypervisor } from './sim-hypervisor.js';
import { buildRandomCluster } from './sim-scenario.js';
import { constant, gib, mib, ramp } from './sim-workload.js';

export interface SimBenchResult {
  hosts: number;
  vms: number;
  cycles: number;
  buildMs: number;
  advanceMs: number;
  /** CPU time of this process during the advance (less sensitive to other load on the machine). */
  advanceCpuMs: number;
  usPerVmCycle: number;
  collectAllMs: number;
  collect1000VmsMs: number;
  usPerVmCollect: number;
  oomKills: number;
  deaths: number;
}

export async function runSimBench(hosts = 200, vmsPerHost = 20, cycles = 1000): Promise<SimBenchResult> {
  let t = performance.now();
  const sim = buildRandomCluster({ seed: 42, hosts, vmsPerHost });
  const buildMs = performance.now() - t;

  t = performance.now();
  const cpu0 = process.cpuUsage();
  sim.tick(cycles);
  const advanceMs = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const advanceCpuMs = (cpu.user + cpu.system) / 1000;

  const hvs = sim.hosts().map((h) => new SimHypervisor(sim, h.id));
  t = performance.now();
  for (const hv of hvs) await hv.collectStats({ balloon: true, vcpu: true });
  const collectAllMs = performance.now() - t;

  // one host with 1,000 VMs
  const big = new SimCluster({ seed: 1 });
  big.addHost({ id: 'big', pcpus: 128, memoryKiB: gib(1100), numaNodes: 4 });
  for (let i = 0; i < 1000; i++) {
    big.createVm('big', {
      name: `vm-${i}`,
      vcpus: 2,
      maxMemoryKiB: gib(1),
      cpu: constant(0.3),
      memory: ramp(mib(200), mib(700), mib(5)),
      memStatsPeriodSec: 1,
    });
  }
  big.tick(10);
  const hv = new SimHypervisor(big, 'sim://big');
  await hv.collectStats({ balloon: true, vcpu: true }); // warm-up
  const rounds = 20;
  t = performance.now();
  for (let r = 0; r < rounds; r++) await hv.collectStats({ balloon: true, vcpu: true });
  const collect1000VmsMs = (performance.now() - t) / rounds;

  const totals = sim.totals();
  const vms = hosts * vmsPerHost;
  return {
    hosts,
    vms,
    cycles,
    buildMs: round(buildMs),
    advanceMs: round(advanceMs),
    advanceCpuMs: round(advanceCpuMs),
    usPerVmCycle: round((advanceMs * 1000) / (vms * cycles)),
    collectAllMs: round(collectAllMs),
    collect1000VmsMs: round(collect1000VmsMs),
    usPerVmCollect: round(collect1000VmsMs),
    oomKills: totals.oomKills,
    deaths: totals.deaths,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [hosts, vms, cycles] = process.argv.slice(2).map(Number);
  runSimBench(hosts || 200, vms || 20, cycles || 1000).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
