import { AffectFlags, MigrateFlags } from './constants.js';
import { toLibvirtError } from './libvirt-error.js';
import type { NativeConnection } from './native.js';
import type {
  DomainInfo,
  DomainRef,
  DomainSample,
  DomainStatsRecord,
  DomainSummary,
  EventSupport,
  JobInfo,
  JobStats,
  LibvirtEvent,
  MemoryStats,
  NodeCpuTimes,
  NodeInfo,
  NodeMemoryParameters,
  NodeMemoryStats,
  NodeMemoryTunables,
  NumaParameters,
  SchedulerParameters,
  TypedParams,
  VcpuInfo,
} from './types.js';

export interface MigrateOptions {
  /** MigrateFlags; default LIVE | PEER2PEER. Without PEER2PEER this process connects to destUri itself. */
  flags?: number;
  /** VIR_MIGRATE_PARAM_URI: where QEMU sends the data, e.g. tcp://10.77.0.2. */
  migrateUri?: string;
  /** VIR_MIGRATE_PARAM_PERSIST_XML: definition to persist on the destination. */
  persistXml?: string;
  /** VIR_MIGRATE_PARAM_DEST_NAME. */
  destName?: string;
  /** VIR_MIGRATE_PARAM_BANDWIDTH in MiB/s. */
  bandwidthMiBs?: number;
}

export type EventListener = (event: LibvirtEvent) => void;

/**
 * One libvirt connection. Every call runs on the libuv thread pool (one AsyncWorker each) and
 * rejects with a LibvirtError; an argument of the wrong type throws a TypeError synchronously.
 * Domains are addressed by UUID string. Memory is in KiB.
 *
 * Obtain one with open(); call close() when done (in-flight calls still complete).
 */
export class Connection {
  readonly uri: string;
  readonly readOnly: boolean;
  readonly #native: NativeConnection;
  readonly #listeners = new Set<EventListener>();
  #eventsReady: Promise<EventSupport> | undefined;

  /** @internal Use open(). */
  constructor(native: NativeConnection, uri: string, readOnly: boolean) {
    this.#native = native;
    this.uri = uri;
    this.readOnly = readOnly;
  }

  /** Whether virConnectSetKeepAlive(5 s, 3) took effect at open (false on the test and local drivers). */
  get keepaliveSupported(): boolean {
    return this.#native.keepaliveSupported;
  }

  get closed(): boolean {
    return this.#native.closed;
  }

  /**
   * For tests and debugging: how many domain handles the native layer keeps (uuid -> virDomainPtr). Per-domain
   * calls use them instead of looking the domain up by UUID each time; see the README's "Domain handles".
   */
  get domainCacheSize(): number {
    return this.#native.domainCacheSize;
  }

  /** Deregisters events and drops the connection; idempotent. */
  close(): Promise<void> {
    this.#listeners.clear();
    return this.#wrap(this.#native.close());
  }

  isAlive(): Promise<boolean> {
    return this.#wrap(this.#native.isAlive());
  }

  // ---- host -------------------------------------------------------------------------------

  /** Canonical URI (virConnectGetURI). */
  getUri(): Promise<string> {
    return this.#wrap(this.#native.getUri());
  }

  getHostname(): Promise<string> {
    return this.#wrap(this.#native.getHostname());
  }

  /** Capabilities XML; see parseCapabilities() for the host UUID and NUMA topology. */
  getCapabilities(): Promise<string> {
    return this.#wrap(this.#native.getCapabilities());
  }

  /** Version of the libvirt the driver runs (the daemon's for remote URIs), major*1e6+minor*1e3+release. */
  getLibVersion(): Promise<number> {
    return this.#wrap(this.#native.getLibVersion());
  }

  getNodeInfo(): Promise<NodeInfo> {
    return this.#wrap(this.#native.getNodeInfo());
  }

  /** Cumulative times of every online pCPU (virNodeGetCPUStats per CPU). */
  getNodeCpuStats(): Promise<NodeCpuTimes[]> {
    return this.#wrap(this.#native.getNodeCpuStats());
  }

  /** virNodeGetMemoryStats over all cells (not supported by the test driver). */
  getNodeMemoryStats(): Promise<NodeMemoryStats> {
    return this.#wrap(this.#native.getNodeMemoryStats());
  }

  /** virNodeGetFreeMemory, converted from bytes. */
  getFreeMemoryKiB(): Promise<number> {
    return this.#wrap(this.#native.getFreeMemory());
  }

