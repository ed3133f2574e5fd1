/**
 * Memory coordinator benchmark: the same simulated memory traces (memory-scenarios.ts) through Ballast's
 * memory-balloon policy and through oVirt MOM's default balloon rule (memory-mom-rule.ts), with the same
 * control loop — the engine's own parts (sim-loop.ts): every 2 s of simulated time the collector's
 * HostSampler reads the simulated host, the engine's ClusterState keeps the windows, the engine's
 * PolicyCycle plans (in-flight targets, repeats, outcomes as in production), and the jobs it enqueues are
 * applied at the next cycle (as the job queue would).
 *
 * The host: 512 MiB of host overhead; budget 768 MiB per VM (3072 MiB for the lab's 4 guests), given to
 * Ballast as `host.budgetMiB`; host memory = (budget + overhead) / 0.8, so that MOM's pressure threshold
 * (host free < 20 %) is reached exactly when the guests' balloons sum to the budget. Both policies thus
 * have the same memory to hand out before they must take it back.
 *
 *   node bench/dist/main.js memory
 */
import { defaultMemoryBalloonArgs, KIB_PER_MIB, kibToMib, memoryBalloonPolicy, mulberry32, type MemoryBalloonArgs, type Policy } from '@ballast/domain';
import { mib, SimCluster, SimHypervisor } from '@ballast/sim';
import { MOM_DEFAULTS, momBalloonRule } from './memory-mom-rule.js';
import { SCENARIOS, type Scenario } from './memory-scenarios.js';
import { SimLoop, type CycleHook } from './sim-loop.js';
import { median, percentile, type BenchRow } from './stats.js';

const CYCLE_MS = 2000;
const BUDGET_PER_VM_MIB = 768;
const HOST_OVERHEAD_MIB = 512;
const START_MIB = 512;
const MAX_MIB = 2048;
const MIN_UNUSED_MIB = 100;
const SEEDS = [1, 2, 3];
const VM_COUNTS = [4, 50, 200];
/** Below this much unused memory a guest is at the edge of OOM. */
const CRITICAL_UNUSED_MIB = 32;

export interface MemoryRunResult {
  /** VM-cycles with less than 100 MiB unused in the guest (a crashed guest counts as starved). */
  starvedVmCycles: number;
  /** VM-cycles with less than 32 MiB unused (a guest at the edge of OOM; a crashed guest counts). */
  criticalVmCycles: number;
  /**
   * Lower bound for any policy that keeps Σ balloons within the budget, knowing demand perfectly and moving
   * balloons instantly: each cycle, the VMs whose used + kernel + 100 MiB do not fit in the budget (filling
   * it smallest need first) must starve. The same for both sides (it depends on the trace only).
   */
  boundStarvedVmCycles: number;
  deaths: number;
  oomKills: number;
  startSumMiB: number;
  finalSumMiB: number;
  avgSumMiB: number;
  /** Σ balloons at the start − at the end: memory handed back to the host. */
  returnedMiB: number;
  /** ∫ (budget − Σ balloons) dt over the run, MiB·s: memory the host had back, over time. */
  headroomMiBs: number;
  swapInMiB: number;
  /** Largest Σ balloons − budget seen (0 if never over). */
  maxOverBudgetMiB: number;
  jobs: number;
  rejectedJobs: number;
}

/** One side of the comparison: a policy and its args. */
interface Planner {
  policy: Policy<unknown>;
  args: unknown;
}

const prng = mulberry32;

export function ballastArgs(budgetMiB: number): MemoryBalloonArgs {
  const a = defaultMemoryBalloonArgs();
  a.host.budgetMiB = budgetMiB;
  return a;
}

export type { CycleHook } from './sim-loop.js';

/**
 * Counts one cycle into the result (starved / critical VM-cycles, the perfect-knowledge bound) and
 * returns Σ balloons (MiB).
 */
