import { BALLAST_PINS_NS, type CpuTune, type HostInfo, type HypervisorEvent, type KsmSettings, type KsmTunables, type NodeMemory, type NumaTune, type PcpuTimes, type PinRecord, type VmConfig, type VmRef, type VmStats } from '@ballast/domain';
import {
  AffectFlags,
  type Connection,
  DomainStats,
  ErrorCode,
  GetAllDomainStatsFlags,
  LibvirtError,
  MetadataType,
  MigrateFlags,
  getCpuTune,
  getNumaTune,
  isNoSupport,
  isOperationInvalid,
  JobType,
  open,
  parseCapabilities,
  setCpuTune,
  setNumaTune,
  toJobProgress,
  toVmState,
  toVmStats,
} from '@ballast/libvirt';

import { formatPins, parseDomainConfig } from './domain-config.js';
import type { CollectOptions, Hypervisor, MigrateOptions, MigrationProgress, NumaTuneRequest } from './hypervisor.js';
import { isLocalUri } from './ksm-run.js';
import { toHypervisorEvent } from './libvirt-events.js';
import { buildHostInfo } from './libvirt-host-info.js';
import { getKsmSettings, setKsmSettings } from './libvirt-ksm.js';
import { numaTuneChange } from './numa-tune-change.js';
import { PerDomainStatsReader, withPcpus } from './libvirt-per-domain-stats.js';

export interface LibvirtHypervisorOptions {
  /**
   * Which state mutations touch: 'live' (default; VIR_DOMAIN_AFFECT_LIVE — a stopped VM is an
   * error, its config is never changed) or 'current'. libvirt's test driver rejects the LIVE flag
   * for pinning and scheduler calls, so use 'current' against test:///.
   */
  affect?: 'live' | 'current';
  /** Open read-only (collector). */
  readOnly?: boolean;
  /**
   * How collectStats reads: 'per-domain' (default; PerDomainStatsReader) lists the domains (one call) and reads
   * each running one with a few small calls, all at once, on kept domain handles, so libvirtd serves them in
   * parallel; 'bulk' makes one virConnectGetAllDomainStats call, which libvirtd serves one domain after the other.
   * On the lab's 4 guests per-domain is the faster (`make bench ARGS=stats`, packages/libvirt/README.md).
   */
  statsStrategy?: StatsStrategy;
}

export type StatsStrategy = 'per-domain' | 'bulk';


/**
 * The Hypervisor of a real libvirt host, built on @ballast/libvirt. Reads use CURRENT (= live for
 * a running VM); writes use LIVE unless told otherwise. Services should set UV_THREADPOOL_SIZE
 * (e.g. 16) before start: every call holds a libuv pool thread while libvirt works.
 */
export class LibvirtHypervisor implements Hypervisor {
  readonly uri: string;
  readonly connection: Connection;
  readonly statsStrategy: StatsStrategy;
  readonly #affect: number;
  readonly #perDomain: PerDomainStatsReader;
  #nodeMemoryStatsSupported = true;

  constructor(connection: Connection, options: LibvirtHypervisorOptions = {}) {
    this.connection = connection;
    this.uri = connection.uri;
    this.#affect = options.affect === 'current' ? AffectFlags.CURRENT : AffectFlags.LIVE;
    this.statsStrategy = options.statsStrategy ?? 'per-domain';
    this.#perDomain = new PerDomainStatsReader(connection);
  }

  static async open(uri: string, options: LibvirtHypervisorOptions = {}): Promise<LibvirtHypervisor> {
    const conn = await open(uri, { readOnly: options.readOnly ?? false });
    return new LibvirtHypervisor(conn, options);
  }