  /** virNodeGetCellsFreeMemory for every NUMA cell (index = cell id), converted from bytes. */
  getCellsFreeMemoryKiB(): Promise<number[]> {
    return this.#wrap(this.#native.getCellsFreeMemory());
  }

  /** KSM's tunables and counters (virNodeGetMemoryParameters; not supported by the test driver). */
  getNodeMemoryParameters(): Promise<NodeMemoryParameters> {
    return this.#wrap(this.#native.getNodeMemoryParameters());
  }

  /**
   * Sets the given KSM tunables (virNodeSetMemoryParameters) on the host libvirtd runs on. At least
   * one is needed (libvirt rejects an empty set with INVALID_ARG); a read-only connection is refused.
   */
  setNodeMemoryParameters(params: NodeMemoryTunables): Promise<void> {
    return this.#wrap(this.#native.setNodeMemoryParameters(params));
  }

  // ---- domains ----------------------------------------------------------------------------

  /** virConnectListAllDomains (ListDomainsFlags filters; 0 = all), with state and persistence. */
  listAllDomains(flags = 0): Promise<DomainSummary[]> {
    return this.#wrap(this.#native.listAllDomains(flags));
  }

  /**
   * virConnectListAllDomains (ListDomainsFlags) without the two state queries per domain that listAllDomains
   * makes: one round trip. Refreshes the domain handles; with flags 0 it also drops those of domains gone.
   */
  listDomainRefs(flags = 0): Promise<DomainRef[]> {
    return this.#wrap(this.#native.listDomainRefs(flags));
  }

  lookupByName(name: string): Promise<DomainSummary> {
    return this.#wrap(this.#native.lookupByName(name));
  }

  lookupByUuid(uuid: string): Promise<DomainSummary> {
    return this.#wrap(this.#native.lookupByUuid(uuid));
  }

  /** Defines (or redefines) a persistent domain. */
  defineXML(xml: string): Promise<DomainSummary> {
    return this.#wrap(this.#native.defineXML(xml));
  }

  /** Creates and starts a transient domain. */
  createXML(xml: string, flags = 0): Promise<DomainSummary> {
    return this.#wrap(this.#native.createXML(xml, flags));
  }

  /** Starts a defined domain. */
  create(uuid: string): Promise<void> {
    return this.#wrap(this.#native.create(uuid));
  }

  /** Hard stop. */
  destroy(uuid: string): Promise<void> {
    return this.#wrap(this.#native.destroy(uuid));
  }

  /** Asks the guest to shut down (ACPI). */
  shutdown(uuid: string): Promise<void> {
    return this.#wrap(this.#native.shutdown(uuid));
  }

  suspend(uuid: string): Promise<void> {
    return this.#wrap(this.#native.suspend(uuid));
  }

  resume(uuid: string): Promise<void> {
    return this.#wrap(this.#native.resume(uuid));
  }

  /** virDomainUndefineFlags (UndefineFlags). */
  undefine(uuid: string, flags = 0): Promise<void> {
    return this.#wrap(this.#native.undefine(uuid, flags));
  }

  /** virDomainGetXMLDesc (DomainXmlFlags). */
  getXMLDesc(uuid: string, flags = 0): Promise<string> {
    return this.#wrap(this.#native.getXMLDesc(uuid, flags));
  }

  getDomainInfo(uuid: string): Promise<DomainInfo> {
    return this.#wrap(this.#native.getDomainInfo(uuid));
  }

  /**
   * virDomainSetMetadata. `type` is a MetadataType. For ELEMENT, `metadata` is one XML element written
   * without a namespace: libvirt stores it in namespace `uri` under the prefix `key`, replacing the
   * element of that namespace; for TITLE / DESCRIPTION it is the text (key and uri null). null metadata
   * removes it. Emits a 'metadata-change' event. Default flags: LIVE.
   */
  setMetadata(
    uuid: string,
    type: number,
    metadata: string | null,
    key: string | null,
    uri: string | null,
    flags: number = AffectFlags.LIVE,
  ): Promise<void> {
    return this.#wrap(this.#native.setMetadata(uuid, type, metadata, key, uri, flags));
  }

  /**
   * virDomainGetMetadata: the ELEMENT of namespace `uri` (as XML, without its prefix), or the title /
   * description text (uri null). Nothing there rejects with isNoMetadata. Default flags: CURRENT.
   */
  getMetadata(uuid: string, type: number, uri: string | null, flags: number = AffectFlags.CURRENT): Promise<string> {
    return this.#wrap(this.#native.getMetadata(uuid, type, uri, flags));
  }

