import {
  balloonReport,
  cpuPercent,
  pcpuUsage,
  vcpuUsage,
  type CpuTune,
  type HostInfo,
  type HostReport,
  type HypervisorEvent,
  type NumaTune,
  type PcpuTimes,
  type VmConfig,
  type VmReport,
  type VmStats,
} from '@ballast/domain';
import { isUnsupported, type Hypervisor } from '@ballast/hypervisor';
import { KsmReader } from './ksm-reader.js';
import { PerVmReads } from './per-vm-reads.js';
import { readVmStats } from './vm-stats-read.js';
import { VcpuWaitTracker } from './vcpu-wait.js';
import { BalloonSchedule, type BalloonScheduleOptions } from './balloon-schedule.js';

/** The logger method used; a pino Logger fits. */
export interface SamplerLog {
  info(obj: object, msg?: string): void;
}

export interface SamplerOptions {
  hostId: string;
  intervalMs: number;
  balloonEvery: number;
  /** Refresh host info (NUMA free memory) and KSM every this many cycles. */
  hostInfoEvery: number;
  /**
   * Re-read each VM's domain configuration (labels, memory backing, recorded pins, …), CPU tune and numatune
   * every this many cycles (and after lifecycle, tunable and metadata-change events).
   */
  configEvery?: number;
  /** Read where each running VM's vCPUs are now (one call per VM) every this many cycles; 0: never. Default 1. */
  placementEvery?: number;
  /**
   * Read each vCPU's wait for a pCPU (libvirt's vcpu stats group) every this many cycles; the cycles between repeat
   * the last figure. Default 1.
   */
  vcpuWaitEvery?: number;
  /**
   * Read each VM's balloon stats on its own schedule (BalloonSchedule: every cycle while its memory use moves, every
   * steadyMs while steady, at once after a balloon-change event) within the cycles balloonEvery allows. Unset: every
   * VM in every such cycle.
   */
  balloonSchedule?: BalloonScheduleOptions;
  /**
   * Start a dirty-rate measurement of each running VM (QEMU page sampling over `dirtyRateSec`) every this
   * many cycles; 0: never. Reports carry each VM's last measured rate. Default 0.
   */
  dirtyRateEvery?: number;
  dirtyRateSec?: number;
  migrationUri?: string;
  migrationDataUri?: string;
  /** The host's labels, sent with every report. */
  labels?: Record<string, string>;
  now: () => number;
  /** Monotonic clock for usage over the interval, ns (default process.hrtime; a simulator passes its own). */
  monotonicNs?: () => bigint;
  /** Where the sampler says, once per kind, that the hypervisor cannot make a read (no KSM, no cpu_shares). */
  log?: SamplerLog;
}

interface Prev {
  atNs: bigint;
  stats: Map<string, VmStats>;
  pcpus: PcpuTimes[];
}

/** A cycle's reads, as sample() gathered them. */
interface CycleReads {
  stats: VmStats[];
  pcpus: PcpuTimes[];
  mem: { totalKiB: number; freeKiB: number };
  host: HostInfo;
  t0: bigint;
  t1: bigint;
  takenAtMs: number;
  withBalloon: boolean;
}

/**
 * Reads one host each cycle — the stats of every running VM with where its vCPUs are now (readVmStats), node
 * CPU times and memory — and turns cumulative counters into usage over the interval.
 * Pinning is read for new VMs and after events; the domain configuration (VmConfig, with the pins Ballast
 * recorded), CPU tune and numatune for new VMs, after events and every `configEvery` cycles; KSM with the
 * host info. Reads only: it never changes the hypervisor.
 */
export class HostSampler {
  private prev: Prev | undefined;
  private cycle = 0;
  private host: HostInfo | undefined;
  private lastBalloon = new Map<string, VmReport['balloon']>();
  private readonly vcpuWait = new VcpuWaitTracker();
  private readonly balloons: BalloonSchedule | undefined;
  private readonly unsupportedLogged = new Set<string>();
  private readonly pinning: PerVmReads<number[][]>;
  private readonly configs: PerVmReads<VmConfig>;
  private readonly cpuTunes: PerVmReads<CpuTune>;
  private readonly numaTunes: PerVmReads<NumaTune>;
  private ksm: KsmReader;

  constructor(
    private hv: Hypervisor,
    private readonly opts: SamplerOptions,
  ) {
    const unsupported = (what: string, err: Error): void => this.unsupported(what, err);
    this.pinning = new PerVmReads('vCPU pinning', (uuid) => this.hv.getVcpuPinning(uuid), unsupported);
    this.configs = new PerVmReads('domain XML', (uuid) => this.hv.vmConfig(uuid), unsupported);
    this.cpuTunes = new PerVmReads('CPU tune (cpu_shares)', (uuid) => this.hv.getCpuTune(uuid), unsupported);
    this.numaTunes = new PerVmReads('numatune', (uuid) => this.hv.getNumaTune(uuid), unsupported);
    this.ksm = new KsmReader(hv, unsupported);
    this.balloons = opts.balloonSchedule ? new BalloonSchedule(opts.balloonSchedule) : undefined;
  }

