/**
 * Seeded random clusters for benchmarks and determinism tests: the same options always build the same
 * hosts, VMs and workloads.
 */
import { SimCluster } from './sim-cluster.js';
import { mulberry32 } from './sim-random.js';
import { clamp, constant, gib, jitter, mib, ramp, type Signal, square, steps, sum } from './sim-workload.js';

export interface RandomClusterOptions {
  seed: number;
  hosts: number;
  vmsPerHost: number;
  /** Default 32. */
  pcpusPerHost?: number;
  /** Default: room for every VM at its maximum (vmsPerHost × 4 GiB) plus 1 GiB. */
  memoryKiBPerHost?: number;
  /** Default 2. */
  numaNodes?: number;
  /** Default 1000. */
  cycleMs?: number;
  /** Balloon stats period given to every VM, seconds; default 5. */
  statsPeriodSec?: number;
  /** The cluster's guest wall clock at sim time 0, seconds since epoch (SimClusterOptions.epochSec). */
  epochSec?: number;
  /** Migration transfer rate, KiB/s (SimClusterOptions.migrationRateKiBPerSec); default 128 MiB/s. */
  migrationRateKiBPerSec?: number;
  /** Fixed part of a migration's duration, ms (SimClusterOptions.migrationSetupMs); default 500. */
  migrationSetupMs?: number;
}

export function buildRandomCluster(opts: RandomClusterOptions): SimCluster {
  const rnd = mulberry32(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const between = (lo: number, hi: number): number => lo + rnd() * (hi - lo);
  const sim = new SimCluster({
    seed: opts.seed,
    cycleMs: opts.cycleMs ?? 1000,
    epochSec: opts.epochSec,
    migrationRateKiBPerSec: opts.migrationRateKiBPerSec,
    migrationSetupMs: opts.migrationSetupMs,
  });
  const pcpus = opts.pcpusPerHost ?? 32;
  const memoryKiB = opts.memoryKiBPerHost ?? opts.vmsPerHost * gib(4) + gib(1);

  const cpuSignal = (): Signal => {
    switch (pick(['constant', 'square', 'jitter', 'steps'] as const)) {
      case 'constant':
        return constant(between(0, 1));
      case 'square':
        return square(between(0, 0.3), between(0.5, 1), Math.round(between(5, 120)) * 1000, between(0.2, 0.8), Math.round(between(0, 60)) * 1000);
      case 'jitter':
        return clamp(jitter(constant(between(0.1, 0.9)), between(0.05, 0.3), Math.floor(rnd() * 2 ** 31)), 0, 1);
      case 'steps':
        return steps([
          [0, between(0, 1)],
          [Math.round(between(10, 500)) * 1000, between(0, 1)],
          [Math.round(between(500, 1000)) * 1000, between(0, 1)],
        ]);
    }
  };

  const memorySignal = (maxKiB: number): Signal => {
    const base = Math.round(between(0.1, 0.4) * maxKiB);
    switch (pick(['flat', 'ramp', 'steps', 'jitter'] as const)) {
      case 'flat':
        return constant(base);
      case 'ramp':
        return ramp(base, Math.round(between(0.3, 1.1) * maxKiB), mib(Math.round(between(1, 20))), Math.round(between(0, 300)) * 1000);
      case 'steps':
        return steps([
          [0, base],
          [Math.round(between(30, 600)) * 1000, Math.round(between(0.2, 0.9) * maxKiB)],
          [Math.round(between(600, 1000)) * 1000, base],
        ]);
      case 'jitter':
        return clamp(jitter(sum(constant(base), constant(mib(64))), mib(32), Math.floor(rnd() * 2 ** 31), 5000), 0, maxKiB);
    }
  };

  for (let h = 0; h < opts.hosts; h++) {
    const hostId = `h${h}`;
    sim.addHost({ id: hostId, pcpus, memoryKiB, numaNodes: opts.numaNodes ?? 2 });
    for (let j = 0; j < opts.vmsPerHost; j++) {
      const vcpus = pick([1, 1, 2, 2, 4]);
      const maxMemoryKiB = pick([gib(1), gib(2), gib(2), gib(4)]);
      sim.createVm(hostId, {
        name: `vm-${h}-${j}`,
        vcpus,
        maxMemoryKiB,
        memoryKiB: Math.round(between(0.5, 1) * (maxMemoryKiB / 1024)) * 1024,
        cpu: Array.from({ length: vcpus }, cpuSignal),
        memory: memorySignal(maxMemoryKiB),
        memStatsPeriodSec: opts.statsPeriodSec ?? 5,
      });
    }
  }
  return sim;
}
