import type {
  CpuTune,
  HostInfo,
  HypervisorEvent,
  KsmSettings,
  KsmTunables,
  NodeMemory,
  NumaMode,
  NumaTune,
  PcpuTimes,
  PinRecord,
  VmConfig,
  VmRef,
  VmStats,
} from '@ballast/domain';

export interface CollectOptions {
  /** Include balloon stats (the costly part: a QEMU monitor round trip per VM). */
  balloon: boolean;
  /**
   * With balloon: which VMs need them this cycle (the collector's per-VM balloon schedule); default all. A read that
   * can skip VMs (LibvirtHypervisor per-domain) leaves the others' balloon out; a bulk read has everyone's.
   */
  balloonFor?: (uuid: string) => boolean;
  /** Include per-vCPU stats. */
  vcpu: boolean;
  /**
   * Include each vCPU's wait for a pCPU (delayNs). Default true. False lets LibvirtHypervisor's per-domain read
   * skip libvirt's vcpu stats group (about half the cost of a cycle on the lab) and take per-vCPU times from
   * virDomainGetVcpus; the bulk read always has it.
   */
  vcpuWait?: boolean;
  /** Include each VM's last dirty-rate measurement (see startDirtyRateCalc). */
  dirtyRate?: boolean;
  /**
   * Also where each running VM's vCPUs are now (vcpus[].pcpu), where the hypervisor can read it along with the
   * stats (LibvirtHypervisor: virDomainGetVcpus per VM, issued with its stats); others leave it out and
   * currentPcpus() is the way.
   */
  placement?: boolean;
}

/** What setNumaTune asks for: the cells, and the mode when it should be set or kept. */
export interface NumaTuneRequest {
  mode?: NumaMode;
  /** NUMA cell ids (at least one). */
  nodeset: number[];
}

export interface MigrateOptions {
  /** Destination libvirt URI, e.g. qemu+tcp://10.77.0.2/system. */
  destUri: string;
  /** Migration data URI (VIR_MIGRATE_PARAM_URI), e.g. tcp://10.77.0.2. */
  migrateUri?: string;
  live: boolean;
  /** Cap on the migration's bandwidth, MiB/s (VIR_MIGRATE_PARAM_BANDWIDTH); absent: QEMU's default. */
  bandwidthMiBs?: number;
}

/** A migration under way, as the source host sees it (virDomainGetJobStats); fields absent until reported. */
export interface MigrationProgress {
  elapsedMs?: number;
  remainingMs?: number;
  /** Guest memory to send, sent, left (bytes). */
  memoryTotalBytes?: number;
  memoryProcessedBytes?: number;
  memoryRemainingBytes?: number;
  /** Transfer rate of memory, bytes/s. */
  memoryBytesPerSec?: number;
}

/**
 * What collector and actuator need of a hypervisor. VMs are addressed by UUID.
 * Memory is in KiB throughout (libvirt's unit for balloon and setMemory).
 */
export interface Hypervisor {
  readonly uri: string;
  hostInfo(): Promise<HostInfo>;
  nodeCpuTimes(): Promise<PcpuTimes[]>;
  nodeMemory(): Promise<NodeMemory>;
  listVms(): Promise<VmRef[]>;
  /** Stats of every VM in one go (the collector's per-cycle read). */
  collectStats(opts: CollectOptions): Promise<VmStats[]>;
  /** Stats of one VM, whatever its state (the actuator's check before and after a change). */
  vmStats(uuid: string, opts: CollectOptions): Promise<VmStats>;
  /** vCPU → pCPU affinity list, indexed by vCPU id. */
  getVcpuPinning(uuid: string): Promise<number[][]>;
  /** What the VM's domain configuration says (labels, memory backing, passthrough, balloon device). */
  vmConfig(uuid: string): Promise<VmConfig>;
  /**
   * The pCPU each vCPU of a running VM is on now, indexed by vCPU id (-1: offline), as `virsh vcpuinfo`
   * shows it (virDomainGetVcpus). Bulk stats do not carry it, so this is one call per VM.
   */
  currentPcpus(uuid: string): Promise<number[]>;
  /**
   * Writes the pins Ballast set on a VM (who set each, when) into its <metadata> (BALLAST_PINS_NS), replacing
   * the whole record list (an empty list removes it); vmConfig(uuid).pins reads them back. Written live only,
   * like the pins themselves: a record lives exactly as long as the pin it describes (it survives engine,
   * collector and libvirtd restarts and a migration, and goes with the pin when the guest restarts from its
   * definition). A change is announced by a metadata-change event.
   */
  recordPins(uuid: string, records: PinRecord[]): Promise<void>;
  setMemory(uuid: string, memoryKiB: number): Promise<void>;
  setMemoryStatsPeriod(uuid: string, periodSec: number): Promise<void>;
  /**
   * Starts measuring how fast the VM dirties its memory over `seconds`; collectStats with `dirtyRate`
   * reports the result once measured. Absent where the hypervisor cannot measure it.
   */
  startDirtyRateCalc?(uuid: string, seconds: number): Promise<void>;
  pinVcpu(uuid: string, vcpu: number, pcpus: number[]): Promise<void>;
  getCpuTune(uuid: string): Promise<CpuTune>;
  setCpuTune(uuid: string, tune: Partial<CpuTune>): Promise<void>;
  /** The VM's NUMA memory placement; a VM without numatune reads as strict with an empty nodeset. */
  getNumaTune(uuid: string): Promise<NumaTune>;
  /**
   * Sets the VM's nodeset (and mode). Nothing happens when it is in place already. A running VM
   * keeps its mode once it has a numatune, and changes its nodeset only in restrictive mode: other
   * changes reject with OPERATION_INVALID (see numaTuneChange for libvirt's rules).
   */
  setNumaTune(uuid: string, tune: NumaTuneRequest): Promise<void>;
  /** The host's KSM settings and counters (`run` absent where it cannot be read). */
  getKsm(): Promise<KsmSettings>;
  /** Changes the given KSM fields; `run` only where the host's sysfs is reachable, else NO_SUPPORT. */
  setKsm(change: Partial<KsmTunables>): Promise<void>;
  migrate(uuid: string, opts: MigrateOptions): Promise<void>;
  /** The VM's migration under way; undefined when it has no job (not started yet, or over). */
  migrationProgress(uuid: string): Promise<MigrationProgress | undefined>;
  /** Aborts the VM's migration under way (virDomainAbortJob): its migrate() then rejects and it stays here. */
  abortMigration(uuid: string): Promise<void>;
  /** Subscribe to events; returns an unsubscribe function. */
  onEvent(listener: (ev: HypervisorEvent) => void): () => void;
  close(): Promise<void>;
}
