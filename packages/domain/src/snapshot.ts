import type { JobAction, JobOutcome, JobSource } from './jobs/index.js';
import type { SignalBoard } from './policies/policy-signals.js';
import type { HostKsm, VmReport } from './host-report.js';
import type { NumaCell } from './model.js';

/**
 * One sample of a VM in its window. Balloon figures are KiB; the guest's figures (unused, available,
 * faults, swap-in, statsAtSec) only when the guest reports memory stats. `actualKiB` is the balloon when
 * sampled; the guest's figures are from its last stats report, taken at `statsAtSec` (host clock, s).
 */
export interface WindowEntry {
  takenAtMs: number;
  cpuPercent: number;
  actualKiB?: number;
  unusedKiB?: number;
  /** The guest's MemTotal: it follows the balloon page for page, a constant kernel overhead below it. */
  availableKiB?: number;
  majorFaults?: number;
  swapInKiB?: number;
  statsAtSec?: number;
  /** Each vCPU's usage over the interval (percent of one pCPU), by vCPU id. */
  vcpuPercent?: number[];
  /** Each vCPU's wait for a pCPU over the interval (percent), by vCPU id; absent without delay figures. */
  vcpuWaitPercent?: number[];
  /** The pCPU each vCPU last ran on, by vCPU id (-1: unknown). */
  vcpuPcpu?: number[];
}

/** The window entry for one VM report sampled at `takenAtMs`. */
export function windowEntryFor(vm: VmReport, takenAtMs: number): WindowEntry {
  const e: WindowEntry = { takenAtMs, cpuPercent: vm.cpuPercent };
  if (vm.vcpus.length > 0) {
    e.vcpuPercent = vm.vcpus.map((c) => c.usagePercent);
    e.vcpuPcpu = vm.vcpus.map((c) => c.currentPcpu ?? -1);
    if (vm.vcpus.some((c) => c.waitPercent !== undefined)) e.vcpuWaitPercent = vm.vcpus.map((c) => c.waitPercent ?? 0);
  }
  const b = vm.balloon;
  if (b) {
    e.actualKiB = b.actualKiB;
    if (b.hasGuestStats) {
      e.unusedKiB = b.unusedKiB;
      if (b.availableKiB > 0) e.availableKiB = b.availableKiB;
      e.majorFaults = b.majorFaults;
      e.swapInKiB = b.swapInKiB;
      e.statsAtSec = b.lastUpdateSec;
    }
  }
  return e;
}

/** A VM as the policy engine sees it in one cycle: the latest sample plus a short window. */
export interface VmView extends VmReport {
  hostId: string;
  /** Oldest first; includes the latest. */
  window: WindowEntry[];
  /** Resources held by manual jobs, with the time the hold ends. */
  holds: { resource: string; untilMs: number }[];
}

export interface HostView {
  hostId: string;
  hostname: string;
  pcpuCount: number;
  memoryTotalKiB: number;
  memoryFreeKiB: number;
  pcpus: { pcpu: number; usagePercent: number }[];
  /** The host's NUMA cells: their pCPUs, memory and free memory (KiB). */
  numaCells: NumaCell[];
  /** KSM on the host, when the collector reads it. */
  ksm?: HostKsm;
  /** When this engine received the host's latest sample (its own clock): staleness is judged from it. */
  lastSampleMs: number;
  /**
   * When the host's latest sample was taken (the collector's clock, HostReport.takenAtMs): the same on every engine
   * replica, so the basis of policy job ids (job-id.ts). Absent in views built by hand.
   */
  sampleTakenAtMs?: number;
  intervalMs: number;
  stale: boolean;
  /** The host's labels (its collector's BALLAST_HOST_LABELS), which host groups of the cluster policy match. */
  labels?: Record<string, string>;
  /** Where other hosts migrate VMs to it (its collector's BALLAST_MIGRATION_URI / _DATA_URI). */
  migrationUri?: string;
  migrationDataUri?: string;
  /** In maintenance mode (POST /v1/hosts/:id/maintenance): evacuated, and no VM moves onto it. */
  maintenance?: boolean;
}

/** A VM seen moving from one host to another (by its samples), for cool-downs. */
export interface MigrationRecord {
  vmUuid: string;
  vmName: string;
  fromHost: string;
  toHost: string;
  atMs: number;
}

/**
 * A job the engine enqueued, as policies see it: while it is in flight (queued, active, or done but its
 * effect not yet seen in the samples, by the rule of the policy that made it) and for a while after it
 * finished, with its outcome. Lets a policy count what it has already asked for, and see what failed.
 */
export interface JobRecord extends JobOutcome {
  id: string;
  source: JobSource;
  /** The policy that planned it (policy jobs). */
  policy?: string;
  hostId: string;
  vmUuid?: string;
  /** target / resource [/ part] (jobKeyOf). */
  key: string;
  action: JobAction;
  enqueuedAtMs: number;
  /** Still expected to change what the samples show. */
  inFlight: boolean;
}

/** Everything a policy may look at. The clock comes in here: plans are pure and deterministic. */
export interface ClusterSnapshot {
  nowMs: number;
  hosts: HostView[];
  vms: VmView[];
  /** Jobs enqueued by this engine lately (in flight, and recent outcomes), oldest first. */
  jobs: JobRecord[];
  /** What policies that ran earlier in this cycle published (signals.ts). */
  signals: SignalBoard;
  /** VMs seen moving between hosts lately (at least the last 24 h the engine ran), oldest first. */
  migrations?: MigrationRecord[];
  /** Moves an operator rejected (a recommendation): not planned again before `untilMs`. */
  vetoedMoves?: { vmUuid: string; toHost: string; untilMs: number }[];
}

export interface PlannedJob {
  hostId: string;
  /** The VM, for VM-scoped job types (absent for host-scoped ones). */
  vmUuid?: string;
  vmName?: string;
  action: JobAction;
  reason: string;
}

export interface Decision {
  vmUuid?: string;
  hostId?: string;
  /** e.g. "grow", "hold", "starved", "skip". */
  kind: string;
  reason: string;
  inputs?: Record<string, unknown>;
}

export interface Plan {
  jobs: PlannedJob[];
  decisions: Decision[];
  /** Signals for the policies that run after this one in the same cycle (publish(), signals.ts). */
  signals?: PublishedSignal[];
}

export interface PublishedSignal {
  name: string;
  value: unknown;
}

/** Per snapshot VM list, its VMs by UUID (a VM reported by two hosts while it migrates appears twice). */
const vmsByUuid = new WeakMap<readonly VmView[], Map<string, VmView[]>>();

/**
 * The VM `uuid` as `hostId` reports it, or undefined. Indexed once per VM list (the list is not changed once in a
 * snapshot): in-flight rules ask for every tracked job's VM, and a scan of every VM for each was O(jobs × VMs).
 */
export function findVm(vms: readonly VmView[], uuid: string | undefined, hostId: string): VmView | undefined {
  if (uuid === undefined) return undefined;
  let index = vmsByUuid.get(vms);
  if (!index) {
    index = new Map();
    for (const v of vms) {
      const list = index.get(v.uuid);
      if (list) list.push(v);
      else index.set(v.uuid, [v]);
    }
    vmsByUuid.set(vms, index);
  }
  return index.get(uuid)?.find((v) => v.hostId === hostId);
}
