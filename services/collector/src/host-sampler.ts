import {
  balloonReport,
  cpuPercent,
  pcpuUsage,
  vcpuUsage,
  type HostInfo,
  type HostReport,
  type PcpuTimes,
  type VmConfig,
  type VmReport,
  type VmStats,
} from '@ballast/domain';
import type { Hypervisor } from '@ballast/hypervisor';

export interface SamplerOptions {
  hostId: string;
  intervalMs: number;
  balloonEvery: number;
  hostInfoEvery: number;
  /** Re-read each VM's domain configuration (labels, memory backing, …) every this many cycles (and after lifecycle events). */
  configEvery?: number;
  migrationUri?: string;
  migrationDataUri?: string;
  now: () => number;
  /** Monotonic clock for usage over the interval, ns (default process.hrtime; a simulator passes its own). */
  monotonicNs?: () => bigint;
}

interface Prev {
  atNs: bigint;
  stats: Map<string, VmStats>;
  pcpus: PcpuTimes[];
}

/**
 * Reads one host each cycle — one bulk stats call for every VM, node CPU times and memory — and turns
 * cumulative counters into usage over the interval. Pinning is read for new VMs and after tunable events;
 * the domain configuration (VmConfig) for new VMs, after lifecycle events and every `configEvery` cycles.
 * Reads only: it never changes the hypervisor.
 */
export class HostSampler {
  private prev: Prev | undefined;
  private cycle = 0;
  private host: HostInfo | undefined;
  private readonly pinning = new Map<string, number[][]>();
  private lastBalloon = new Map<string, VmReport['balloon']>();
  private readonly configs = new Map<string, { config: VmConfig; cycle: number }>();

  constructor(
    private hv: Hypervisor,
    private readonly opts: SamplerOptions,
  ) {}

  /** Swap the hypervisor after a reconnect; counters restart from the next cycle. */
  reset(hv: Hypervisor): void {
    this.hv = hv;
    this.prev = undefined;
    this.host = undefined;
    this.pinning.clear();
    this.configs.clear();
  }

  /** Read a VM's domain configuration again next cycle (lifecycle events: defined, started, migrated). */
  invalidateConfig(uuid?: string): void {
    if (uuid === undefined) this.configs.clear();
    else this.configs.delete(uuid);
  }

  /** Forget a VM's pinning so the next cycle reads it again (tunable / lifecycle events). */
  invalidatePinning(uuid?: string): void {
    if (uuid === undefined) this.pinning.clear();
    else this.pinning.delete(uuid);
  }

  async sample(): Promise<HostReport> {
    const withBalloon = this.cycle % this.opts.balloonEvery === 0;
    const refreshHost = !this.host || this.cycle % this.opts.hostInfoEvery === 0;
    this.cycle++;
    const clock = this.opts.monotonicNs ?? process.hrtime.bigint;
    const t0 = clock();
    const takenAtMs = this.opts.now();
    const [stats, pcpus, mem, host] = await Promise.all([
      this.hv.collectStats({ balloon: withBalloon, vcpu: true }),
      this.hv.nodeCpuTimes(),
      this.hv.nodeMemory(),
      refreshHost ? this.hv.hostInfo() : Promise.resolve(this.host as HostInfo),
    ]);
    this.host = host;
    const t1 = clock();
    await Promise.all([this.readMissingPinning(stats), this.readConfigs(stats)]);
    const prev = this.prev;
    const dtNs = prev ? Number(t1 - prev.atNs) : 0;
    const vms = stats.map((s) => this.vmReport(s, prev?.stats.get(s.uuid), dtNs, withBalloon));
    this.prev = { atNs: t1, stats: new Map(stats.map((s) => [s.uuid, s])), pcpus };
    const live = new Set(stats.map((s) => s.uuid));
    for (const uuid of this.pinning.keys()) if (!live.has(uuid)) this.pinning.delete(uuid);
    for (const uuid of this.lastBalloon.keys()) if (!live.has(uuid)) this.lastBalloon.delete(uuid);
    for (const uuid of this.configs.keys()) if (!live.has(uuid)) this.configs.delete(uuid);
    const report: HostReport = {
      hostId: this.opts.hostId,
      hostname: host.hostname,
      hostUuid: host.hostUuid,
      takenAtMs,
      collectMs: Number(t1 - t0) / 1e6,
      intervalMs: this.opts.intervalMs,
      pcpuCount: host.pcpus,
      memoryTotalKiB: mem.totalKiB,
      memoryFreeKiB: mem.freeKiB,
      pcpus: prev ? pcpuUsage(prev.pcpus, pcpus) : pcpus.map((p) => ({ pcpu: p.pcpu, usagePercent: 0 })),
      numaCells: host.numaCells.map((c) => ({ id: c.id, cpus: c.cpus, memoryKiB: c.memoryKiB, freeKiB: c.freeKiB })),
      vms,
    };
    if (this.opts.migrationUri) report.migrationUri = this.opts.migrationUri;
    if (this.opts.migrationDataUri) report.migrationDataUri = this.opts.migrationDataUri;
    return report;
  }

  private async readMissingPinning(stats: VmStats[]): Promise<void> {
    const missing = stats.filter((s) => !this.pinning.has(s.uuid) && s.state === 'running');
    await Promise.all(
      missing.map(async (s) => {
        try {
          this.pinning.set(s.uuid, await this.hv.getVcpuPinning(s.uuid));
        } catch {
          // The VM may have just stopped; try again next cycle.
        }
      }),
    );
  }

  private async readConfigs(stats: VmStats[]): Promise<void> {
    const every = Math.max(1, this.opts.configEvery ?? 30);
    const due = stats.filter((s) => {
      const c = this.configs.get(s.uuid);
      return !c || this.cycle - c.cycle >= every;
    });
    await Promise.all(
      due.map(async (s) => {
        try {
          this.configs.set(s.uuid, { config: await this.hv.vmConfig(s.uuid), cycle: this.cycle });
        } catch {
          // Gone meanwhile, or its XML unreadable this time: keep what we had and try again next cycle.
        }
      }),
    );
  }

  private vmReport(s: VmStats, prev: VmStats | undefined, dtNs: number, withBalloon: boolean): VmReport {
    const pins = this.pinning.get(s.uuid) ?? [];
    const report: VmReport = {
      uuid: s.uuid,
      name: s.name,
      state: s.state,
      cpuPercent: cpuPercent(prev?.cpuTimeNs, s.cpuTimeNs, dtNs, Math.max(s.vcpus.length, 1)),
      vcpus: vcpuUsage(prev, s, dtNs).map((u) => ({ ...u, pcpus: pins[u.id] ?? [] })),
    };
    const config = this.configs.get(s.uuid)?.config;
    if (config) report.config = config;
    if (withBalloon && s.balloon) {
      report.balloon = balloonReport(s.balloon);
      this.lastBalloon.set(s.uuid, report.balloon);
    } else if (!withBalloon) {
      // Cycles without a balloon read repeat the last balloon figures (their lastUpdateSec tells their age).
      const last = this.lastBalloon.get(s.uuid);
      if (last) report.balloon = last;
    }
    return report;
  }
}
