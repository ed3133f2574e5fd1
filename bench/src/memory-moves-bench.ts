/**
 * Memory pressure moves: the "all past the budget" family (every VM allocates 680 MiB, more than its share
 * of the budget) on several hosts, through memory-balloon AND cluster-balance (auto), with the simulator's
 * live migrations. The hosts are loaded unevenly: the first ("hot") host holds its VMs at 768 MiB of budget
 * each, as the one-host family does, so its budget binds; every host has the same budget, so the cluster in
 * all has 1.5 × the one-host budget per VM and the others have room. memory-balloon reports the hot host
 * short (memory-balloon/shortage) and cluster-balance moves the VM that covers the shortage cheapest to a
 * host with room (a pressure move), or balances the hosts' memory entitlements.
 *
 * Target (the issue): no OOM kill, and starved VM-cycles at most a third of the same family on one host.
 */
import { clusterBalancePolicy, defaultClusterBalanceArgs, memoryBalloonPolicy, type ClusterBalanceArgs, type Policy } from '@ballast/domain';
import { ballastArgs, CRITICAL_UNUSED_MIB, MIGRATION_MIB_PER_SEC, runMemory, type HostPlacement, type MemoryRunResult } from './memory-run.js';
import { SCENARIOS } from './memory-scenarios.js';
import type { CycleHook, LoopPolicy } from './sim-loop.js';
import { median, type BenchRow } from './stats.js';

const BUDGET_PER_VM_MIB = 768;
/** The cluster's budget in all, per VM, over the one-host family's. */
const CLUSTER_BUDGET_FACTOR = 1.5;
const SEEDS = [1, 2, 3];
const VM_COUNTS = [4, 50, 200];

/** Hosts for `count` VMs: 2 up to 50 VMs, else 4. */
export function hostsFor(count: number): number {
  return count <= 50 ? 2 : 4;
}

/**
 * `hosts` hosts of equal budget (1.5 × 768 MiB per VM over the cluster); the first holds budget / 768 MiB of
 * the VMs, the others share the rest. VMs are dealt by smooth weighted round robin, so every host gets each
 * of the scenario's roles (fast and slow consumers) in proportion.
 */
export function unevenHosts(count: number, hosts: number): HostPlacement[] {
  const budgetMiB = Math.floor((CLUSTER_BUDGET_FACTOR * BUDGET_PER_VM_MIB * count) / hosts);
  const hot = Math.min(count, Math.round(budgetMiB / BUDGET_PER_VM_MIB));
  const weights = Array.from({ length: hosts }, (_, i) => (i === 0 ? hot : (count - hot) / (hosts - 1)));
  const out: HostPlacement[] = weights.map((_, i) => ({ id: `h${i + 1}`, budgetMiB, vms: [] }));
  const credit = weights.map(() => 0);
  for (let v = 0; v < count; v++) {
    weights.forEach((w, i) => (credit[i] = (credit[i] ?? 0) + w));
    let best = 0;
    credit.forEach((c, i) => {
      if (c > (credit[best] ?? 0)) best = i;
    });
    credit[best] = (credit[best] ?? 0) - count;
    out[best]?.vms.push(v);
  }
  return out;
}

/**
 * cluster-balance's args for the bench: level 3, a few migrations at once (4 per host, 8 in the cluster, 4
 * planned a cycle), cool-downs of 30 s doubling to 2 min (the runs last 4 min), and the gate's bandwidth
 * the simulator's migration rate.
 */
export function clusterArgs(): ClusterBalanceArgs {
  const a = defaultClusterBalanceArgs();
  a.level = 3;
  a.cooldown = { minMs: 30_000, maxMs: 120_000, windowMs: 600_000 };
  a.limits = { movesPerCycle: 4, perHost: 4, cluster: 8 };
  a.gate = { ...a.gate, bandwidthMiBPerSec: MIGRATION_MIB_PER_SEC };
  return a;
}

/** memory-balloon (each host's budget) and cluster-balance, both auto. */
export function movePolicies(hosts: readonly HostPlacement[]): LoopPolicy[] {
  return [
    { policy: memoryBalloonPolicy as Policy<unknown>, args: ballastArgs(Object.fromEntries(hosts.map((h) => [h.id, h.budgetMiB]))) },
    { policy: clusterBalancePolicy as Policy<unknown>, args: clusterArgs() },
  ];
}

