/**
 * One host's view of a SimCluster through the Hypervisor interface, as a libvirt connection to that
 * host would give it. URI: sim://<hostId>. Every call reads or changes the cluster synchronously (the
 * returned promise is already settled), except migrate(), which settles when the simulated migration
 * completes during a later SimCluster.advance().
 *
 *   const hv = new SimHypervisor(sim, 'sim://h1');
 *   await hv.setMemoryStatsPeriod(uuid, 1);
 *   sim.advance(2000);
 *   const stats = await hv.collectStats({ balloon: true, vcpu: true });
 *   const moved = hv.migrate(uuid, { destUri: 'sim://h2', live: true });
 *   sim.advance(10_000);
 *   await moved;
 */
import type { CpuTune, HostInfo, HypervisorEvent, KsmSettings, KsmTunables, NodeMemory, NumaTune, PcpuTimes, PinRecord, VmConfig, VmRef, VmStats } from '@ballast/domain';
import { ErrorCode } from '@ballast/libvirt';
import type { CollectOptions, Hypervisor, MigrateOptions, MigrationProgress, NumaTuneRequest } from '@ballast/hypervisor';
import type { SimCluster } from './sim-cluster.js';
import { simError } from './sim-error.js';
import { rssKiB } from './sim-memory.js';
import { simKsm, simNumaTune, simSetKsm, simSetNumaTune } from './sim-tuning.js';
import type { SimVm } from './sim-vm.js';

const URI_RE = /^sim:\/\/([A-Za-z0-9._-]+)\/?$/;

/** The host id of a sim:// URI, or undefined if it is not one. */
export function parseSimUri(uri: string): string | undefined {
  return URI_RE.exec(uri)?.[1];
}

export class SimHypervisor implements Hypervisor {
  readonly uri: string;
  readonly hostId: string;
  private readonly sim: SimCluster;
  private readonly epoch: number;
  private closed = false;
  private readonly unsubscribers = new Set<() => void>();

  /** Opens a connection to one host of `sim`, by URI (sim://h1) or bare host id (h1). */
  constructor(sim: SimCluster, uriOrHostId: string) {
    const hostId = parseSimUri(uriOrHostId) ?? uriOrHostId;
    sim.host(hostId); // throws VIR_ERR_NO_CONNECT for an unknown host
    this.sim = sim;
    this.hostId = hostId;
    this.uri = `sim://${hostId}`;
    this.epoch = sim.connectionEpoch(hostId);
  }

  async hostInfo(): Promise<HostInfo> {
    this.check();
    return this.sim.host(this.hostId).info();
  }

  async nodeCpuTimes(): Promise<PcpuTimes[]> {
    this.check();
    return this.sim.host(this.hostId).cpuTimes();
  }

  async nodeMemory(): Promise<NodeMemory> {
    this.check();
    const host = this.sim.host(this.hostId);
    const freeKiB = Math.round(host.freeKiB());
    return { totalKiB: host.memoryKiB, freeKiB, availableKiB: freeKiB };
  }

  async listVms(): Promise<VmRef[]> {
    this.check();
    return this.sim.host(this.hostId).vmList.map((vm) => ({ uuid: vm.uuid, name: vm.name, state: vm.state }));
  }

  async collectStats(opts: CollectOptions): Promise<VmStats[]> {
    this.check();
    const list = this.sim.host(this.hostId).vmList;
    const out: VmStats[] = new Array<VmStats>(list.length);
    for (let i = 0; i < list.length; i++) out[i] = vmStats(list[i] as SimVm, opts);
    return out;
  }

  async vmStats(uuid: string, opts: CollectOptions): Promise<VmStats> {
    this.check();
    return vmStats(this.sim.vmOn(this.hostId, uuid), opts);
  }

  async vmConfig(uuid: string): Promise<VmConfig> {
    this.check();
    const c = this.sim.vmOn(this.hostId, uuid).config;
    return { ...c, labels: { ...c.labels }, pins: c.pins.map((p) => ({ ...p, pcpus: [...p.pcpus] })) };
  }

  /** Where each vCPU runs now (the CPU model's placement); like libvirt, only for an active VM. */
  async currentPcpus(uuid: string): Promise<number[]> {
    this.check();
    const vm = this.sim.vmOn(this.hostId, uuid);
    if (!vm.holdsMemory) throw simError(ErrorCode.OPERATION_INVALID, `domain '${vm.name}' is not running`);
    return Array.from(vm.vcpuPcpu);
  }

  /** Kept in the VM's config.pins, so vmConfig (the collector) shows them as libvirt's XML would. */
  async recordPins(uuid: string, records: PinRecord[]): Promise<void> {
    this.check();
    this.sim.recordPins(this.hostId, uuid, records);
  }

  async getVcpuPinning(uuid: string): Promise<number[][]> {
    this.check();
    return this.sim.vmOn(this.hostId, uuid).pinning.map((set) => [...set]);
  }

  async setMemory(uuid: string, memoryKiB: number): Promise<void> {
    this.check();
    this.sim.setMemory(this.hostId, uuid, memoryKiB);
  }

