/**
 * Memory coordinator benchmark: the same simulated memory traces (memory-scenarios.ts) through Ballast's
 * memory-balloon policy, through oVirt MOM's default balloon rule (memory-mom-rule.ts), and through MOM's
 * rule held to the same budget (memory-mom-budget.ts), with the same control loop — the engine's own parts
 * (sim-loop.ts, memory-run.ts): every 2 s of simulated time the collector's HostSampler reads the simulated
 * host, the engine's ClusterState keeps the windows, the engine's PolicyCycle plans (in-flight targets,
 * repeats, outcomes as in production), and the jobs it enqueues are applied at the next cycle (as the job
 * queue would).
 *
 * The host: 512 MiB of host overhead; budget 768 MiB per VM (3072 MiB for the lab's 4 guests), given to
 * Ballast as `host.budgetMiB` and to MOM-budget as its cap; host memory = (budget + overhead) / 0.8, so that
 * MOM's pressure threshold (host free < 20 %) is reached exactly when the guests' balloons sum to the budget.
 * Every side thus has the same memory to hand out before it must take it back.
 *
 * Then the memory pressure moves (memory-moves-bench.ts): the "all past the budget" family over several
 * hosts, with the cluster policy moving VMs off the host whose budget binds.
 *
 *   node bench/dist/main.js memory
 */
import { memoryBalloonPolicy, type Policy } from '@ballast/domain';
import { MOM_DEFAULTS, momBalloonRule } from './memory-mom-rule.js';
import { momBudgetRule } from './memory-mom-budget.js';
import { memoryMovesBench } from './memory-moves-bench.js';
import { ballastArgs, CRITICAL_UNUSED_MIB, oneHost, runMemory, type MemoryRunResult } from './memory-run.js';
import { SCENARIOS, type Scenario } from './memory-scenarios.js';
import type { CycleHook, LoopPolicy } from './sim-loop.js';
import { median, percentile, type BenchRow } from './stats.js';

export const BUDGET_PER_VM_MIB = 768;
export const SEEDS = [1, 2, 3];
export const VM_COUNTS = [4, 50, 200];

export { ballastArgs, type MemoryRunResult } from './memory-run.js';
export type { CycleHook } from './sim-loop.js';

/** The scenario's `count` VMs on one host with a budget of 768 MiB each, through one policy. */
export async function runMemoryScenario(scenario: Scenario, count: number, seed: number, planner: LoopPolicy, onCycle?: CycleHook): Promise<MemoryRunResult> {
  return runMemory(scenario, count, seed, oneHost(count, BUDGET_PER_VM_MIB), [planner], onCycle);
}

interface Side {
  name: string;
  short: string;
  planner: (count: number) => LoopPolicy;
}

const SIDES: Side[] = [
  { name: 'ballast', short: 'b', planner: (count) => ({ policy: memoryBalloonPolicy as Policy<unknown>, args: ballastArgs(BUDGET_PER_VM_MIB * count) }) },
  { name: 'mom', short: 'M', planner: () => ({ policy: momBalloonRule as Policy<unknown>, args: { ...MOM_DEFAULTS } }) },
  {
    name: 'mom-budget',
    short: 'Mb',
    planner: (count) => ({ policy: momBudgetRule as Policy<unknown>, args: { ...MOM_DEFAULTS, budgetMiB: BUDGET_PER_VM_MIB * count } }),
  },
];

const total = (rs: MemoryRunResult[], f: (r: MemoryRunResult) => number): number => rs.reduce((s, r) => s + f(r), 0);

function summary(rs: MemoryRunResult[]): string {
  const m = (f: (r: MemoryRunResult) => number): number => median(rs.map(f));
  return (
    `deaths ${total(rs, (r) => r.deaths)}, oom ${total(rs, (r) => r.oomKills)} (all runs); ` +
    `critical (< ${CRITICAL_UNUSED_MIB} MiB unused) ${m((r) => r.criticalVmCycles)} VM-cycles; ` +
    `returned ${m((r) => r.returnedMiB)} MiB, avg Σ ${m((r) => r.avgSumMiB)} MiB, headroom ${m((r) => r.headroomMiBs)} MiB·s, ` +
    `swap-in ${m((r) => r.swapInMiB)} MiB, over budget ≤ ${Math.max(...rs.map((r) => r.maxOverBudgetMiB))} MiB, jobs ${m((r) => r.jobs)}` +
    (rs.some((r) => r.rejectedJobs > 0) ? `, rejected ${total(rs, (r) => r.rejectedJobs)}` : '')
  );
}

/** Every side's runs of one scenario and VM count, by side name. */
export type SideResults = Map<string, MemoryRunResult[]>;

async function runSides(scenario: Scenario, count: number, rows: BenchRow[]): Promise<SideResults> {
  const results: SideResults = new Map();
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
  return results;
}