/** One run of the family over `hosts` hosts (the same seeds and traces as on one host). */
export async function runMoves(count: number, seed: number, hosts = hostsFor(count), onCycle?: CycleHook): Promise<MemoryRunResult> {
  const scenario = SCENARIOS.find((s) => s.name === 'all-past-budget');
  if (!scenario) throw new Error('no all-past-budget scenario');
  const placement = unevenHosts(count, hosts);
  return runMemory(scenario, count, seed, placement, movePolicies(placement), onCycle);
}

function moves(rs: MemoryRunResult[]): { ok: number; failed: number; medianSec: number } {
  const all = rs.flatMap((r) => r.migrations);
  const done = all.filter((m) => m.ok === true);
  return {
    ok: done.length,
    failed: all.filter((m) => m.ok === false).length,
    medianSec: median(done.map((m) => ((m.endedAtMs ?? m.startedAtMs) - m.startedAtMs) / 1000)),
  };
}

/** `onePast`: ours on one host, the same family, by VM count (what the target compares with). */
export async function memoryMovesBench(onePast: ReadonlyMap<number, MemoryRunResult[]>): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const lines: string[][] = [['VMs', 'hosts', 'starved', 'one host', 'ratio', 'bound', 'critical', 'deaths', 'OOM kills', 'migrations ok/failed', 'median s', 'target']];
  for (const count of VM_COUNTS) {
    const rs: MemoryRunResult[] = [];
    for (const seed of SEEDS) rs.push(await runMoves(count, seed));
    const one = onePast.get(count) ?? [];
    const starved = median(rs.map((r) => r.starvedVmCycles));
    const oneStarved = median(one.map((r) => r.starvedVmCycles));
    const ratio = oneStarved > 0 ? starved / oneStarved : starved > 0 ? Infinity : 0;
    const oom = rs.reduce((s, r) => s + r.oomKills, 0);
    const deaths = rs.reduce((s, r) => s + r.deaths, 0);
    const mv = moves(rs);
    const met = oom === 0 && deaths === 0 && ratio <= 1 / 3;
    const perRun = (n: number): string => (n / rs.length).toFixed(1);
    rows.push({
      bench: `memory moves all-past-budget ${count}vm`,
      variant: `ballast+cluster ${hostsFor(count)} hosts`,
      median: starved,
      unit: 'starved VM-cycles',
      runs: rs.length,
      note:
        `one host ${oneStarved} (ratio ${ratio.toFixed(2)}); deaths ${deaths}, oom ${oom} (all runs); critical (< ${CRITICAL_UNUSED_MIB} MiB unused) ` +
        `${median(rs.map((r) => r.criticalVmCycles))} VM-cycles; migrations ${perRun(mv.ok)} ok, ${perRun(mv.failed)} failed per run (median ${mv.medianSec} s); ` +
        `over budget ≤ ${Math.max(...rs.map((r) => r.maxOverBudgetMiB))} MiB; target no OOM kill, ≤ 1/3 of one host: ${met ? 'met' : 'missed'}`,
    });
    lines.push([
      String(count),
      String(hostsFor(count)),
      String(starved),
      String(oneStarved),
      ratio.toFixed(2),
      String(median(rs.map((r) => r.boundStarvedVmCycles))),
      String(median(rs.map((r) => r.criticalVmCycles))),
      String(deaths),
      String(oom),
      `${perRun(mv.ok)}/${perRun(mv.failed)}`,
      String(mv.medianSec),
      met ? 'met' : 'missed',
    ]);
  }
  console.log(
    `memory moves: all-past-budget over several hosts (the first loaded as on one host, 768 MiB budget per VM; the cluster ${CLUSTER_BUDGET_FACTOR}×), ` +
      `memory-balloon + cluster-balance with live migrations — medians of ${SEEDS.length} seeds (deaths, OOM kills: totals; migrations: per run)`,
  );
  const widths = (lines[0] ?? []).map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  console.log();
  return rows;
}