  async hostInfo(): Promise<HostInfo> {
    const c = this.connection;
    const [hostname, node, capsXml, cellsFreeKiB, freeKiB] = await Promise.all([
      c.getHostname(),
      c.getNodeInfo(),
      c.getCapabilities(),
      c.getCellsFreeMemoryKiB().catch((err: unknown) => (isNoSupport(err) ? [] : Promise.reject(err))),
      c.getFreeMemoryKiB(),
    ]);
    return buildHostInfo({ uri: this.uri, hostname, node, capabilities: parseCapabilities(capsXml), cellsFreeKiB, freeKiB });
  }

  async nodeCpuTimes(): Promise<PcpuTimes[]> {
    const stats = await this.connection.getNodeCpuStats();
    return stats.map((s) => ({ pcpu: s.cpu, userNs: s.userNs, systemNs: s.kernelNs, idleNs: s.idleNs, iowaitNs: s.iowaitNs }));
  }

  /** virNodeGetMemoryStats; drivers without it (test) fall back to node info + free memory. */
  async nodeMemory(): Promise<NodeMemory> {
    if (this.#nodeMemoryStatsSupported) {
      try {
        const m = await this.connection.getNodeMemoryStats();
        const out: NodeMemory = { totalKiB: m.totalKiB, freeKiB: m.freeKiB };
        if (m.buffersKiB !== undefined && m.cachedKiB !== undefined) {
          out.availableKiB = m.freeKiB + m.buffersKiB + m.cachedKiB;
        }
        return out;
      } catch (err) {
        if (!isNoSupport(err)) throw err;
        this.#nodeMemoryStatsSupported = false;
      }
    }
    const [node, freeKiB] = await Promise.all([this.connection.getNodeInfo(), this.connection.getFreeMemoryKiB()]);
    return { totalKiB: node.memoryKiB, freeKiB };
  }

  async listVms(): Promise<VmRef[]> {
    const doms = await this.connection.listAllDomains();
    return doms.map((d) => ({ uuid: d.uuid, name: d.name, state: toVmState(d.state) }));
  }

