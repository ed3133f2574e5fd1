import { randomUUID } from 'node:crypto';
import { heldResourceOf, type Decision, type JobSpec, type PlannedJob, type PolicyRegistry } from '@ballast/domain';
import type { ClusterState } from './state/cluster-state.js';
import type { HoldStore } from './state/hold-store.js';

export type Automation = 'off' | 'recommend' | 'auto';

export interface PolicyConfigEntry {
  name: string;
  args: unknown;
  automation: Automation;
}

export interface CycleResult {
  enqueued: JobSpec[];
  decisions: (Decision & { policy: string; atMs: number })[];
  skipped: { job: PlannedJob; why: string }[];
}

/**
 * One policy cycle: snapshot → each enabled policy's plan → drop jobs held by manual jobs, jobs of stale
 * hosts and targets that were just enqueued → enqueue. Decisions are kept for the API.
 */
/**
 * Checks every entry of a policy document against its policy and fills the defaults into `args` (in
 * place). Throws naming the first bad field, e.g. `policies.memory-balloon.groups[1].match.labels.tier: …`.
 */
export function validatePolicies(registry: PolicyRegistry, policies: PolicyConfigEntry[]): void {
  for (const p of policies) {
    const policy = registry.get(p.name);
    if (!policy) throw new Error(`policies.${p.name}: no such policy (known: ${registry.names().join(', ') || 'none'})`);
    const v = policy.validate(p.args);
    if (!v.ok) {
      const i = v.issues[0];
      throw new Error(`policies.${p.name}.${i?.field ?? '?'}: ${i?.message ?? 'invalid'}`);
    }
    p.args = v.args;
  }
}

export class PolicyCycle {
  /** VM/resource → the last action enqueued and when, so an unchanged target is not enqueued again. */
  private readonly lastAction = new Map<string, { json: string; atMs: number }>();
  /** VM → balloon target sent (MiB) and when: shown to policies as memoryTargetMiB while in flight. */
  private readonly memoryInFlight = new Map<string, { targetMiB: number; atMs: number }>();
  /** How long an enqueued target counts as in flight, and blocks an identical job (a failed job's target can be re-sent after it). */
  private readonly inFlightMs: number;

  constructor(
    private readonly registry: PolicyRegistry,
    private readonly policies: PolicyConfigEntry[],
    private readonly state: ClusterState,
    private readonly holds: HoldStore,
    private readonly enqueue: (specs: JobSpec[]) => Promise<void>,
    opts: { inFlightMs?: number } = {},
  ) {
    this.inFlightMs = opts.inFlightMs ?? 6000;
    validatePolicies(registry, policies);
  }

  async run(): Promise<CycleResult> {
    const snapshot = this.state.snapshot();
    for (const vm of snapshot.vms) {
      const f = this.memoryInFlight.get(vm.uuid);
      if (!f) continue;
      const actualMiB = (vm.balloon?.actualKiB ?? 0) / 1024;
      if (snapshot.nowMs - f.atMs > this.inFlightMs || Math.abs(actualMiB - f.targetMiB) <= 4) this.memoryInFlight.delete(vm.uuid);
      else vm.memoryTargetMiB = f.targetMiB;
    }
    const staleHosts = new Set(snapshot.hosts.filter((h) => h.stale).map((h) => h.hostId));
    const result: CycleResult = { enqueued: [], decisions: [], skipped: [] };
    for (const entry of this.policies) {
      if (entry.automation === 'off') continue;
      const policy = this.registry.get(entry.name);
      if (!policy) continue;
      const plan = policy.plan(snapshot, entry.args);
      for (const d of plan.decisions) result.decisions.push({ ...d, policy: entry.name, atMs: snapshot.nowMs });
      for (const job of plan.jobs) {
        const resource = heldResourceOf(job.action);
        const key = `${job.vmUuid}/${resource}`;
        const why =
          entry.automation === 'recommend'
            ? 'automation is recommend'
            : staleHosts.has(job.hostId)
              ? `host ${job.hostId} is stale`
              : this.holds.isHeld(job.vmUuid, resource, snapshot.nowMs)
                ? `${resource} is held by a manual job`
                : this.isRepeat(key, job, snapshot.nowMs)
                  ? 'same target already enqueued'
                  : undefined;
        if (why) {
          result.skipped.push({ job, why });
          continue;
        }
        this.lastAction.set(key, { json: JSON.stringify(job.action), atMs: snapshot.nowMs });
        if (job.action.type === 'set-memory') this.memoryInFlight.set(job.vmUuid, { targetMiB: job.action.memoryMiB, atMs: snapshot.nowMs });
        result.enqueued.push({
          id: randomUUID(),
          hostId: job.hostId,
          vmUuid: job.vmUuid,
          vmName: job.vmName,
          source: 'policy',
          policy: entry.name,
          createdAtMs: snapshot.nowMs,
          action: job.action,
        });
      }
    }
    await this.enqueue(result.enqueued);
    return result;
  }

  private isRepeat(key: string, job: PlannedJob, nowMs: number): boolean {
    const last = this.lastAction.get(key);
    return last !== undefined && last.json === JSON.stringify(job.action) && nowMs - last.atMs <= this.inFlightMs;
  }
}
