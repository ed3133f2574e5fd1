/** Builders of cluster snapshots for the cluster-balance tests: hosts with pCPUs, memory, labels; VMs with CPU use and a balloon. */
import type { ClusterSnapshot, HostView, JobRecord, MigrationRecord, VmView } from '../../snapshot.js';
import type { PublishedSignal } from '../../snapshot.js';
import { validateClusterBalanceArgs } from './validate.js';
import type { ClusterBalanceArgs } from './args.js';

export const NOW = 1_800_000_000_000;
const GIB_KIB = 1024 * 1024;

export interface HostOpts {
  pcpus?: number;
  memoryGiB?: number;
  freeGiB?: number;
  labels?: Record<string, string>;
  maintenance?: boolean;
  stale?: boolean;
  noUri?: boolean;
}

export function host(id: string, o: HostOpts = {}): HostView {
  const pcpuCount = o.pcpus ?? 4;
  const memoryTotalKiB = (o.memoryGiB ?? 16) * GIB_KIB;
  return {
    hostId: id,
    hostname: id,
    pcpuCount,
    memoryTotalKiB,
    memoryFreeKiB: (o.freeGiB ?? (o.memoryGiB ?? 16) / 2) * GIB_KIB,
    pcpus: Array.from({ length: pcpuCount }, (_, p) => ({ pcpu: p, usagePercent: 0 })),
    numaCells: [],
    lastSampleMs: NOW,
    intervalMs: 2000,
    stale: o.stale ?? false,
    labels: o.labels ?? {},
    ...(o.noUri ? {} : { migrationUri: `qemu+tcp://${id}/system`, migrationDataUri: `tcp://${id}` }),
    ...(o.maintenance ? { maintenance: true } : {}),
  };
}

export interface VmOpts {
  vcpus?: number;
  /** CPU use, % of a pCPU (whole VM). */
  cpu?: number;
  memoryMiB?: number;
  usedMiB?: number;
  labels?: Record<string, string>;
  dirtyMiBPerSec?: number;
  state?: VmView['state'];
}

export function vm(name: string, hostId: string, o: VmOpts = {}): VmView {
  const vcpus = o.vcpus ?? 1;
  const mem = (o.memoryMiB ?? 1024) * 1024;
  return {
    uuid: `uuid-${name}`,
    name,
    state: o.state ?? 'running',
    cpuPercent: o.cpu ?? 50,
    vcpus: Array.from({ length: vcpus }, (_, id) => ({ id, usagePercent: (o.cpu ?? 50) / vcpus, pcpus: [] })),
    config: { labels: o.labels ?? {}, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: [] },
    balloon: {
      actualKiB: mem,
      maximumKiB: mem * 2,
      hasGuestStats: true,
      unusedKiB: mem - (o.usedMiB ?? 512) * 1024,
      availableKiB: mem,
      usableKiB: 0,
      majorFaults: 0,
      swapInKiB: 0,
      lastUpdateSec: NOW / 1000,
    },
    ...(o.dirtyMiBPerSec !== undefined ? { dirtyRateMiBPerSec: o.dirtyMiBPerSec } : {}),
    hostId,
    window: [],
    holds: [],
  };
}

export function snap(hosts: HostView[], vms: VmView[], o: { jobs?: JobRecord[]; migrations?: MigrationRecord[]; signals?: PublishedSignal[] } = {}): ClusterSnapshot {
  const signals: Record<string, unknown> = {};
  for (const sg of o.signals ?? []) signals[sg.name] = sg.value;
  return { nowMs: NOW, hosts, vms, jobs: o.jobs ?? [], signals, migrations: o.migrations ?? [] };
}

export function args(raw: Record<string, unknown> = {}): ClusterBalanceArgs {
  const r = validateClusterBalanceArgs(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.args;
}

/** A migrate job in flight of `vmName` from → to. */
export function migrating(vmName: string, from: string, to: string): JobRecord {
  return {
    id: `job-${vmName}`,
    source: 'policy',
    policy: 'cluster-balance',
    hostId: from,
    vmUuid: `uuid-${vmName}`,
    key: `uuid-${vmName}/placement`,
    action: { type: 'migrate', targetHost: to, destUri: `qemu+tcp://${to}/system` },
    enqueuedAtMs: NOW - 1000,
    inFlight: true,
    state: 'active',
    attempts: 1,
  };
}