/** The rows comparing ours with MOM and MOM-budget, and the table line. */
function compare(scenario: Scenario, count: number, results: SideResults, rows: BenchRow[]): string[] {
  const get = (n: string): MemoryRunResult[] => results.get(n) ?? [];
  const ours = get('ballast');
  const starved = (rs: MemoryRunResult[]): number => median(rs.map((r) => r.starvedVmCycles));
  const ratio = (a: number, b: number): number => (b > 0 ? a / b : a > 0 ? Infinity : 0);
  const bench = `memory ${scenario.name} ${count}vm`;
  rows.push({ bench, variant: 'bound', median: median(ours.map((r) => r.boundStarvedVmCycles)), unit: 'starved VM-cycles', runs: ours.length, note: 'unavoidable within the budget (perfect knowledge, instant balloons)' });
  const vsMom = ratio(starved(ours), starved(get('mom')));
  const deaths = total(ours, (r) => r.deaths);
  rows.push({ bench, variant: 'ballast/mom', median: vsMom, unit: 'ratio', runs: ours.length, note: `target ≤ 0.5 with 0 deaths: ${vsMom <= 0.5 && deaths === 0 ? 'met' : 'missed'}` });
  // against MOM held to the budget: OOM kills and critical VM-cycles at most half, no death
  const mb = get('mom-budget');
  const oomOk = total(ours, (r) => r.oomKills) <= total(mb, (r) => r.oomKills) / 2;
  const critOk = median(ours.map((r) => r.criticalVmCycles)) <= median(mb.map((r) => r.criticalVmCycles)) / 2;
  const critBound = noOomCriticalBound(results);
  rows.push({
    bench,
    variant: 'ballast/mom-budget',
    median: ratio(median(ours.map((r) => r.criticalVmCycles)), median(mb.map((r) => r.criticalVmCycles))),
    unit: 'ratio (critical)',
    runs: ours.length,
    note:
      `OOM kills ${total(ours, (r) => r.oomKills)} vs ${total(mb, (r) => r.oomKills)}; critical with no OOM kill ≥ ${critBound} for any policy ` +
      `(half of MOM-budget's: ${median(mb.map((r) => r.criticalVmCycles)) / 2}); target OOM and critical ≤ half, 0 deaths: ${oomOk && critOk && deaths === 0 ? 'met' : 'missed'}`,
  });
  const per = (f: (r: MemoryRunResult) => number, sum = false): string =>
    SIDES.map((s) => {
      const rs = get(s.name);
      return String(sum ? total(rs, f) : median(rs.map(f)));
    }).join(' / ');
  return [
    scenario.name,
    String(count),
    per((r) => r.starvedVmCycles),
    vsMom.toFixed(2),
    String(median(ours.map((r) => r.boundStarvedVmCycles))),
    per((r) => r.criticalVmCycles),
    String(critBound),
    per((r) => r.deaths, true),
    per((r) => r.oomKills, true),
    per((r) => r.returnedMiB),
    per((r) => r.avgSumMiB),
    per((r) => r.swapInMiB),
  ];
}

/**
 * The lower bound on critical VM-cycles with no OOM kill, on the trace as the scenario wants it: a side's
 * OOM kills free memory and lower the demand after them, so the largest of the sides' medians.
 */
function noOomCriticalBound(results: SideResults): number {
  return Math.max(0, ...[...results.values()].map((rs) => median(rs.map((r) => r.boundCriticalNoOomVmCycles))));
}

function printLines(lines: string[][]): void {
  const widths = (lines[0] ?? []).map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  console.log();
}

export async function memoryBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const sides = SIDES.map((s) => s.short).join('/');
  const lines: string[][] = [
    ['scenario', 'VMs', `starved ${sides}`, 'b/M', 'bound', `critical ${sides}`, 'crit. bound', `deaths ${sides}`, `OOM kills ${sides}`, `returned MiB ${sides}`, `avg Σ MiB ${sides}`, `swap-in MiB ${sides}`],
  ];
  const onePast = new Map<number, MemoryRunResult[]>();
  for (const scenario of SCENARIOS) {
    for (const count of VM_COUNTS) {
      const results = await runSides(scenario, count, rows);
      lines.push(compare(scenario, count, results, rows));
      if (scenario.name === 'all-past-budget') onePast.set(count, results.get('ballast') ?? []);
    }
  }
  console.log(
    `memory: Ballast memory-balloon (b) vs MOM balloon.rules (M) vs MOM held to the budget (Mb), one host — medians of ${SEEDS.length} seeds ` +
      `(deaths and OOM kills: totals; critical: < ${CRITICAL_UNUSED_MIB} MiB unused; ` +
      `crit. bound: fewest critical VM-cycles any policy within the budget can have without an OOM kill)`,
  );
  printLines(lines);
  rows.push(...(await memoryMovesBench(onePast)));
  return rows;
}
