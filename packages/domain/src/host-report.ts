import type { VmState } from './model.js';

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
}

/** The XML namespace of Ballast's labels in a domain's <metadata>. */
export const BALLAST_LABELS_NS = 'https://ballast.dev/xmlns/labels/1';

export interface VmReport {
  uuid: string;
  name: string;
  state: VmState;
  cpuPercent: number;
  vcpus: { id: number; usagePercent: number; pcpus: number[]; currentPcpu?: number }[];
  /** Absent until the collector has read the domain's configuration. */
  config?: VmConfig;
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
