/**
 * oVirt MOM's default balloon rule (memory-mom-rule.ts) held to the same host budget as Ballast: MOM's rule
 * decides every guest's size as it would, then, per host, its grows are scaled down (all by the same factor)
 * so that Σ balloons never passes the budget; its shrinks stand. A fairer baseline than MOM uncapped, which
 * hands out memory the host does not have (its 5 % grows all land at once, past the 20 % free threshold).
 *
 * What each VM holds is its balloon, or the target of its set-memory job still in flight (the same in-flight
 * rule as memory-balloon's: a job is in flight until the balloon is within 4 MiB of its target), so grows
 * still on their way count against the budget. With the host sized as the bench sizes it ((budget +
 * overhead) / 0.8) MOM's pressure (host free < 20 %) then never comes: held to the budget, MOM grows until
 * the budget is full and holds there.
 */
import {
  kibToMib,
  memoryBalloonPolicy,
  targetsInFlight,
  type ArgsIssue,
  type ClusterSnapshot,
  type Plan,
  type PlannedJob,
  type Policy,
} from '@ballast/domain';
import { MOM_DEFAULTS, momBalloonRule, type MomBalloonArgs } from './memory-mom-rule.js';

export interface MomBudgetArgs extends MomBalloonArgs {
  /** Cap on Σ balloons of each host's VMs, MiB (the same as memory-balloon's host.budgetMiB). */
  budgetMiB: number;
}

function validate(raw: unknown): { ok: true; args: MomBudgetArgs } | { ok: false; issues: ArgsIssue[] } {
  const { budgetMiB, ...rest } = (raw ?? {}) as Record<string, unknown>;
  const mom = momBalloonRule.validate(rest);
  const issues: ArgsIssue[] = mom.ok ? [] : [...mom.issues];
  if (typeof budgetMiB !== 'number' || !(budgetMiB > 0)) issues.push({ field: 'budgetMiB', message: 'must be a number > 0' });
  if (!mom.ok || issues.length > 0) return { ok: false, issues };
  return { ok: true, args: { ...mom.args, budgetMiB: budgetMiB as number } };
}

/** MiB each VM of the host holds now (its balloon, or a target in flight), for the VMs that hold memory. */
function heldByVm(s: ClusterSnapshot, hostId: string): Map<string, number> {
  const inFlight = targetsInFlight(s.jobs);
  const held = new Map<string, number>();
  for (const vm of s.vms) {
    if (vm.hostId !== hostId || vm.state === 'shutoff' || vm.state === 'nostate' || !vm.balloon) continue;
    held.set(vm.uuid, inFlight.get(vm.uuid) ?? kibToMib(vm.balloon.actualKiB));
  }
  return held;
}

/**
 * Scales the host's grows down so that Σ (new size, or what is held) ≤ budget; returns the jobs to keep
 * (shrinks as they are, grows scaled, grows scaled to nothing dropped).
 */
export function capGrows(jobs: readonly PlannedJob[], held: ReadonlyMap<string, number>, budgetMiB: number): PlannedJob[] {
  const size = (j: PlannedJob): number => (j.action.type === 'set-memory' ? j.action.memoryMiB : 0);
  const growOf = (j: PlannedJob): number => Math.max(0, size(j) - (held.get(j.vmUuid ?? '') ?? Infinity));
  let fixedMiB = 0;
  for (const [uuid, mib] of held) {
    const job = jobs.find((j) => j.vmUuid === uuid);
    fixedMiB += job && growOf(job) === 0 ? size(job) : mib;
  }
  const growMiB = jobs.reduce((s, j) => s + growOf(j), 0);
  if (fixedMiB + growMiB <= budgetMiB) return [...jobs];
  const factor = Math.max(0, budgetMiB - fixedMiB) / growMiB;
  const out: PlannedJob[] = [];
  for (const j of jobs) {
    const g = growOf(j);
    if (g === 0 || j.action.type !== 'set-memory') {
      out.push(j);
      continue;
    }
    const from = held.get(j.vmUuid ?? '') ?? 0;
    const memoryMiB = Math.floor(from + g * factor);
    if (memoryMiB - from < 1) continue;
    out.push({ ...j, action: { ...j.action, memoryMiB }, reason: `${j.reason}; grow scaled to ${(factor * 100).toFixed(0)} % to stay within the budget of ${budgetMiB} MiB` });
  }
  return out;
}

function plan(s: ClusterSnapshot, a: MomBudgetArgs): Plan {
  const { budgetMiB, ...mom } = a;
  const p = momBalloonRule.plan(s, mom);
  const jobs: PlannedJob[] = [];
  for (const h of s.hosts) {
    const mine = p.jobs.filter((j) => j.hostId === h.hostId);
    jobs.push(...capGrows(mine, heldByVm(s, h.hostId), budgetMiB));
  }
  return { jobs, decisions: p.decisions };
}

export const MOM_BUDGET_DEFAULTS: MomBudgetArgs = { ...MOM_DEFAULTS, budgetMiB: 1 };

export const momBudgetRule: Policy<MomBudgetArgs> = {
  name: 'mom-balloon-rules-budget',
  order: 100,
  defaults: MOM_BUDGET_DEFAULTS,
  validate,
  plan,
  inFlight: memoryBalloonPolicy.inFlight,
};
