import type { CpuTune, KsmRun, NumaTune, VmState } from './model.js';

/** One collection cycle of one host: what the collector sends and the policy engine ingests. */
export interface HostReport {
  hostId: string;
  hostname: string;
  hostUuid: string;
  takenAtMs: number;
  collectMs: number;
  intervalMs: number;
  pcpuCount: number;
  memoryTotalKiB: number;
  memoryFreeKiB: number;
  pcpus: { pcpu: number; usagePercent: number }[];
  numaCells: { id: number; cpus: number[]; memoryKiB: number; freeKiB: number }[];
  vms: VmReport[];
  migrationUri?: string;
  migrationDataUri?: string;
  /** The host's labels from its collector's config (BALLAST_HOST_LABELS), e.g. { rack: "r1" }. */
  labels?: Record<string, string>;
  /** The host's KSM (kernel same-page merging), when the collector can read it. */
  ksm?: HostKsm;
}

/** KSM as one host's collector sees it: ksmd's settings, its counters and what it costs. */
export interface HostKsm {
  /** Absent where it cannot be read (a remote libvirt: /sys/kernel/mm/ksm is out of reach). */
  run?: KsmRun;
  pagesToScan: number;
  sleepMillisecs: number;
  /** Shared pages in use, and the sites sharing them (pagesSharing × 4 KiB is what merging saves). */
  pagesShared: number;
  pagesSharing: number;
  pagesUnshared: number;
  pagesVolatile: number;
  fullScans: number;
  /** CPU ksmd used over the last interval, percent of one pCPU; absent when unknown (ksmd not local). */
  ksmdCpuPercent?: number;
}

/**
 * A vCPU pin Ballast set, as the actuator records it in the domain's <metadata> (namespace
 * BALLAST_PINS_NS) when it pins: who set it and to which pCPUs. A vCPU whose affinity still equals its
 * record is Ballast's; one pinned to a subset of the pCPUs without a matching record was pinned by someone
 * else. Kept in the domain, so it survives engine and libvirtd restarts.
 */
export interface PinRecord {
  vcpu: number;
  pcpus: number[];
  /** 'policy:<name>' or 'manual'. */
  by: string;
  atMs: number;
}

/**
 * What a domain's configuration says that matters to policies: read from its XML (libvirt's live
 * definition) when the collector first sees it, after lifecycle events and every minute.
 */
export interface VmConfig {
  /** Labels from the domain's <metadata> element in the Ballast namespace (BALLAST_LABELS_NS). */
  labels: Record<string, string>;
  /** <memoryBacking><locked/>: guest memory is pinned in host RAM; a balloon cannot return it. */
  memoryLocked: boolean;
  /** <memoryBacking><hugepages>: guest memory comes from the host's huge page pool. */
  hugepages: boolean;
  /** <hostdev> devices passed through (VFIO): guest memory is pinned for their DMA. */
  hostdevCount: number;
  /** The balloon device's model ('virtio', 'none', … or '' without a <memballoon> element). */
  balloonModel: string;
  /** <memballoon><driver deflate_on_oom='on'>: the guest deflates the balloon itself under OOM. */
  deflateOnOom: boolean;
  /** The pins Ballast recorded in <metadata> (BALLAST_PINS_NS); empty when it set none. */
  pins: PinRecord[];
}

/** The XML namespace of Ballast's labels in a domain's <metadata>. */
export const BALLAST_LABELS_NS = 'https://ballast.dev/xmlns/labels/1';

/** The XML namespace of the pins Ballast records in a domain's <metadata> (PinRecord). */
export const BALLAST_PINS_NS = 'https://ballast.dev/xmlns/pins/1';

export interface VmReport {
  uuid: string;
  name: string;
  state: VmState;
  cpuPercent: number;
  /**
   * Per vCPU: its usage over the interval, the share of it it waited runnable for a pCPU (usage + wait is what
   * it wanted, up to 100), its affinity and the pCPU it last ran on.
   */
  vcpus: { id: number; usagePercent: number; waitPercent?: number; pcpus: number[]; currentPcpu?: number }[];
  /** Absent until the collector has read the domain's configuration. */
  config?: VmConfig;
  /** cpu_shares and vcpu_quota/period as libvirt reports them; absent until read (or where the driver has none). */
  cpuTune?: CpuTune;
  /** The VM's numatune; absent until read (or where the driver has none). */
  numaTune?: NumaTune;
  /** How fast the guest dirties its memory, MiB/s (libvirt's dirtyrate measurement), when measured. */
  dirtyRateMiBPerSec?: number;
  balloon?: {
    actualKiB: number;
    maximumKiB: number;
    hasGuestStats: boolean;
    unusedKiB: number;
    availableKiB: number;
    usableKiB: number;
    majorFaults: number;
    swapInKiB: number;
    lastUpdateSec: number;
  };
}
