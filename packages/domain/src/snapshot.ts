import type { JobAction } from './jobs.js';
import type { VmReport } from './host-report.js';

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
}

/** The window entry for one VM report sampled at `takenAtMs`. */
export function windowEntryFor(vm: VmReport, takenAtMs: number): WindowEntry {
  const e: WindowEntry = { takenAtMs, cpuPercent: vm.cpuPercent };
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
  /**
   * Balloon target already sent and not yet reached (queued/active job, or balloon still > 4 MiB off),
   * for at most a few intervals; absent otherwise. Lets a policy count memory it has already granted.
   */
  memoryTargetMiB?: number;
}

export interface HostView {
  hostId: string;
  hostname: string;
  pcpuCount: number;
  memoryTotalKiB: number;
  memoryFreeKiB: number;
  pcpus: { pcpu: number; usagePercent: number }[];
  lastSampleMs: number;
  intervalMs: number;
  stale: boolean;
}

/** Everything a policy may look at. The clock comes in here: plans are pure and deterministic. */
export interface ClusterSnapshot {
  nowMs: number;
  hosts: HostView[];
  vms: VmView[];
}

export interface PlannedJob {
  hostId: string;
  vmUuid: string;
  vmName: string;
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
}