  /** Swap the hypervisor after a reconnect; counters restart from the next cycle, everything is read again. */
  reset(hv: Hypervisor): void {
    this.hv = hv;
    this.prev = undefined;
    this.host = undefined;
    for (const reads of [this.pinning, this.configs, this.cpuTunes, this.numaTunes]) reads.invalidate();
    this.ksm = new KsmReader(hv, (what, err) => this.unsupported(what, err));
  }

  /**
   * Reads again what an event says changed. Lifecycle and tunable events: the VM's pinning, CPU tune,
   * numatune and domain XML (a pin is followed by its record in <metadata>); metadata-change: the XML.
   */
  handleEvent(ev: HypervisorEvent): void {
    if (ev.kind === 'balloon-change') this.balloons?.changed(ev.uuid);
    if (ev.kind === 'lifecycle' || ev.kind === 'tunable') {
      this.invalidatePinning(ev.uuid);
      this.invalidateTuning(ev.uuid);
      this.invalidateConfig(ev.uuid);
    } else if (ev.kind === 'metadata-change') {
      this.invalidateConfig(ev.uuid);
    }
  }

  /** Read a VM's domain configuration again next cycle. */
  invalidateConfig(uuid?: string): void {
    this.configs.invalidate(uuid);
  }

  /** Forget a VM's pinning so the next cycle reads it again. */
  invalidatePinning(uuid?: string): void {
    this.pinning.invalidate(uuid);
  }

  /** Read a VM's CPU tune and numatune again next cycle. */
  invalidateTuning(uuid?: string): void {
    this.cpuTunes.invalidate(uuid);
    this.numaTunes.invalidate(uuid);
  }

  async sample(): Promise<HostReport> {
    const withBalloon = this.cycle % this.opts.balloonEvery === 0;
    const refreshHost = !this.host || this.cycle % this.opts.hostInfoEvery === 0;
    const placementEvery = this.opts.placementEvery ?? 1;
    const readPlacement = placementEvery > 0 && this.cycle % placementEvery === 0;
    const readWait = this.cycle % Math.max(1, this.opts.vcpuWaitEvery ?? 1) === 0;
    this.cycle++;
    const clock = this.opts.monotonicNs ?? process.hrtime.bigint;
    const t0 = clock();
    const takenAtMs = this.opts.now();
    const [stats, pcpus, mem, host] = await Promise.all([
      readVmStats(this.hv, { balloon: withBalloon, ...this.balloonFor(takenAtMs), placement: readPlacement, vcpuWait: readWait, dirtyRate: this.dirtyRateOn }),
      this.hv.nodeCpuTimes(),
      this.hv.nodeMemory(),
      refreshHost ? this.hv.hostInfo() : Promise.resolve(this.host as HostInfo),
    ]);
    this.host = host;
    const t1 = clock();
    const [ksm] = await Promise.all([
      this.ksm.read(refreshHost, t1),
      this.refreshVmReads(stats),
      this.startDirtyRates(stats, this.cycle - 1),
    ]);
    const report = this.hostReport({ stats, pcpus, mem, host, t0, t1, takenAtMs, withBalloon });
    if (ksm) report.ksm = ksm;
    return report;
  }

  private balloonFor(nowMs: number): { balloonFor?: (uuid: string) => boolean } {
    const schedule = this.balloons;
    return schedule ? { balloonFor: (uuid) => schedule.wants(uuid, nowMs) } : {};
  }

  private get dirtyRateOn(): boolean {
    return (this.opts.dirtyRateEvery ?? 0) > 0 && this.hv.startDirtyRateCalc !== undefined && !this.unsupportedLogged.has('dirty-rate measurement');
  }

  /** Every dirtyRateEvery cycles, starts a measurement on each running VM (QEMU measures on its own; the result comes with a later bulk read). */
  private async startDirtyRates(stats: VmStats[], cycle: number): Promise<void> {
    const every = this.opts.dirtyRateEvery ?? 0;
    const start = this.hv.startDirtyRateCalc?.bind(this.hv);
    if (!this.dirtyRateOn || !start || cycle % every !== 0) return;
    const seconds = this.opts.dirtyRateSec ?? 1;
    await Promise.all(
      stats
        .filter((s) => s.state === 'running')
        .map((s) => start(s.uuid, seconds).catch((e: Error) => (isUnsupported(e) || /not available/.test(e.message) ? this.unsupported('dirty-rate measurement', e) : undefined))),
    );
  }