  async setMemoryStatsPeriod(uuid: string, periodSec: number): Promise<void> {
    this.check();
    this.sim.setMemoryStatsPeriod(this.hostId, uuid, periodSec);
  }

  async pinVcpu(uuid: string, vcpu: number, pcpus: number[]): Promise<void> {
    this.check();
    this.sim.pinVcpu(this.hostId, uuid, vcpu, pcpus);
  }

  async getCpuTune(uuid: string): Promise<CpuTune> {
    this.check();
    const vm = this.sim.vmOn(this.hostId, uuid);
    return { shares: vm.shares, quotaUs: vm.quotaUs, periodUs: vm.periodUs, emulatorPcpus: this.sim.emulatorPcpus(this.hostId, uuid) };
  }

  async setCpuTune(uuid: string, tune: Partial<CpuTune>): Promise<void> {
    this.check();
    this.sim.setCpuTune(this.hostId, uuid, tune);
  }

  // NUMA tuning and KSM are stored, not modelled (sim-tuning.ts).
  async getNumaTune(uuid: string): Promise<NumaTune> {
    this.check();
    return simNumaTune(this.sim, this.hostId, uuid);
  }

  async setNumaTune(uuid: string, tune: NumaTuneRequest): Promise<void> {
    this.check();
    simSetNumaTune(this.sim, this.hostId, uuid, tune);
  }

  async getKsm(): Promise<KsmSettings> {
    this.check();
    return simKsm(this.sim, this.hostId);
  }

  async setKsm(change: Partial<KsmTunables>): Promise<void> {
    this.check();
    simSetKsm(this.sim, this.hostId, change);
  }

  async migrationProgress(uuid: string): Promise<MigrationProgress | undefined> {
    this.check();
    return this.sim.migrationProgress(this.hostId, uuid);
  }

  async abortMigration(uuid: string): Promise<void> {
    this.check();
    this.sim.abortMigration(this.hostId, uuid);
  }

  /** destUri must be sim://<hostId> of the same cluster; migrateUri and bandwidthMiBs are ignored. */
  async migrate(uuid: string, opts: MigrateOptions): Promise<void> {
    this.check();
    const dest = parseSimUri(opts.destUri);
    if (dest === undefined) throw simError(ErrorCode.NO_CONNECT, `unsupported destination URI '${opts.destUri}'`);
    this.sim.vmOn(this.hostId, uuid);
    this.sim.host(dest);
    return this.sim.migrate(this.hostId, uuid, dest, opts.live);
  }

  onEvent(listener: (ev: HypervisorEvent) => void): () => void {
    this.check();
    const off = this.sim.subscribe(this.hostId, (ev) => listener(ev));
    const unsubscribe = (): void => {
      off();
      this.unsubscribers.delete(unsubscribe);
    };
    this.unsubscribers.add(unsubscribe);
    return unsubscribe;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of [...this.unsubscribers]) off();
  }

  private check(): void {
    if (this.closed) throw simError(ErrorCode.INVALID_CONN, `connection to ${this.uri} is closed`);
    if (this.sim.connectionEpoch(this.hostId) !== this.epoch) {
      throw simError(ErrorCode.INVALID_CONN, `connection to ${this.uri} was lost`);
    }
  }
}

/** One VM's bulk stats, shaped as the libvirt binding reports them. */
function vmStats(vm: SimVm, opts: CollectOptions): VmStats {
  const active = vm.holdsMemory;
  const stats: VmStats = { uuid: vm.uuid, name: vm.name, state: vm.state, vcpus: [] };
  if (active) {
    stats.cpuTimeNs = Math.round(vm.cpuTimeNs);
    if (opts.vcpu) {
      const online = vm.state === 'running' || vm.state === 'paused';
      for (let v = 0; v < vm.vcpus; v++) {
        stats.vcpus.push({ id: v, timeNs: Math.round(vm.vcpuTimeNs[v] as number), delayNs: Math.round(vm.vcpuWaitNs[v] as number), pcpu: vm.vcpuPcpu[v] as number, online });
      }
    }
  }
  if (opts.balloon) {
    const g = active ? vm.guest : undefined;
    stats.balloon = g
      ? {
          currentKiB: Math.round(active ? vm.currentKiB : vm.initialKiB),
          maximumKiB: vm.maxKiB,
          unusedKiB: g.unusedKiB,
          availableKiB: g.availableKiB,
          usableKiB: g.usableKiB,
          diskCachesKiB: g.diskCachesKiB,
          majorFaults: g.majorFaults,
          minorFaults: g.minorFaults,
          swapInKiB: g.swapInKiB,
          swapOutKiB: g.swapOutKiB,
          rssKiB: rssKiB(vm),
          lastUpdateSec: g.lastUpdateSec,
        }
      : {
          currentKiB: Math.round(active ? vm.currentKiB : vm.initialKiB),
          maximumKiB: vm.maxKiB,
          ...(active ? { rssKiB: rssKiB(vm) } : {}),
        };
  }
  return stats;
}
