/**
 * One run of the memory benchmark: a scenario's VMs (memory-scenarios.ts) placed on one or more simulated
 * hosts of one SimCluster, the engine's loop around them (sim-loop.ts) with the policies given, every 2 s of
 * simulated time; what the guests went through, counted each cycle.
 *
 * Each host has a budget for Σ balloons (given to memory-balloon as its `budgetMiB`), 512 MiB of host
 * overhead and memory = (budget + overhead) / 0.8, so that MOM's pressure threshold (host free < 20 %) is
 * reached exactly when the guests' balloons there sum to the budget: every side has the same memory to hand
 * out before it must take it back.
 */
import { defaultMemoryBalloonArgs, KIB_PER_MIB, kibToMib, mulberry32, type MemoryBalloonArgs } from '@ballast/domain';
import { mib, SimCluster } from '@ballast/sim';
import type { Scenario } from './memory-scenarios.js';
import { SimClusterLoop, type CycleHook, type LoopMigration, type LoopPolicy } from './sim-loop.js';

export const CYCLE_MS = 2000;
export const HOST_OVERHEAD_MIB = 512;
const START_MIB = 512;
const MAX_MIB = 2048;
const MIN_UNUSED_MIB = 100;
/** Below this much unused memory a guest is at the edge of OOM. */
export const CRITICAL_UNUSED_MIB = 32;
/** Simulated migration: 500 ms setup + balloon size at this rate (the cluster policy's gate assumes the same). */
export const MIGRATION_MIB_PER_SEC = 128;

export interface MemoryRunResult {
  /** VM-cycles with less than 100 MiB unused in the guest (a crashed guest counts as starved). */
  starvedVmCycles: number;
  /** VM-cycles with less than 32 MiB unused (a guest at the edge of OOM; a crashed guest counts). */
  criticalVmCycles: number;
  /**
   * Lower bound for any policy that keeps Σ balloons within the budget, knowing demand perfectly and moving
   * balloons instantly: each cycle, the VMs whose used + kernel + 100 MiB do not fit in the budget (filling
   * it smallest need first) must starve. The same for every side (it depends on the trace only). With
   * several hosts, over the cluster's whole budget (VMs moving freely and instantly between hosts).
   */
  boundStarvedVmCycles: number;
  /**
   * Lower bound on critical VM-cycles for any policy that keeps Σ balloons within the budget and kills no
   * guest (perfect knowledge, instant balloons): each cycle every running VM must keep used + kernel − its
   * swap (else the OOM killer runs), and each VM kept out of the critical band costs 32 MiB + its swap more;
   * the budget left after the first pays for as many of the second as it can, the others are critical (all
   * of them when even the first does not fit).
   */
  boundCriticalNoOomVmCycles: number;
  deaths: number;
  oomKills: number;
  startSumMiB: number;
  finalSumMiB: number;
  avgSumMiB: number;
  /** Σ balloons at the start − at the end: memory handed back to the hosts. */
  returnedMiB: number;
  /** ∫ (budget − Σ balloons) dt over the run, MiB·s: memory the hosts had back, over time. */
  headroomMiBs: number;
  swapInMiB: number;
  /** Largest Σ balloons − budget seen on a host at a cycle (0 if never over). */
  maxOverBudgetMiB: number;
  jobs: number;
  rejectedJobs: number;
  /** Migrations started, and how they ended. */
  migrations: LoopMigration[];
}

/** A host of the run: its id, its budget for Σ balloons, and which of the scenario's VMs start there. */
export interface HostPlacement {
  id: string;
  budgetMiB: number;
  /** Indexes into the scenario's VM list. */
  vms: number[];
}

/** memory-balloon's args for the bench: defaults, each host's budget. */
export function ballastArgs(budgets: number | Readonly<Record<string, number>>): MemoryBalloonArgs {
  const a = defaultMemoryBalloonArgs();
  if (typeof budgets === 'number') a.host.budgetMiB = budgets;
  else for (const [id, budgetMiB] of Object.entries(budgets)) a.hosts[id] = { budgetMiB };
  return a;
}

/** One host holding every VM, with a budget of `budgetPerVmMiB` each. */
export function oneHost(count: number, budgetPerVmMiB: number): HostPlacement[] {
  return [{ id: 'h1', budgetMiB: budgetPerVmMiB * count, vms: Array.from({ length: count }, (_, i) => i) }];
}

