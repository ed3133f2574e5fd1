/**
 * Loads the compiled addon (build/Release/ballast_libvirt.node) with createRequire and declares the
 * exact shape of every native function. Loading is lazy: importing @ballast/libvirt for its pure
 * helpers (toVmStats, parseCapabilities) works without the addon; open() needs it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  SchedulerParameters,
  TypedParams,
  VcpuInfo,
} from './types.js';

export interface NativeMigrateOptions {
  migrateUri?: string;
  persistXml?: string;
  destName?: string;
  bandwidthMiBs?: number;
}

/** The ObjectWrap'd virConnectPtr. Every method returns a promise settled by its own AsyncWorker. */
export interface NativeConnection {
  readonly keepaliveSupported: boolean;
  readonly closed: boolean;
  readonly domainCacheSize: number;
  close(): Promise<void>;
  isAlive(): Promise<boolean>;
  enableEvents(callback: (event: LibvirtEvent) => void): Promise<EventSupport>;
  disableEvents(): void;

  getUri(): Promise<string>;
  getHostname(): Promise<string>;
  getCapabilities(): Promise<string>;
  getLibVersion(): Promise<number>;
  getNodeInfo(): Promise<NodeInfo>;
  getNodeCpuStats(): Promise<NodeCpuTimes[]>;
  getNodeMemoryStats(): Promise<NodeMemoryStats>;
  getFreeMemory(): Promise<number>;
  getCellsFreeMemory(): Promise<number[]>;
  getNodeMemoryParameters(): Promise<NodeMemoryParameters>;
  setNodeMemoryParameters(params: NodeMemoryTunables): Promise<void>;

  listAllDomains(flags: number): Promise<DomainSummary[]>;
  listDomainRefs(flags: number): Promise<DomainRef[]>;
  lookupByName(name: string): Promise<DomainSummary>;
  lookupByUuid(uuid: string): Promise<DomainSummary>;
  defineXML(xml: string): Promise<DomainSummary>;
  createXML(xml: string, flags: number): Promise<DomainSummary>;
  create(uuid: string): Promise<void>;
  destroy(uuid: string): Promise<void>;
  shutdown(uuid: string): Promise<void>;
  suspend(uuid: string): Promise<void>;
  resume(uuid: string): Promise<void>;
  undefine(uuid: string, flags: number): Promise<void>;
  getXMLDesc(uuid: string, flags: number): Promise<string>;
  getDomainInfo(uuid: string): Promise<DomainInfo>;
  setMetadata(uuid: string, type: number, metadata: string | null, key: string | null, uri: string | null, flags: number): Promise<void>;
  getMetadata(uuid: string, type: number, uri: string | null, flags: number): Promise<string>;

  memoryStats(uuid: string): Promise<MemoryStats>;
  setMemoryStatsPeriod(uuid: string, periodSec: number, flags: number): Promise<void>;
  startDirtyRateCalc(uuid: string, seconds: number, flags: number): Promise<void>;
  setMemory(uuid: string, memoryKiB: number, flags: number): Promise<void>;

  pinVcpu(uuid: string, vcpu: number, pcpus: number[], flags: number): Promise<void>;
  getVcpuPinInfo(uuid: string, flags: number): Promise<number[][]>;
  pinEmulator(uuid: string, pcpus: number[], flags: number): Promise<void>;
  getEmulatorPinInfo(uuid: string, flags: number): Promise<number[]>;
  getVcpus(uuid: string): Promise<VcpuInfo[]>;

  getSchedulerParameters(uuid: string, flags: number): Promise<SchedulerParameters>;
  setSchedulerParameters(uuid: string, params: TypedParams, flags: number): Promise<void>;
  getNumaParameters(uuid: string, flags: number): Promise<TypedParams>;
  setNumaParameters(uuid: string, params: TypedParams, flags: number): Promise<void>;

  getAllDomainStats(stats: number, flags: number): Promise<DomainStatsRecord[]>;
  getDomainStats(uuids: string[], stats: number, flags: number): Promise<DomainStatsRecord[]>;
  sampleDomain(uuid: string, parts: number, statsGroups: number, statsFlags: number): Promise<DomainSample>;

  migrate(uuid: string, destUri: string, flags: number, options: NativeMigrateOptions): Promise<void>;
  getJobInfo(uuid: string): Promise<JobInfo>;
  getJobStats(uuid: string, flags: number): Promise<JobStats>;
  abortJob(uuid: string): Promise<void>;
}

export interface NativeBinding {
  open(uri: string, readOnly: boolean): Promise<NativeConnection>;
  /** libvirt library version as major * 1,000,000 + minor * 1,000 + release. */
  libVersion(): number | undefined;
  /** Header values, for checking the TS constants. */
  constants: Record<string, number>;
  /** Whether virEventRegisterDefaultImpl succeeded at load (events and keepalive need it). */
  eventLoopRegistered: boolean;
}

const ADDON = 'ballast_libvirt.node';
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const candidates = [join(packageRoot, 'build', 'Release', ADDON), join(packageRoot, 'build', 'Debug', ADDON)];

let cached: NativeBinding | undefined;

/** The addon, loaded on first use. Throws a clear error when it has not been built. */
export function loadNative(): NativeBinding {
  if (cached) return cached;
  const path = candidates.find((candidate) => existsSync(candidate));
  if (!path) {
    throw new Error(
      `@ballast/libvirt: native addon not built (looked for ${candidates[0]}); ` +
        'run `make` or `npm run build:native -w @ballast/libvirt` (needs libvirt-dev and a C++ compiler)',
    );
  }
  const require = createRequire(import.meta.url);
  cached = require(path) as NativeBinding;
  return cached;
}