function countCycle(sim: SimCluster, budgetMiB: number, r: MemoryRunResult): number {
  let sumMiB = 0;
  const needs: number[] = [];
  for (const vm of sim.inspectAll()) {
    if (vm.state === 'shutoff') continue;
    sumMiB += kibToMib(vm.currentKiB);
    const unusedMiB = (vm.currentKiB - vm.kernelKiB - (vm.usedKiB - vm.swappedKiB) - vm.cacheKiB) / KIB_PER_MIB;
    if (vm.state !== 'running' || unusedMiB < MIN_UNUSED_MIB) r.starvedVmCycles++;
    if (vm.state !== 'running' || unusedMiB < CRITICAL_UNUSED_MIB) r.criticalVmCycles++;
    if (vm.state === 'running') needs.push(kibToMib(vm.usedKiB + vm.kernelKiB) + MIN_UNUSED_MIB);
  }
  needs.sort((a, b) => a - b);
  let room = budgetMiB;
  let fit = 0;
  while (fit < needs.length && (needs[fit] ?? 0) <= room) room -= needs[fit++] ?? 0;
  r.boundStarvedVmCycles += needs.length - fit;
  return sumMiB;
}

export async function runMemoryScenario(scenario: Scenario, count: number, seed: number, planner: Planner, onCycle?: CycleHook): Promise<MemoryRunResult> {
  const budgetMiB = BUDGET_PER_VM_MIB * count;
  const hostMiB = Math.ceil((budgetMiB + HOST_OVERHEAD_MIB) / 0.8);
  const sim = new SimCluster({ seed, cycleMs: 1000 });
  sim.addHost({ id: 'h1', pcpus: 8, memoryKiB: mib(hostMiB), overheadKiB: mib(HOST_OVERHEAD_MIB) });
  for (const t of scenario.vms(count, prng(seed))) {
    sim.createVm('h1', {
      name: t.name,
      vcpus: 1,
      maxMemoryKiB: mib(MAX_MIB),
      memoryKiB: mib(START_MIB),
      memory: t.memory,
      baseMemoryKiB: mib(80),
      kernelKiB: mib(64),
      swapKiB: mib(128),
      tmpfs: t.tmpfs,
      memStatsPeriodSec: 2,
    });
  }
  const hv = new SimHypervisor(sim, 'h1');
  const loop = new SimLoop(sim, hv, 'h1', CYCLE_MS, planner, onCycle);
  const r: MemoryRunResult = {
    starvedVmCycles: 0,
    criticalVmCycles: 0,
    boundStarvedVmCycles: 0,
    deaths: 0,
    oomKills: 0,
    startSumMiB: count * START_MIB,
    finalSumMiB: 0,
    avgSumMiB: 0,
    returnedMiB: 0,
    headroomMiBs: 0,
    swapInMiB: 0,
    maxOverBudgetMiB: 0,
    jobs: 0,
    rejectedJobs: 0,
  };
  let cycles = 0;
  let sumOfSums = 0;
  for (let t = 0; t < scenario.durationMs; t += CYCLE_MS) {
    sim.advance(CYCLE_MS);
    await loop.applyPending();
    await loop.sample();
    const sumMiB = countCycle(sim, budgetMiB, r);
    cycles++;
    sumOfSums += sumMiB;
    r.headroomMiBs += ((budgetMiB - sumMiB) * CYCLE_MS) / 1000;
    r.maxOverBudgetMiB = Math.max(r.maxOverBudgetMiB, sumMiB - budgetMiB);
    await loop.plan(t + CYCLE_MS, budgetMiB);
  }
  r.jobs = loop.jobsSent;
  r.rejectedJobs = loop.jobsRejected;
  const totals = sim.totals();
  r.deaths = totals.deaths;
  r.oomKills = totals.oomKills;
  const final = sim.inspectAll().filter((v) => v.state !== 'shutoff');
  r.finalSumMiB = Math.round(final.reduce((s, v) => s + kibToMib(v.currentKiB), 0));
  r.avgSumMiB = Math.round(sumOfSums / Math.max(cycles, 1));
  r.returnedMiB = r.startSumMiB - r.finalSumMiB;
  r.headroomMiBs = Math.round(r.headroomMiBs);
  r.swapInMiB = Math.round(final.reduce((s, v) => s + kibToMib(v.swapInKiB), 0));
  r.maxOverBudgetMiB = Math.round(r.maxOverBudgetMiB);
  return r;
}

interface Side {
  name: string;
  planner: (count: number) => Planner;
}

const SIDES: Side[] = [
  { name: 'ballast', planner: (count) => ({ policy: memoryBalloonPolicy as Policy<unknown>, args: ballastArgs(BUDGET_PER_VM_MIB * count) }) },
  { name: 'mom', planner: () => ({ policy: momBalloonRule as Policy<unknown>, args: { ...MOM_DEFAULTS } }) },
];