/** Counts one cycle into the result (starved / critical VM-cycles, the bound, Σ over budget); returns Σ balloons (MiB). */
function countCycle(sim: SimCluster, hosts: readonly HostPlacement[], r: MemoryRunResult): number {
  const sums = new Map<string, number>(hosts.map((h) => [h.id, 0]));
  const needs: number[] = [];
  let surviveMiB = 0;
  let swapMiB = 0;
  for (const vm of sim.inspectAll()) {
    if (vm.state === 'shutoff') continue;
    sums.set(vm.hostId, (sums.get(vm.hostId) ?? 0) + kibToMib(vm.currentKiB));
    const unusedMiB = (vm.currentKiB - vm.kernelKiB - (vm.usedKiB - vm.swappedKiB) - vm.cacheKiB) / KIB_PER_MIB;
    if (vm.state !== 'running' || unusedMiB < MIN_UNUSED_MIB) r.starvedVmCycles++;
    if (vm.state !== 'running' || unusedMiB < CRITICAL_UNUSED_MIB) r.criticalVmCycles++;
    if (vm.state !== 'running') continue;
    needs.push(kibToMib(vm.usedKiB + vm.kernelKiB) + MIN_UNUSED_MIB);
    surviveMiB += Math.max(0, kibToMib(vm.usedKiB + vm.kernelKiB - vm.swapCapKiB));
    swapMiB = kibToMib(vm.swapCapKiB);
  }
  const budgetMiB = hosts.reduce((s, h) => s + h.budgetMiB, 0);
  const spare = Math.max(0, Math.floor((budgetMiB - surviveMiB) / (CRITICAL_UNUSED_MIB + swapMiB)));
  r.boundCriticalNoOomVmCycles += surviveMiB > budgetMiB ? needs.length : Math.max(0, needs.length - spare);
  needs.sort((a, b) => a - b);
  let room = budgetMiB;
  let fit = 0;
  while (fit < needs.length && (needs[fit] ?? 0) <= room) room -= needs[fit++] ?? 0;
  r.boundStarvedVmCycles += needs.length - fit;
  for (const h of hosts) r.maxOverBudgetMiB = Math.max(r.maxOverBudgetMiB, (sums.get(h.id) ?? 0) - h.budgetMiB);
  return [...sums.values()].reduce((s, x) => s + x, 0);
}

function emptyResult(startSumMiB: number): MemoryRunResult {
  return {
    starvedVmCycles: 0,
    criticalVmCycles: 0,
    boundStarvedVmCycles: 0,
    boundCriticalNoOomVmCycles: 0,
    deaths: 0,
    oomKills: 0,
    startSumMiB,
    finalSumMiB: 0,
    avgSumMiB: 0,
    returnedMiB: 0,
    headroomMiBs: 0,
    swapInMiB: 0,
    maxOverBudgetMiB: 0,
    jobs: 0,
    rejectedJobs: 0,
    migrations: [],
  };
}

/** The simulated cluster of a run: its hosts, and the scenario's VMs placed on them. */
function buildCluster(scenario: Scenario, count: number, seed: number, hosts: readonly HostPlacement[]): SimCluster {
  const sim = new SimCluster({ seed, cycleMs: 1000, migrationRateKiBPerSec: mib(MIGRATION_MIB_PER_SEC) });
  const hostOf = new Map<number, string>();
  for (const h of hosts) {
    const hostMiB = Math.ceil((h.budgetMiB + HOST_OVERHEAD_MIB) / 0.8);
    sim.addHost({ id: h.id, pcpus: 8, memoryKiB: mib(hostMiB), overheadKiB: mib(HOST_OVERHEAD_MIB) });
    for (const i of h.vms) hostOf.set(i, h.id);
  }
  scenario.vms(count, mulberry32(seed)).forEach((t, i) => {
    const hostId = hostOf.get(i);
    if (hostId === undefined) throw new RangeError(`VM ${i} of ${count} is placed on no host`);
    sim.createVm(hostId, {
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
  });
  return sim;
}

/** Runs the scenario's `count` VMs on `hosts` through `policies` (the same loop for every side). */
export async function runMemory(
  scenario: Scenario,
  count: number,
  seed: number,
  hosts: readonly HostPlacement[],
  policies: readonly LoopPolicy[],
  onCycle?: CycleHook,
): Promise<MemoryRunResult> {
  const sim = buildCluster(scenario, count, seed, hosts);
  const budgetMiB = hosts.reduce((s, h) => s + h.budgetMiB, 0);
  const loop = new SimClusterLoop(sim, hosts.map((h) => ({ hostId: h.id })), CYCLE_MS, policies, onCycle);
  const r = emptyResult(count * START_MIB);
  let cycles = 0;
  let sumOfSums = 0;
  for (let t = 0; t < scenario.durationMs; t += CYCLE_MS) {
    sim.advance(CYCLE_MS);
    await loop.applyPending();
    await loop.sampleAll();
    const sumMiB = countCycle(sim, hosts, r);
    cycles++;
    sumOfSums += sumMiB;
    r.headroomMiBs += ((budgetMiB - sumMiB) * CYCLE_MS) / 1000;
    await loop.plan(t + CYCLE_MS, budgetMiB);
  }
  r.jobs = loop.jobsSent;
  r.rejectedJobs = loop.jobsRejected;
  r.migrations = [...loop.migrations];
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
