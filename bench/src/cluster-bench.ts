/**
 * make bench cluster: the cluster-balance policy's decision time at scale (cluster-decide-bench.ts), the
 * migrations its greedy search needs against an exhaustive search on small clusters (cluster-quality-bench.ts),
 * and side by side with a ProxLB-like balancer on the same random clusters (cluster-proxlb-bench.ts).
 *
 *   node bench/dist/main.js cluster
 */
import { clusterDecideBench } from './cluster-decide-bench.js';
import type { BenchRow } from './stats.js';

export async function clusterBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const t0 = Date.now();
  rows.push(...clusterDecideBench());
  console.log(`cluster: decide ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return rows;
}
