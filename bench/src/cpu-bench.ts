/**
 * make bench cpu: the vcpu-balance policy's decide time at scale (cpu-decide-bench.ts) and its balance
 * quality on simulated traces against round-robin pinning and no pinning (cpu-quality-bench.ts).
 *
 *   node bench/dist/main.js cpu
 */
import { cpuDecideBench } from './cpu-decide-bench.js';
import { cpuQualityBench } from './cpu-quality-bench.js';
import type { BenchRow } from './stats.js';

export async function cpuBench(): Promise<BenchRow[]> {
  const decide = cpuDecideBench();
  for (const d of decide) console.log(`cpu decide (${d.variant}): median ${d.median.toFixed(0)} ms, p90 ${(d.p90 ?? 0).toFixed(0)} ms over ${d.runs} runs — ${d.note}`);
  console.log();
  return [...decide, ...(await cpuQualityBench())];
}
