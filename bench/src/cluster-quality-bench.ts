/**
 * How many migrations the cluster-balance greedy search needs against the fewest possible, on many seeded
 * random small clusters (3-8 hosts, 8-24 VMs, memory-balloon's bounds with budgets): the policy runs round
 * after round (limits high enough for any number of moves a round), its moves applied between rounds,
 * until it reaches the level's target imbalance or makes no move; the exhaustive search
 * (cluster-exhaustive.ts) finds the fewest moves under the same rules, up to 3 deep. The ratio counts the
 * clusters where both reach the target; how often the greedy reaches it at all is said beside.
 */
import { clusterImbalance, mulberry32, planClusterBalance } from '@ballast/domain';
import { clusterArgs } from './cluster-decide-bench.js';
import { fewestMoves } from './cluster-exhaustive.js';
import { movesOf, randomCluster, SMALL_SIZES, SMALL_VM_MIB } from './cluster-gen.js';
import { replay } from './cluster-replay.js';
import { median, percentile, type BenchRow } from './stats.js';

const CLUSTERS = 400;
const DEPTH = 3;
const HIGH = { movesPerCycle: 100, perHost: 100, cluster: 100 };

interface Tally {
  above: number;
  exhaustiveReached: number;
  greedyReached: number;
  greedyReachedWhereExhaustive: number;
  ratios: number[];
  /** Clusters where the greedy used fewer moves than the "fewest": would be a bug in either search. */
  contradictions: number;
  tried: number[];
}

function tally(level: number): Tally {
  const t: Tally = { above: 0, exhaustiveReached: 0, greedyReached: 0, greedyReachedWhereExhaustive: 0, ratios: [], contradictions: 0, tried: [] };
  const args = clusterArgs({ level, limits: HIGH });
  for (let seed = 1; seed <= CLUSTERS; seed++) {
    const rnd = mulberry32(seed * 7919);
    const hosts = 3 + Math.floor(rnd() * 6);
    const vms = 8 + Math.floor(rnd() * 17);
    const s = randomCluster({ hosts, vms, seed, sizes: SMALL_SIZES, vmMiB: SMALL_VM_MIB, bounds: true, fill: 0.5 });
    const ex = fewestMoves(s, args, DEPTH);
    if (ex.moves === 0) continue;
    t.above++;
    t.tried.push(ex.tried);
    const greedy = replay(s, args, (x) => movesOf(planClusterBalance(x, args).jobs), 20);
    const reached = clusterImbalance(greedy.final, args).imbalance <= ex.target;
    if (reached) t.greedyReached++;
    if (ex.moves === undefined) continue;
    t.exhaustiveReached++;
    if (!reached) continue;
    t.greedyReachedWhereExhaustive++;
    if (greedy.moves < ex.moves) t.contradictions++;
    t.ratios.push(greedy.moves / ex.moves);
  }
  return t;
}

export function clusterQualityBench(): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const level of [4, 3]) {
    const t = tally(level);
    const worst = t.ratios.length > 0 ? Math.max(...t.ratios) : 0;
    const med = median(t.ratios);
    const optimal = t.ratios.filter((r) => r === 1).length;
    rows.push({
      bench: 'cluster quality ≤8 hosts',
      variant: `level ${level}: greedy / fewest moves`,
      median: med,
      p90: percentile(t.ratios, 90),
      unit: '×',
      runs: t.ratios.length,
      note:
        `worst ${worst.toFixed(2)}×; target ≤ 1.2×: ${med <= 1.2 ? 'met' : 'missed'} (median); optimal in ${optimal}/${t.ratios.length}; ` +
        `${CLUSTERS} clusters, ${t.above} above the target, exhaustive reaches it within ${DEPTH} moves in ${t.exhaustiveReached}` +
        `${t.contradictions > 0 ? `; ${t.contradictions} CONTRADICTION(S): greedy below the fewest` : ''}; exhaustive tried median ${median(t.tried).toFixed(0)} sequences`,
    });
    rows.push({
      bench: 'cluster quality ≤8 hosts',
      variant: `level ${level}: greedy reaches the target`,
      median: t.above > 0 ? (100 * t.greedyReached) / t.above : 0,
      unit: '%',
      runs: t.above,
      note: `${t.greedyReached}/${t.above} clusters above the target; where the exhaustive reaches it within ${DEPTH}: ${t.greedyReachedWhereExhaustive}/${t.exhaustiveReached}`,
    });
  }
  return rows;
}
