/** Adjustment jobs: what the policy engine (or a user) asks an actuator to apply. Pure data. */

export type JobType = 'set-memory' | 'pin-vcpu' | 'set-cpu-tune' | 'migrate';

export type JobAction =
  | {
      type: 'set-memory';
      memoryMiB: number;
      /**
       * Cap on the sum of the host's balloon sizes (a policy's host budget). The actuator grows only while
       * the other VMs' balloons (or their grows in progress) plus this target fit, waiting for releases in
       * flight to land first; so a grant paid for by another VM's release never lands before it.
       */
      hostBudgetMiB?: number;
    }
  | { type: 'pin-vcpu'; vcpu: number; pcpus: number[] }
  | { type: 'set-cpu-tune'; shares?: number; quotaUs?: number; periodUs?: number }
  | { type: 'migrate'; targetHost: string; destUri: string; migrateUri?: string };

export type JobSource = 'manual' | 'policy';

export interface JobSpec {
  id: string;
  hostId: string;
  vmUuid: string;
  vmName: string;
  source: JobSource;
  /** Name of the policy that planned it, for policy jobs. */
  policy?: string;
  createdAtMs: number;
  action: JobAction;
}

export type JobState = 'queued' | 'active' | 'succeeded' | 'failed';

/** What the actuator reports for a job (BullMQ's return value, or the failure reason). */
export interface JobResult {
  /** Human-readable outcome, e.g. "balloon at 400 MiB". */
  message: string;
  /** True when the target already held and nothing was changed. */
  alreadyThere: boolean;
  /** What was observed after applying (verification). */
  observed?: Record<string, unknown>;
}

/** The resource a job adjusts; a manual job holds it against policies for a while. */
export type HeldResource = 'memory' | 'vcpu-pinning' | 'cpu-tune' | 'placement';

export function heldResourceOf(action: JobAction): HeldResource {
  switch (action.type) {
    case 'set-memory':
      return 'memory';
    case 'pin-vcpu':
      return 'vcpu-pinning';
    case 'set-cpu-tune':
      return 'cpu-tune';
    case 'migrate':
      return 'placement';
  }
}

export function describeAction(action: JobAction): string {
  switch (action.type) {
    case 'set-memory':
      return `set memory to ${action.memoryMiB} MiB${action.hostBudgetMiB !== undefined ? ` (host budget ${action.hostBudgetMiB} MiB)` : ''}`;
    case 'pin-vcpu':
      return `pin vCPU ${action.vcpu} to pCPUs ${action.pcpus.join(',')}`;
    case 'set-cpu-tune': {
      const parts: string[] = [];
      if (action.shares !== undefined) parts.push(`shares=${action.shares}`);
      if (action.quotaUs !== undefined) parts.push(`quotaUs=${action.quotaUs}`);
      if (action.periodUs !== undefined) parts.push(`periodUs=${action.periodUs}`);
      return `set cpu tune ${parts.join(' ')}`;
    }
    case 'migrate':
      return `migrate to ${action.targetHost}`;
  }
}
