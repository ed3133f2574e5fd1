#!/usr/bin/env node
// make bench: stats collection (lab guests, test driver), job throughput, the memory coordinator and the vCPU
// balancer, side by side; KSM's gain per ksmd CPU-second on the lab; JSON + a table. `scale` (1,000 simulated hosts
// on 3 engine replicas, docs/scale.md) runs only when named.
import './threadpool.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { jobsBench } from './jobs-bench.js';
import { labStatsBench, manyDomainsBench } from './stats-bench.js';
import { printTable, type BenchRow } from './stats.js';

const rows: BenchRow[] = [];
// Ctrl-C or a timeout: exit, so the scale section's children (engines, simulator, collectors) are reaped
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
const only = process.argv[2];
if (!only || only === 'stats') {
  const uri = process.env.BALLAST_LAB_URI ?? 'qemu:///system';
  const runs = process.env.STATS_RUNS === undefined ? undefined : Number(process.env.STATS_RUNS);
  if (runs !== undefined && !(Number.isInteger(runs) && runs >= 12)) throw new Error(`STATS_RUNS must be an integer of at least 12, got "${process.env.STATS_RUNS}"`);
  rows.push(...(await labStatsBench(uri, runs)));
  rows.push(...(await manyDomainsBench()));
}
if (!only || only === 'jobs') rows.push(...(await jobsBench()), ...(await (await import('./aof-bench.js')).aofBench()));
if (!only || only === 'memory') rows.push(...(await (await import('./memory-bench.js')).memoryBench()));
if (!only || only === 'cpu') rows.push(...(await (await import('./cpu-bench.js')).cpuBench()));
if (!only || only === 'cluster') rows.push(...(await (await import('./cluster-bench.js')).clusterBench()));
if (!only || only === 'replay') rows.push(...(await (await import('./replay-bench.js')).replayBench()));
if (!only || only === 'metrics') rows.push(...(await (await import('./metrics-bench.js')).metricsBench()));
if (!only || only === 'ksm') rows.push(...(await (await import('./ksm-bench.js')).ksmBench()));
// scale: only when asked (make bench ARGS=scale): 1,000 hosts' stack takes minutes to start on a 2-core machine
if (only === 'scale') rows.push(...(await (await import('./scale-bench.js')).scaleBench({ sweep: true })));
const json = { at: new Date().toISOString(), rows };
mkdirSync('bench-results', { recursive: true });
const file = `bench-results/bench-${Date.now()}.json`;
writeFileSync(file, JSON.stringify(json, null, 2));
console.log(JSON.stringify(json));
console.log();
printTable(rows);
console.log(`\n(saved to ${file})`);
