/**
 * vCPU balance quality on simulated traces (cpu-scenarios.ts): the same seeded runs balanced by Ballast's
 * vcpu-balance policy, by a naive round-robin pinner and by nobody (the simulator's kernel-like scheduler
 * alone, sim-cpu-placement.ts), side by side. Every side runs the engine's own loop (sim-loop.ts): every
 * 2 s the collector's HostSampler reads the simulated host, ClusterState keeps the windows, PolicyCycle
 * plans, and the pin jobs are applied (and recorded in the domain) at the next cycle, as the actuator would.
 *
 * Measured from the sampler's reports (what a collector sees): the population std dev of the pCPUs' usage
 * each cycle — its median over the run and its mean over the last 30 s ("final") — the pin changes made,
 * and the CPU each VM received over the run, also as a ratio to the same run without pinning.
 */
import { vcpuBalancePolicy, type Policy } from '@ballast/domain';
import { gib, SimCluster, SimHypervisor } from '@ballast/sim';
import { noPinning, roundRobinPinner } from './cpu-baselines.js';
import { CPU_SCENARIOS, dutySignal, type CpuScenario } from './cpu-scenarios.js';
import { SimLoop } from './sim-loop.js';
import { median, type BenchRow } from './stats.js';

const CYCLE_MS = 2000;
const FINAL_MS = 30_000;
const SEEDS = [1, 2, 3];

export interface CpuRunResult {
  /** pCPU usage std dev per cycle (points), from the second sample on. */
  stdDevs: number[];
  finalStdDev: number;
  medianStdDev: number;
  pinChanges: number;
  /** CPU each VM received over the run, % of one pCPU. */
  cpuPercent: number[];
}

interface Side {
  name: string;
  policy: Policy<unknown>;
  args: unknown;
}

export const CPU_SIDES: Side[] = [
  { name: 'ballast', policy: vcpuBalancePolicy as Policy<unknown>, args: vcpuBalancePolicy.defaults },
  { name: 'round-robin', policy: roundRobinPinner, args: {} },
  { name: 'none', policy: noPinning, args: {} },
];

function stdDev(xs: readonly number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length));
}

export async function runCpuScenario(sc: CpuScenario, seed: number, side: Side): Promise<CpuRunResult> {
  const sim = new SimCluster({ seed, cycleMs: 1000 });
  sim.addHost({ id: 'h1', pcpus: sc.pcpus, memoryKiB: gib(64) });
  const vms = sc.phases[0]?.[1].length ?? 0;
  const uuids = Array.from({ length: vms }, (_, i) => sim.createVm('h1', { name: `vm${i}`, vcpus: 1, maxMemoryKiB: gib(1), cpu: dutySignal(sc, i, seed * 1000 + i) }).uuid);
  const hv = new SimHypervisor(sim, 'h1');
  const loop = new SimLoop(sim, hv, 'h1', CYCLE_MS, side);
  const stdDevs: number[] = [];
  for (let t = 0; t < sc.durationMs; t += CYCLE_MS) {
    sim.advance(CYCLE_MS);
    await loop.applyPending();
    const report = await loop.sample();
    if (t > 0) stdDevs.push(stdDev(report.pcpus.map((p) => p.usagePercent)));
    await loop.plan(t + CYCLE_MS, 0);
  }
  const last = stdDevs.slice(-FINAL_MS / CYCLE_MS);
  return {
    stdDevs,
    finalStdDev: last.reduce((a, b) => a + b, 0) / Math.max(1, last.length),
    medianStdDev: median(stdDevs),
    pinChanges: loop.applied.get('pin-vcpu') ?? 0,
    cpuPercent: uuids.map((u) => (100 * sim.inspect(u).cpuTimeNs) / (sc.durationMs * 1e6)),
  };
}

const f1 = (x: number): string => x.toFixed(1);

export async function cpuQualityBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const lines: string[][] = [['scenario', 'side', 'final sd', 'median sd', 'pins', 'CPU per VM %', 'vs none (per VM)']];
  for (const sc of CPU_SCENARIOS) {
    const runs = new Map<string, CpuRunResult[]>();
    for (const side of CPU_SIDES) runs.set(side.name, await Promise.all(SEEDS.map((seed) => runCpuScenario(sc, seed, side))));
    const none = runs.get('none') ?? [];
    for (const side of CPU_SIDES) {
      const rs = runs.get(side.name) ?? [];
      const vms = sc.phases[0]?.[1] ?? [];
      const cpu = vms.map((_, i) => rs.reduce((s, r) => s + (r.cpuPercent[i] ?? 0), 0) / rs.length);
      const base = vms.map((_, i) => none.reduce((s, r) => s + (r.cpuPercent[i] ?? 0), 0) / Math.max(1, none.length));
      const ratio = cpu.map((c, i) => c / Math.max(1e-9, base[i] ?? 0));
      const m = (f: (r: CpuRunResult) => number): number => median(rs.map(f));
      lines.push([sc.name, side.name, f1(m((r) => r.finalStdDev)), f1(m((r) => r.medianStdDev)), String(m((r) => r.pinChanges)), cpu.map(f1).join('/'), ratio.map((x) => x.toFixed(2)).join('/')]);
      rows.push({
        bench: `cpu quality ${sc.name}`,
        variant: side.name,
        median: m((r) => r.medianStdDev),
        unit: 'pCPU std dev (points)',
        runs: rs.length,
        note: `final ${f1(m((r) => r.finalStdDev))}; pins ${m((r) => r.pinChanges)}; CPU per VM ${cpu.map(f1).join('/')} %; vs none ${ratio.map((x) => x.toFixed(2)).join('/')}`,
      });
    }
  }
  const widths = (lines[0] ?? []).map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  console.log(`cpu quality: vcpu-balance vs round-robin pinning vs no pinning (kernel-like sim) — medians of ${SEEDS.length} seeds (CPU: mean)`);
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  console.log();
  return rows;
}