  /**
   * virConnectGetAllDomainStats: `stats` is a DomainStats mask, `flags` GetAllDomainStatsFlags.
   * Pass NOWAIT on busy hosts. Raw records; see toVmStats().
   */
  getAllDomainStats(stats: number, flags = 0): Promise<DomainStatsRecord[]> {
    return this.#wrap(this.#native.getAllDomainStats(stats, flags));
  }

  /**
   * virDomainListGetStats for the given domains, from kept handles (looked up on first use): records as
   * getAllDomainStats gives them, for the domains found (one gone is left out). `flags`: NOWAIT, ENFORCE_STATS
   * (libvirt refuses the list filters such as ACTIVE here). One call per domain, issued together, overlaps in
   * libvirtd: each runs on its own pool thread.
   */
  getDomainStats(uuids: string[], stats: number, flags = 0): Promise<DomainStatsRecord[]> {
    return this.#wrap(this.#native.getDomainStats(uuids, stats, flags));
  }

  /**
   * One domain's per-cycle read in one worker, one call after the other on its kept handle: virDomainGetInfo,
   * then virDomainGetVcpus (`vcpus`) and virDomainListGetStats of `statsGroups` (a DomainStats mask; 0: none) with
   * `statsFlags` (e.g. NOWAIT). Issued for every domain at once, each holds one pool thread and comes back to JS
   * once. A part that fails (a driver without it, a domain stopped meanwhile) is left out; a domain gone rejects
   * with isNoDomain, a connection gone with its error.
   */
  sampleDomain(uuid: string, opts: { vcpus?: boolean; statsGroups?: number; statsFlags?: number } = {}): Promise<DomainSample> {
    return this.#wrap(this.#native.sampleDomain(uuid, opts.vcpus ? 1 : 0, opts.statsGroups ?? 0, opts.statsFlags ?? 0));
  }

  // ---- memory -----------------------------------------------------------------------------

  /** virDomainMemoryStats (balloon driver figures, KiB). */
  memoryStats(uuid: string): Promise<MemoryStats> {
    return this.#wrap(this.#native.memoryStats(uuid));
  }

  /** How often the guest balloon driver refreshes its stats; 0 disables. Default flags: LIVE. */
  setMemoryStatsPeriod(uuid: string, periodSec: number, flags: number = AffectFlags.LIVE): Promise<void> {
    return this.#wrap(this.#native.setMemoryStatsPeriod(uuid, periodSec, flags));
  }

  /**
   * Starts measuring how fast the guest dirties its memory over `seconds` (virDomainStartDirtyRateCalc,
   * QEMU's page sampling); bulk stats with DomainStats.DIRTYRATE carry the result once measured.
   */
  startDirtyRateCalc(uuid: string, seconds: number, flags = 0): Promise<void> {
    return this.#wrap(this.#native.startDirtyRateCalc(uuid, seconds, flags));
  }

  /** Balloon target (virDomainSetMemoryFlags). Default flags: LIVE. */
  setMemory(uuid: string, memoryKiB: number, flags: number = AffectFlags.LIVE): Promise<void> {
    return this.#wrap(this.#native.setMemory(uuid, memoryKiB, flags));
  }

  // ---- vCPUs ------------------------------------------------------------------------------

  /** Pins one vCPU to a set of pCPUs (virDomainPinVcpuFlags). Default flags: LIVE. */
  pinVcpu(uuid: string, vcpu: number, pcpus: number[], flags: number = AffectFlags.LIVE): Promise<void> {
    return this.#wrap(this.#native.pinVcpu(uuid, vcpu, pcpus, flags));
  }

  /** Affinity of every vCPU: result[vcpu] = pCPU ids. Default flags: CURRENT. */
  getVcpuPinInfo(uuid: string, flags: number = AffectFlags.CURRENT): Promise<number[][]> {
    return this.#wrap(this.#native.getVcpuPinInfo(uuid, flags));
  }

  /** Pins the domain's emulator threads (QEMU's main loop and I/O, not its vCPUs) to a set of pCPUs (virDomainPinEmulator). Default flags: LIVE. */
  pinEmulator(uuid: string, pcpus: number[], flags: number = AffectFlags.LIVE): Promise<void> {
    return this.#wrap(this.#native.pinEmulator(uuid, pcpus, flags));
  }

