import type { JobAction } from './jobs.js';
import type { VmReport } from './host-report.js';

/** A VM as the policy engine sees it in one cycle: the latest sample plus a short window. */
export interface VmView extends VmReport {
  hostId: string;
  /** Oldest first; includes the latest. */
  window: { takenAtMs: number; cpuPercent: number; actualKiB?: number; unusedKiB?: number; majorFaults?: number; swapInKiB?: number }[];
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
