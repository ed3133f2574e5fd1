/**
 * How long one cluster-balance decision takes: planClusterBalance on a seeded random cluster (cluster-gen.ts:
 * mixed host sizes, skewed CPU use, a few hot hosts, memory-balloon's bounds with budgets), 500 hosts /
 * 10,000 VMs and 50 hosts / 1,000 VMs, at level 5 (it acts on any imbalance the gate lets pay: the most
 * search): with the defaults, and with the gate off (costFactor 0: every gain pays, so the search runs its
 * full course) at 2 and at 20 moves a cycle. Median and p95 over several
 * runs after a warm-up; the moves it planned and the imbalance before → predicted after.
 */
import { clusterImbalance, planClusterBalance, validateClusterBalanceArgs, type ClusterBalanceArgs, type ClusterSnapshot } from '@ballast/domain';
import { cpus, loadavg } from 'node:os';
import { BIG_SIZES, BIG_VM_MIB, randomCluster } from './cluster-gen.js';
import { median, percentile, type BenchRow } from './stats.js';

const TARGET_MS = 1000;

export function clusterArgs(raw: Record<string, unknown>): ClusterBalanceArgs {
  const r = validateClusterBalanceArgs(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.args;
}

function timeDecisions(s: ClusterSnapshot, args: ClusterBalanceArgs, runs: number): { ms: number[]; plan: ReturnType<typeof planClusterBalance> } {
  let plan = planClusterBalance(s, args);
  const ms: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    plan = planClusterBalance(s, args);
    if (i > 0) ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms, plan };
}

export function clusterDecideBench(): BenchRow[] {
  const rows: BenchRow[] = [];
  const cases = [
    { hosts: 500, vms: 10_000, runs: 15 },
    { hosts: 50, vms: 1_000, runs: 31 },
  ];
  const variants = [
    { name: 'defaults (gate on, 2 moves a cycle)', raw: {} },
    { name: 'gate off, 2 moves a cycle', raw: { gate: { costFactor: 0 } } },
    { name: 'gate off, 20 moves a cycle', raw: { gate: { costFactor: 0 }, limits: { movesPerCycle: 20, perHost: 20, cluster: 20 } } },
  ];
  for (const c of cases) {
    const s = randomCluster({ hosts: c.hosts, vms: c.vms, seed: 7, sizes: BIG_SIZES, vmMiB: BIG_VM_MIB, bounds: true });
    for (const l of variants) {
      const args = clusterArgs({ level: 5, ...l.raw });
      const { ms, plan } = timeDecisions(s, args, c.runs);
      const before = clusterImbalance(s, args).imbalance;
      const sum = plan.decisions[0]?.inputs as { predictedImbalance: number; priority: number } | undefined;
      const med = median(ms);
      const moves = plan.jobs.slice(0, 3).map((j) => `${j.vmName} ${j.hostId}→${j.action.type === 'migrate' ? j.action.targetHost : '?'}`);
      rows.push({
        bench: `cluster decide ${c.hosts}×${c.vms}`,
        variant: `level 5, ${l.name}`,
        median: med,
        p90: percentile(ms, 90),
        unit: 'ms',
        runs: ms.length,
        note:
          `p95 ${percentile(ms, 95).toFixed(0)} ms; target < ${TARGET_MS} ms: ${med < TARGET_MS ? 'met' : 'missed'}; ` +
          `${plan.jobs.length} move(s) planned (${moves.join(', ')}${plan.jobs.length > 3 ? ', …' : ''}); imbalance ${before.toFixed(3)} → predicted ${sum?.predictedImbalance ?? '?'} (load average ${(loadavg()[0] ?? 0).toFixed(1)} on ${cpus().length} cores)`,
      });
    }
  }
  return rows;
}
