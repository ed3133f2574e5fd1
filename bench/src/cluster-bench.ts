/**
 * make bench cluster: the cluster-balance policy's decision time at scale (cluster-decide-bench.ts), the
 * migrations its greedy search needs against an exhaustive search on small clusters (cluster-quality-bench.ts),
 * and side by side with a ProxLB-like balancer on the same random clusters (cluster-proxlb-bench.ts).
 *
 *   node bench/dist/main.js cluster
 */
import { clusterDecideBench } from './cluster-decide-bench.js';
import { clusterProxlbBench } from './cluster-proxlb-bench.js';
import { clusterQualityBench } from './cluster-quality-bench.js';
import type { BenchRow } from './stats.js';

export async function clusterBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const t0 = Date.now();
  rows.push(...clusterDecideBench());
  const t1 = Date.now();
  rows.push(...clusterQualityBench());
  const t2 = Date.now();
  rows.push(...clusterProxlbBench());
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`cluster: decide ${s(t1 - t0)}, quality ${s(t2 - t1)}, side by side ${s(Date.now() - t2)}`);
  return rows;
}