  /**
   * Stats of the running VMs, without letting a busy VM stall the cycle: per domain at once on kept handles
   * (PerDomainStatsReader), or one bulk call with NOWAIT (statsStrategy). With `placement`, each running VM's
   * virDomainGetVcpus comes too (per domain: issued with its stats).
   */
  async collectStats(opts: CollectOptions): Promise<VmStats[]> {
    if (this.statsStrategy === 'per-domain') return this.#perDomain.read(opts);
    const stats =
      DomainStats.STATE |
      DomainStats.CPU_TOTAL |
      (opts.vcpu ? DomainStats.VCPU : 0) |
      (opts.balloon ? DomainStats.BALLOON : 0) |
      (opts.dirtyRate ? DomainStats.DIRTYRATE : 0);
    const records = await this.connection.getAllDomainStats(stats, GetAllDomainStatsFlags.ACTIVE | GetAllDomainStatsFlags.NOWAIT);
    return Promise.all(records.map((r) => this.#placed(toVmStats(r), opts.placement === true)));
  }

  async #placed(vm: VmStats, placement: boolean): Promise<VmStats> {
    if (!placement || vm.state !== 'running') return vm;
    const vcpus = await this.connection.getVcpus(vm.uuid).catch(() => undefined);
    return vcpus ? withPcpus(vm, vcpus) : vm;
  }

  /** One VM from domain info (+ balloon stats, + vCPU info): three small calls instead of a bulk read. */
  async vmStats(uuid: string, opts: CollectOptions): Promise<VmStats> {
    const c = this.connection;
    const [dom, info, mem, vcpus] = await Promise.all([
      c.lookupByUuid(uuid),
      c.getDomainInfo(uuid),
      opts.balloon ? c.memoryStats(uuid).catch((err: unknown) => (isNoSupport(err) ? undefined : Promise.reject(err))) : undefined,
      opts.vcpu ? c.getVcpus(uuid).catch((err: unknown) => (isNoSupport(err) || isOperationInvalid(err) ? [] : Promise.reject(err))) : [],
    ]);
    const stats: VmStats = {
      uuid: dom.uuid,
      name: dom.name,
      state: toVmState(info.state),
      cpuTimeNs: info.cpuTimeNs,
      vcpus: (vcpus ?? []).map((v) => ({ id: v.vcpu, timeNs: v.cpuTimeNs, online: v.cpu >= 0, ...(v.cpu >= 0 ? { pcpu: v.cpu } : {}) })),
    };
    if (opts.balloon) {
      const b: NonNullable<VmStats['balloon']> = { currentKiB: info.memoryKiB, maximumKiB: info.maxMemKiB };
      if (mem) {
        const keys = ['unusedKiB', 'availableKiB', 'usableKiB', 'diskCachesKiB', 'majorFaults', 'minorFaults', 'swapInKiB', 'swapOutKiB', 'rssKiB', 'lastUpdateSec'] as const;
        for (const k of keys) if (mem[k] !== undefined) b[k] = mem[k];
      }
      stats.balloon = b;
    }
    return stats;
  }

  async vmConfig(uuid: string): Promise<VmConfig> {
    return parseDomainConfig(await this.connection.getXMLDesc(uuid, 0));
  }

  getVcpuPinning(uuid: string): Promise<number[][]> {
    return this.connection.getVcpuPinInfo(uuid, AffectFlags.CURRENT);
  }

  async currentPcpus(uuid: string): Promise<number[]> {
    const out: number[] = [];
    for (const v of await this.connection.getVcpus(uuid)) out[v.vcpu] = v.cpu;
    return Array.from(out, (cpu) => cpu ?? -1);
  }

  /** setMetadata with the affect flag of the pins (LIVE; CURRENT on the test driver), prefix `ballast`. */
  recordPins(uuid: string, records: PinRecord[]): Promise<void> {
    const xml = records.length > 0 ? formatPins(records) : null;
    return this.connection.setMetadata(uuid, MetadataType.ELEMENT, xml, xml === null ? null : 'ballast', BALLAST_PINS_NS, this.#affect);
  }

  setMemory(uuid: string, memoryKiB: number): Promise<void> {
    return this.connection.setMemory(uuid, memoryKiB, this.#affect);
  }

  startDirtyRateCalc(uuid: string, seconds: number): Promise<void> {
    return this.connection.startDirtyRateCalc(uuid, seconds);
  }

  setMemoryStatsPeriod(uuid: string, periodSec: number): Promise<void> {
    return this.connection.setMemoryStatsPeriod(uuid, periodSec, this.#affect);
  }

  pinVcpu(uuid: string, vcpu: number, pcpus: number[]): Promise<void> {
    return this.connection.pinVcpu(uuid, vcpu, pcpus, this.#affect);
  }

  /**
   * cpu_shares / vcpu_quota / vcpu_period, and the emulator threads' affinity where the driver reports it.
   * A scheduler without cpu_shares rejects with NO_SUPPORT.
   */
  async getCpuTune(uuid: string): Promise<CpuTune> {
    const [tune, emulatorPcpus] = await Promise.all([
      getCpuTune(this.connection, uuid, AffectFlags.CURRENT),
      this.connection.getEmulatorPinInfo(uuid, AffectFlags.CURRENT).catch((err: unknown) => (isNoSupport(err) ? undefined : Promise.reject(err))),
    ]);
    if (tune.shares === undefined) {
      throw new LibvirtError(`cpu_shares is not reported for domain ${uuid} by this driver`, ErrorCode.NO_SUPPORT, 0);
    }
    // Without CPU bandwidth control: unlimited quota over the kernel's default 100 ms period.
    const out: CpuTune = { shares: tune.shares, quotaUs: tune.quotaUs ?? -1, periodUs: tune.periodUs ?? 100_000 };
    if (emulatorPcpus && emulatorPcpus.length > 0) out.emulatorPcpus = emulatorPcpus;
    return out;
  }

  /**
   * The emulator threads are pinned first; when the scheduler parameters are then refused, they are put
   * back where they were, so the tune is not left half set.
   */
  async setCpuTune(uuid: string, tune: Partial<CpuTune>): Promise<void> {
    const { emulatorPcpus, ...sched } = tune;
    let before: number[] | undefined;
    if (emulatorPcpus !== undefined) {
      before = await this.connection.getEmulatorPinInfo(uuid, AffectFlags.LIVE);
      await this.connection.pinEmulator(uuid, emulatorPcpus, this.#affect);
    }
    try {
      if (sched.shares !== undefined || sched.quotaUs !== undefined || sched.periodUs !== undefined) await setCpuTune(this.connection, uuid, sched, this.#affect);
    } catch (err) {
      if (before && before.length > 0) await this.connection.pinEmulator(uuid, before, this.#affect).catch(() => undefined);
      throw err;
    }
  }

  getNumaTune(uuid: string): Promise<NumaTune> {
    return getNumaTune(this.connection, uuid, AffectFlags.CURRENT);
  }

  /** Reads the current numatune and state first; numaTuneChange decides what to send (or refuses). */
  async setNumaTune(uuid: string, tune: NumaTuneRequest): Promise<void> {
    const [current, dom] = await Promise.all([getNumaTune(this.connection, uuid, AffectFlags.CURRENT), this.connection.lookupByUuid(uuid)]);
    const change = numaTuneChange(uuid, current, tune, dom.active);
    if (change) await setNumaTune(this.connection, uuid, change, this.#affect);
  }

  /** shm_* node memory parameters, plus `run` from sysfs when the URI is local (see ksm-run.ts). */
  getKsm(): Promise<KsmSettings> {
    return getKsmSettings(this.connection, isLocalUri(this.uri));
  }

  setKsm(change: Partial<KsmTunables>): Promise<void> {
    return setKsmSettings(this.connection, isLocalUri(this.uri), change);
  }

  /** Peer-to-peer, persistent on the destination, undefined on the source (as the lab does it). */
  migrate(uuid: string, opts: MigrateOptions): Promise<void> {
    const flags =
      MigrateFlags.PEER2PEER |
      MigrateFlags.PERSIST_DEST |
      MigrateFlags.UNDEFINE_SOURCE |
      (opts.live ? MigrateFlags.LIVE : 0);
    return this.connection.migrate(uuid, opts.destUri, {
      flags,
      ...(opts.migrateUri !== undefined ? { migrateUri: opts.migrateUri } : {}),
      ...(opts.bandwidthMiBs !== undefined ? { bandwidthMiBs: opts.bandwidthMiBs } : {}),
    });
  }

  /** virDomainGetJobStats on the source: undefined while the VM has no job (JobType NONE). */
  async migrationProgress(uuid: string): Promise<MigrationProgress | undefined> {
    const p = toJobProgress(await this.connection.getJobStats(uuid));
    if (p.type === JobType.NONE) return undefined;
    const out: MigrationProgress = {};
    if (p.timeElapsedMs !== undefined) out.elapsedMs = p.timeElapsedMs;
    if (p.timeRemainingMs !== undefined) out.remainingMs = p.timeRemainingMs;
    if (p.memoryTotalBytes !== undefined) out.memoryTotalBytes = p.memoryTotalBytes;
    if (p.memoryProcessedBytes !== undefined) out.memoryProcessedBytes = p.memoryProcessedBytes;
    if (p.memoryRemainingBytes !== undefined) out.memoryRemainingBytes = p.memoryRemainingBytes;
    if (p.memoryBytesPerSec !== undefined) out.memoryBytesPerSec = p.memoryBytesPerSec;
    return out;
  }

  abortMigration(uuid: string): Promise<void> {
    return this.connection.abortJob(uuid);
  }

  onEvent(listener: (ev: HypervisorEvent) => void): () => void {
    return this.connection.onEvent((event) => listener(toHypervisorEvent(event)));
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
