import type {
  CpuTune,
  HostInfo,
  HypervisorEvent,
  NodeMemory,
  PcpuTimes,
  VmConfig,
  VmRef,
  VmStats,
} from '@ballast/domain';

export interface CollectOptions {
  /** Include balloon stats (the costly part: a QEMU monitor round trip per VM). */
  balloon: boolean;
  /** Include per-vCPU stats. */
  vcpu: boolean;
}

export interface MigrateOptions {
  /** Destination libvirt URI, e.g. qemu+tcp://10.77.0.2/system. */
  destUri: string;
  /** Migration data URI (VIR_MIGRATE_PARAM_URI), e.g. tcp://10.77.0.2. */
  migrateUri?: string;
  live: boolean;
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
  setMemory(uuid: string, memoryKiB: number): Promise<void>;
  setMemoryStatsPeriod(uuid: string, periodSec: number): Promise<void>;
  pinVcpu(uuid: string, vcpu: number, pcpus: number[]): Promise<void>;
  getCpuTune(uuid: string): Promise<CpuTune>;
  setCpuTune(uuid: string, tune: Partial<CpuTune>): Promise<void>;
  migrate(uuid: string, opts: MigrateOptions): Promise<void>;
  /** Subscribe to events; returns an unsubscribe function. */
  onEvent(listener: (ev: HypervisorEvent) => void): () => void;
  close(): Promise<void>;
}