function summary(rs: MemoryRunResult[]): string {
  const m = (f: (r: MemoryRunResult) => number): number => median(rs.map(f));
  return (
    `deaths ${rs.reduce((s, r) => s + r.deaths, 0)}, oom ${rs.reduce((s, r) => s + r.oomKills, 0)} (all runs); ` +
    `critical (< ${CRITICAL_UNUSED_MIB} MiB unused) ${m((r) => r.criticalVmCycles)} VM-cycles; ` +
    `returned ${m((r) => r.returnedMiB)} MiB, avg Σ ${m((r) => r.avgSumMiB)} MiB, headroom ${m((r) => r.headroomMiBs)} MiB·s, ` +
    `swap-in ${m((r) => r.swapInMiB)} MiB, over budget ≤ ${Math.max(...rs.map((r) => r.maxOverBudgetMiB))} MiB, jobs ${m((r) => r.jobs)}` +
    (rs.some((r) => r.rejectedJobs > 0) ? `, rejected ${rs.reduce((s, r) => s + r.rejectedJobs, 0)}` : '')
  );
}

export async function memoryBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const lines: string[][] = [
    ['scenario', 'VMs', 'starved: ballast', 'MOM', 'ratio', 'bound', 'deaths b/M', 'OOM kills b/M', 'returned MiB b/M', 'avg Σ MiB b/M', 'swap-in MiB b/M'],
  ];
  for (const scenario of SCENARIOS) {
    for (const count of VM_COUNTS) {
      const results = new Map<string, MemoryRunResult[]>();
      for (const side of SIDES) {
        const rs: MemoryRunResult[] = [];
        for (const seed of SEEDS) rs.push(await runMemoryScenario(scenario, count, seed, side.planner(count)));
        results.set(side.name, rs);
        rows.push({
          bench: `memory ${scenario.name} ${count}vm`,
          variant: side.name,
          median: median(rs.map((r) => r.starvedVmCycles)),
          p90: percentile(rs.map((r) => r.starvedVmCycles), 90),
          unit: 'starved VM-cycles',
          runs: rs.length,
          note: summary(rs),
        });
      }
      const ours = results.get('ballast') ?? [];
      const mom = results.get('mom') ?? [];
      const o = median(ours.map((r) => r.starvedVmCycles));
      const m = median(mom.map((r) => r.starvedVmCycles));
      const ratio = m > 0 ? o / m : o > 0 ? Infinity : 0;
      const deaths = (rs: MemoryRunResult[]): number => rs.reduce((s, r) => s + r.deaths, 0);
      rows.push({
        bench: `memory ${scenario.name} ${count}vm`,
        variant: 'bound',
        median: median(ours.map((r) => r.boundStarvedVmCycles)),
        unit: 'starved VM-cycles',
        runs: ours.length,
        note: 'unavoidable within the budget (perfect knowledge, instant balloons)',
      });
      rows.push({
        bench: `memory ${scenario.name} ${count}vm`,
        variant: 'ballast/mom',
        median: ratio,
        unit: 'ratio',
        runs: ours.length,
        note: `target ≤ 0.5 with 0 deaths: ${ratio <= 0.5 && deaths(ours) === 0 ? 'met' : 'missed'}`,
      });
      const pair = (f: (r: MemoryRunResult) => number, sum = false): string => {
        const v = (rs: MemoryRunResult[]): number => (sum ? rs.reduce((s, r) => s + f(r), 0) : median(rs.map(f)));
        return `${v(ours)} / ${v(mom)}`;
      };
      lines.push([
        scenario.name,
        String(count),
        String(o),
        String(m),
        ratio.toFixed(2),
        String(median(ours.map((r) => r.boundStarvedVmCycles))),
        pair((r) => r.deaths, true),
        pair((r) => r.oomKills, true),
        pair((r) => r.returnedMiB),
        pair((r) => r.avgSumMiB),
        pair((r) => r.swapInMiB),
      ]);
    }
  }
  const widths = (lines[0] ?? []).map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  console.log(`memory: Ballast memory-balloon vs MOM balloon.rules — medians of ${SEEDS.length} seeds (deaths and OOM kills: totals)`);
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  console.log();
  return rows;
}
