/**
 * Plain data returned by the binding. Units are in the names: KiB for memory (converted at the
 * binding where libvirt reports bytes), ns for CPU time, ms for job time, bytes for migration data.
 */

/** libvirt typed parameters as a plain object (ullong values above 2^53 lose precision). */
export type TypedParams = Record<string, number | string | boolean>;

/** virNodeGetInfo. */
export interface NodeInfo {
  model: string;
  memoryKiB: number;
  /** Active pCPUs. */
  cpus: number;
  mhz: number;
  /** NUMA cells (1 when the host is not NUMA or the driver cannot tell). */
  nodes: number;
  /** Sockets per NUMA cell. */
  sockets: number;
  cores: number;
  threads: number;
}

/** virNodeGetCPUStats for one online pCPU; cumulative since boot. */
export interface NodeCpuTimes {
  cpu: number;
  userNs: number;
  kernelNs: number;
  idleNs: number;
  iowaitNs: number;
}

/** virNodeGetMemoryStats over all cells. */
export interface NodeMemoryStats {
  totalKiB: number;
  freeKiB: number;
  buffersKiB?: number;
  cachedKiB?: number;
}

/**
 * The node memory parameters libvirt can change (virNodeSetMemoryParameters): KSM's tunables,
 * under libvirt's names. Each is a plain number; the binding gives it libvirt's type.
 */
export interface NodeMemoryTunables {
  /** Pages ksmd scans per wake-up (/sys/kernel/mm/ksm/pages_to_scan). */
  shm_pages_to_scan?: number;
  /** ksmd's sleep between wake-ups, ms. */
  shm_sleep_millisecs?: number;
  /** 1: pages of different NUMA cells may merge; 0: only within a cell (changeable only with no shared pages). */
  shm_merge_across_nodes?: number;
}

/**
 * virNodeGetMemoryParameters: KSM's tunables and its read-only counters, each when the host reports
 * it (QEMU on Linux reports them all; shm_merge_across_nodes only on a kernel with NUMA). KSM's `run`
 * is not among them. Not supported by the test driver.
 */
export interface NodeMemoryParameters extends NodeMemoryTunables {
  /** Shared pages in use (pages_shared). */
  shm_pages_shared?: number;
  /** Sites sharing them, i.e. how much is saved (pages_sharing). */
  shm_pages_sharing?: number;
  /** Pages unique but repeatedly checked for merging. */
  shm_pages_unshared?: number;
  /** Pages changing too fast to be placed in a tree. */
  shm_pages_volatile?: number;
  /** How many times all mergeable areas have been scanned. */
  shm_full_scans?: number;
}

/** What list and lookup calls return about a domain. */
/** One domain's per-cycle read (sampleDomain). */
export interface DomainSample {
  info: DomainInfo;
  /** virDomainGetVcpus, when asked and it worked. */
  vcpus?: VcpuInfo[];
  /** virDomainListGetStats of the asked groups, when asked and reported: the record's name and params. */
  name?: string;
  params?: TypedParams;
}

/** A domain as listDomainRefs reports it: no state query, just what the list itself says. */
export interface DomainRef {
  uuid: string;
  name: string;
  /** Hypervisor id; -1 when inactive. */
  id: number;
}

export interface DomainSummary {
  uuid: string;
  name: string;
  /** Hypervisor id; -1 when inactive. */
  id: number;
  /** virDomainState (see DomainState). */
  state: number;
  active: boolean;
  persistent: boolean;
}

/** virDomainGetInfo. */
export interface DomainInfo {
  state: number;
  maxMemKiB: number;
  memoryKiB: number;
  nrVirtCpu: number;
  cpuTimeNs: number;
}

/** One record of virConnectGetAllDomainStats, raw ("state.state", "balloon.current", ...). */
export interface DomainStatsRecord {
  uuid: string;
  name: string;
  params: TypedParams;
}

/** virDomainMemoryStats; each field only when the driver/guest reports it. */
export interface MemoryStats {
  actualKiB?: number;
  swapInKiB?: number;
  swapOutKiB?: number;
  majorFaults?: number;
  minorFaults?: number;
  unusedKiB?: number;
  availableKiB?: number;
  usableKiB?: number;
  rssKiB?: number;
  diskCachesKiB?: number;
  /** Guest timestamp of its last balloon stats update, seconds. */
  lastUpdateSec?: number;
  hugetlbPgAlloc?: number;
  hugetlbPgFail?: number;
}

/** virDomainGetVcpus, one per online vCPU. */
export interface VcpuInfo {
  vcpu: number;
  /** VcpuState. */
  state: number;
  cpuTimeNs: number;
  /** pCPU it runs (or last ran) on; -1 when offline. */
  cpu: number;
}

/** virDomainGetSchedulerType + virDomainGetSchedulerParametersFlags. */
export interface SchedulerParameters {
  /** Scheduler name, e.g. "posix" (QEMU) or "fair" (test driver). */
  type: string;
  params: TypedParams;
}

/** virDomainGetNumaParameters. numa_mode is a virDomainNumatuneMemMode (0 strict, 1 preferred, 2 interleave, 3 restrictive). */
export interface NumaParameters {
  numa_mode?: number;
  numa_nodeset?: string;
  [field: string]: number | string | boolean | undefined;
}

/** virDomainGetJobInfo. */
export interface JobInfo {
  /** JobType. */
  type: number;
  timeElapsedMs: number;
  timeRemainingMs: number;
  dataTotalBytes: number;
  dataProcessedBytes: number;
  dataRemainingBytes: number;
  memTotalBytes: number;
  memProcessedBytes: number;
  memRemainingBytes: number;
}

/** virDomainGetJobStats, raw ("time_elapsed", "data_total", ...). */
export interface JobStats {
  type: number;
  params: TypedParams;
}

/** Which event registrations the driver accepted. */
export interface EventSupport {
  lifecycle: boolean;
  tunable: boolean;
  balloonChange: boolean;
  metadataChange: boolean;
  /** virConnectRegisterCloseCallback ('connection-lost'). */
  closeCallback: boolean;
}

export type ConnectionLostReason = 'error' | 'eof' | 'keepalive' | 'client' | 'unknown';

/** Events delivered from libvirt's event loop thread. */
export type LibvirtEvent =
  | { type: 'lifecycle'; uuid: string; name: string; event: number; detail: number }
  | { type: 'tunable'; uuid: string; name: string; params: TypedParams }
  | { type: 'balloon-change'; uuid: string; name: string; actualKiB: number }
  /** setMetadata changed the domain's title, description or a <metadata> element (nsUri: its namespace, else null). */
  | { type: 'metadata-change'; uuid: string; name: string; metadataType: number; nsUri: string | null }
  | { type: 'connection-lost'; reason: ConnectionLostReason; reasonCode: number };
