/**
 * The cluster-balance policy side by side with a ProxLB-like balancer (cluster-proxlb.ts) on the same seeded
 * random clusters (20 hosts, 300 VMs, mixed sizes, memory-balloon's bounds with budgets): each runs round
 * after round, its moves applied between rounds, until it makes no move (cluster-replay.ts). Compared: the
 * migrations made, the final imbalance (the policy's metric: the larger std dev of normalized host CPU and
 * memory entitlement) and ProxLB's max − min of memory used %, and the moves that overfilled their
 * destination.
 */
import { clusterImbalance, planClusterBalance, type ClusterSnapshot } from '@ballast/domain';
import { clusterArgs } from './cluster-decide-bench.js';
import { BIG_SIZES, BIG_VM_MIB, movesOf, randomCluster } from './cluster-gen.js';
import { PROXLB_DEFAULTS, proxlbRun, spreadPercent } from './cluster-proxlb.js';
import { replay, type MoveList } from './cluster-replay.js';
import { median, type BenchRow } from './stats.js';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const HOSTS = 20;
const VMS = 300;
const MAX_ROUNDS = 100;

interface Side {
  name: string;
  decide: (s: ClusterSnapshot) => MoveList;
}

const ballast = (level: 3 | 4 | 5, raw: Record<string, unknown> = {}): Side['decide'] => {
  const args = clusterArgs({ level, ...raw });
  return (s) => movesOf(planClusterBalance(s, args).jobs);
};

const SIDES: Side[] = [
  { name: 'ballast level 3 (default)', decide: ballast(3) },
  { name: 'ballast level 5', decide: ballast(5) },
  { name: 'ballast level 5, gate off', decide: ballast(5, { gate: { costFactor: 0 } }) },
  { name: 'proxlb memory, balanciness 10', decide: (s) => proxlbRun(s, PROXLB_DEFAULTS) },
  { name: 'proxlb cpu, balanciness 10', decide: (s) => proxlbRun(s, { ...PROXLB_DEFAULTS, method: 'cpu' }) },
  { name: 'proxlb memory + 1.1.11 guard', decide: (s) => proxlbRun(s, { ...PROXLB_DEFAULTS, guard: true }) },
];

export function clusterProxlbBench(): BenchRow[] {
  const metricArgs = clusterArgs({});
  const clusters = SEEDS.map((seed) => randomCluster({ hosts: HOSTS, vms: VMS, seed: 100 + seed, sizes: BIG_SIZES, vmMiB: BIG_VM_MIB, bounds: true }));
  const imb0 = median(clusters.map((s) => clusterImbalance(s, metricArgs).imbalance));
  const spread0 = median(clusters.map((s) => spreadPercent(s, 'memory')));
  const cpu0 = median(clusters.map((s) => spreadPercent(s, 'cpu')));
  return SIDES.map((side) => {
    const runs = clusters.map((s) => replay(s, metricArgs, side.decide, MAX_ROUNDS));
    const imb = median(runs.map((r) => clusterImbalance(r.final, metricArgs).imbalance));
    const spread = median(runs.map((r) => spreadPercent(r.final, 'memory')));
    const cpu = median(runs.map((r) => spreadPercent(r.final, 'cpu')));
    const over = runs.flatMap((r) => r.overfills);
    const moves = runs.map((r) => r.moves);
    return {
      bench: `cluster vs proxlb ${HOSTS}×${VMS}`,
      variant: side.name,
      median: median(moves),
      unit: 'migrations',
      runs: runs.length,
      note:
        `moves per seed ${moves.join('/')}; imbalance ${imb0.toFixed(3)} → ${imb.toFixed(3)}; memory used max−min ${spread0.toFixed(1)} → ${spread.toFixed(1)} pts; ` +
        `CPU max−min ${cpu0.toFixed(1)} → ${cpu.toFixed(1)} pts; overfilling moves ${over.length}${over[0] ? ` (e.g. ${over[0]})` : ''} (medians over ${runs.length} seeds)`,
    };
  });
}
