// The cost of `appendfsync always` (no acknowledged job lost, even to a power cut) against `everysec` (what
// infra/redis/*.conf set: up to a second of writes lost to a machine crash): the same jobs through Ballast's
// path (JobQueues → the actuator's worker → a sim host, as the jobs section) on two Redis servers that differ
// only in that setting, alternated in one run. The data dirs are on the temp dir's disk (ext4 here): fsync's
// cost is the disk's; docs/redis-ha.md quotes the figures.
import { startRedis } from '@ballast/testkit';
import { ballastRun } from './jobs-bench.js';
import { median, type BenchRow } from './stats.js';

export async function aofBench(n = 3000, runs = 5): Promise<BenchRow[]> {
  const everysec = await startRedis({ appendfsync: 'everysec' });
  const always = await startRedis({ appendfsync: 'always' });
  try {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < runs; r++) {
      a.push(await ballastRun(everysec.url, n));
      b.push(await ballastRun(always.url, n));
    }
    const ma = median(a);
    const mb = median(b);
    return [
      { bench: 'job throughput', variant: 'Ballast queue → actuator, AOF appendfsync everysec', median: ma, unit: 'jobs/s', runs, note: `${n} jobs; runs ${a.map((x) => x.toFixed(0)).join(', ')}` },
      { bench: 'job throughput', variant: 'Ballast queue → actuator, AOF appendfsync always', median: mb, unit: 'jobs/s', runs, note: `ratio ${(mb / ma).toFixed(2)} of everysec; runs ${b.map((x) => x.toFixed(0)).join(', ')}` },
    ];
  } finally {
    await everysec.stop();
    await always.stop();
  }
}