  private async refreshVmReads(stats: VmStats[]): Promise<void> {
    const all = stats.map((s) => s.uuid);
    const running = stats.filter((s) => s.state === 'running').map((s) => s.uuid);
    const every = Math.max(1, this.opts.configEvery ?? 30);
    await Promise.all([
      this.pinning.refresh(running, this.cycle, Infinity),
      this.configs.refresh(all, this.cycle, every),
      this.cpuTunes.refresh(all, this.cycle, every),
      this.numaTunes.refresh(all, this.cycle, every),
    ]);
  }

  private hostReport(c: CycleReads): HostReport {
    const prev = this.prev;
    const dtNs = prev ? Number(c.t1 - prev.atNs) : 0;
    const vms = c.stats.map((s) => this.vmReport(s, prev?.stats.get(s.uuid), dtNs, c.withBalloon, this.vcpuWait.update(s, c.t1)));
    this.prev = { atNs: c.t1, stats: new Map(c.stats.map((s) => [s.uuid, s])), pcpus: c.pcpus };
    const live = new Set(c.stats.map((s) => s.uuid));
    for (const reads of [this.pinning, this.configs, this.cpuTunes, this.numaTunes]) reads.retain(live);
    for (const uuid of this.lastBalloon.keys()) if (!live.has(uuid)) this.lastBalloon.delete(uuid);
    this.vcpuWait.retain(live);
    this.balloons?.retain(live);
    const report: HostReport = {
      hostId: this.opts.hostId,
      hostname: c.host.hostname,
      hostUuid: c.host.hostUuid,
      takenAtMs: c.takenAtMs,
      collectMs: Number(c.t1 - c.t0) / 1e6,
      intervalMs: this.opts.intervalMs,
      pcpuCount: c.host.pcpus,
      memoryTotalKiB: c.mem.totalKiB,
      memoryFreeKiB: c.mem.freeKiB,
      pcpus: prev ? pcpuUsage(prev.pcpus, c.pcpus) : c.pcpus.map((p) => ({ pcpu: p.pcpu, usagePercent: 0 })),
      numaCells: c.host.numaCells.map((n) => ({ id: n.id, cpus: n.cpus, memoryKiB: n.memoryKiB, freeKiB: n.freeKiB })),
      vms,
    };
    if (this.opts.migrationUri) report.migrationUri = this.opts.migrationUri;
    if (this.opts.migrationDataUri) report.migrationDataUri = this.opts.migrationDataUri;
    if (this.opts.labels && Object.keys(this.opts.labels).length > 0) report.labels = this.opts.labels;
    return report;
  }

  private vmReport(s: VmStats, prev: VmStats | undefined, dtNs: number, withBalloon: boolean, waits: Map<number, number>): VmReport {
    const pins = this.pinning.get(s.uuid) ?? [];
    const report: VmReport = {
      uuid: s.uuid,
      name: s.name,
      state: s.state,
      cpuPercent: cpuPercent(prev?.cpuTimeNs, s.cpuTimeNs, dtNs, Math.max(s.vcpus.length, 1)),
      vcpus: vcpuUsage(prev, s, dtNs).map(({ waitPercent: _, ...u }) => {
        const waitPercent = waits.get(u.id);
        return { ...u, ...(waitPercent !== undefined ? { waitPercent } : {}), pcpus: pins[u.id] ?? [] };
      }),
    };
    const config = this.configs.get(s.uuid);
    if (config) report.config = config;
    const cpuTune = this.cpuTunes.get(s.uuid);
    if (cpuTune) report.cpuTune = cpuTune;
    const numaTune = this.numaTunes.get(s.uuid);
    if (numaTune) report.numaTune = numaTune;
    if (s.dirtyRateMiBPerSec !== undefined) report.dirtyRateMiBPerSec = s.dirtyRateMiBPerSec;
    if (withBalloon && s.balloon) {
      report.balloon = balloonReport(s.balloon);
      this.lastBalloon.set(s.uuid, report.balloon);
      this.balloons?.read(s.uuid, report.balloon, this.opts.now());
    } else if (!withBalloon || this.balloons) {
      // Cycles (or VMs, on the balloon schedule) without a balloon read repeat the last figures (their lastUpdateSec
      // tells their age).
      const last = this.lastBalloon.get(s.uuid);
      if (last) report.balloon = last;
    }
    return report;
  }

  /** A read the hypervisor cannot make: said once per kind (for this sampler's life), then left out quietly. */
  private unsupported(what: string, err: Error): void {
    if (this.unsupportedLogged.has(what)) return;
    this.unsupportedLogged.add(what);
    this.opts.log?.info({ uri: this.hv.uri, err: err.message }, `collector: ${what} is not available from ${this.hv.uri}; reports go without it`);
  }
}