  /** Affinity of the domain's emulator threads: pCPU ids (virDomainGetEmulatorPinInfo). Default flags: CURRENT. */
  getEmulatorPinInfo(uuid: string, flags: number = AffectFlags.CURRENT): Promise<number[]> {
    return this.#wrap(this.#native.getEmulatorPinInfo(uuid, flags));
  }

  /** Per-vCPU state, time and current pCPU of a running domain (virDomainGetVcpus). */
  getVcpus(uuid: string): Promise<VcpuInfo[]> {
    return this.#wrap(this.#native.getVcpus(uuid));
  }

  // ---- scheduler / NUMA -------------------------------------------------------------------

  /** Scheduler type and parameters (cpu_shares, vcpu_period, vcpu_quota, ... on QEMU). Default flags: CURRENT. */
  getSchedulerParameters(uuid: string, flags: number = AffectFlags.CURRENT): Promise<SchedulerParameters> {
    return this.#wrap(this.#native.getSchedulerParameters(uuid, flags));
  }

  /**
   * Sets scheduler parameters; each value is converted to the type libvirt reports for that
   * field (unknown fields reject with INVALID_ARG). Default flags: LIVE.
   */
  setSchedulerParameters(uuid: string, params: TypedParams, flags: number = AffectFlags.LIVE): Promise<void> {
    return this.#wrap(this.#native.setSchedulerParameters(uuid, params, flags));
  }

  /** numa_mode and numa_nodeset. Default flags: CURRENT. */
  getNumaParameters(uuid: string, flags: number = AffectFlags.CURRENT): Promise<NumaParameters> {
    return this.#wrap(this.#native.getNumaParameters(uuid, flags));
  }

  /** Default flags: LIVE. */
  setNumaParameters(uuid: string, params: NumaParameters, flags: number = AffectFlags.LIVE): Promise<void> {
    const clean: TypedParams = {};
    for (const [key, value] of Object.entries(params)) if (value !== undefined) clean[key] = value;
    return this.#wrap(this.#native.setNumaParameters(uuid, clean, flags));
  }

  // ---- migration --------------------------------------------------------------------------

  /**
   * Migrates a domain to destUri (virDomainMigrateToURI3 with PEER2PEER, else virDomainMigrate3).
   * Holds a pool thread until done; watch progress with getJobStats/getJobInfo.
   */
  migrate(uuid: string, destUri: string, options: MigrateOptions = {}): Promise<void> {
    const { flags = MigrateFlags.LIVE | MigrateFlags.PEER2PEER, ...params } = options;
    return this.#wrap(this.#native.migrate(uuid, destUri, flags, params));
  }

  getJobInfo(uuid: string): Promise<JobInfo> {
    return this.#wrap(this.#native.getJobInfo(uuid));
  }

  /** Raw job stats; see toJobProgress(). */
  getJobStats(uuid: string, flags = 0): Promise<JobStats> {
    return this.#wrap(this.#native.getJobStats(uuid, flags));
  }

  abortJob(uuid: string): Promise<void> {
    return this.#wrap(this.#native.abortJob(uuid));
  }

  // ---- events -----------------------------------------------------------------------------

  /**
   * Subscribes to lifecycle, tunable, balloon-change and connection-lost events; returns an
   * unsubscribe function. The first listener registers the callbacks (in the background; await
   * eventsReady() to know they are in place). While there are listeners the connection keeps the
   * process alive; with none (or after close) it does not.
   */
  onEvent(listener: EventListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) {
      const ready = this.#wrap(this.#native.enableEvents((event) => this.#dispatch(event)));
      ready.catch(() => undefined); // reported through eventsReady()
      this.#eventsReady = ready;
    }
    return () => {
      if (this.#listeners.delete(listener) && this.#listeners.size === 0 && !this.closed) {
        this.#native.disableEvents();
      }
    };
  }

  /** Settles once the latest event registration has finished (rejects if it failed). */
  eventsReady(): Promise<EventSupport> {
    return this.#eventsReady ?? Promise.reject(new Error('no event listener registered'));
  }

  #dispatch(event: LibvirtEvent): void {
    let first: unknown;
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first; // surfaces as an uncaught exception, like EventEmitter
  }

  #wrap<T>(promise: Promise<T>): Promise<T> {
    const callSite = new Error();
    return promise.catch((err: unknown) => {
      throw toLibvirtError(err, callSite);
    });
  }
}
