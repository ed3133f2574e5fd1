/**
 * The host plan's last step (plan.ts): one decision per VM with its kind, reason and inputs, and a
 * set-cpu-tune job per auto VM whose collected tune differs from its target. A job always carries the
 * whole target (cpu_shares and the cap), so a VM's tune is never set in part.
 */
import { formatCpuList } from '../../cpu-list.js';
import type { PlannedJob } from '../../snapshot.js';
import type { ActionOf } from '../../jobs/index.js';
import { fmt, r1 } from '../format.js';
import type { CpuControlKnobs, CpuHostKnobs } from './args.js';
import type { Contender } from './contenders.js';
import type { CpuDecision, CpuDecisionKind, CpuPlan } from './decision.js';
import { contendedCpuPercent, cpuLimitPercent } from './entitlement.js';
import type { Sizing } from './size-shares.js';
import { sameTune, tuneDifference, tuneTarget, type TuneTarget } from './tune-target.js';

/** What the host's step before gives emit. */
export interface HostOutcome {
  hostId: string;
  knobs: CpuHostKnobs;
  control: CpuControlKnobs;
  sizing: Sizing;
  /** VM → why its reservation was refused (admission or sizing). */
  refused: Map<Contender, string>;
  /** VMs whose reservation was admitted and is held. */
  admitted: Set<Contender>;
  inFlight: ReadonlyMap<string, ActionOf<'set-cpu-tune'>>;
}

export function emitVm(c: Contender, h: HostOutcome, out: CpuPlan): void {
  const weight = h.sizing.weights.get(c);
  const target = c.leftAlone || h.refused.has(c) || weight === undefined ? undefined : tuneTarget(weight, c.knobs, emulatorTarget(c));
  const inputs = vmInputs(c, h, target);
  const decide = (kind: CpuDecisionKind, reason: string): void => {
    out.decisions.push({ vmUuid: c.vm.uuid, hostId: h.hostId, kind, reason, inputs } satisfies CpuDecision);
  };
  if (c.leftAlone) return decide(c.leftAlone.kind, c.leftAlone.reason);
  const refusal = h.refused.get(c);
  if (refusal !== undefined) return decide('refused', `${refusal}; no job: its cpu tune stays as it is (shares ${c.currentShares})`);
  if (!target || !c.vm.cpuTune) return decide('not-collected', 'no cpu tune target');
  const what = describeTarget(c, target, h);
  const diff = tuneDifference(c.vm.cpuTune, target, h.control);
  if (diff === undefined) return decide('at-target', `at its target: ${what}`);
  const pending = h.inFlight.get(c.vm.uuid);
  if (pending && sameTune(pending, target)) return decide('in-flight', `a job to ${what} is in flight (${diff})`);
  if (c.knobs.automation !== 'auto') return decide('set', `${diff}: ${what} (automation ${c.knobs.automation}: not applied)`);
  decide('set', `${diff}: ${what}`);
  out.jobs.push(setCpuTuneJob(c, h.hostId, target, `${diff}: ${what}`));
}

/**
 * emulatorFollowsVcpus: the emulator threads go where the VM's vCPUs may run (the union of their
 * affinities), once every vCPU's affinity and the emulator's are collected; else they are left alone.
 */
function emulatorTarget(c: Contender): number[] | undefined {
  if (!c.knobs.emulatorFollowsVcpus || c.vm.cpuTune?.emulatorPcpus === undefined) return undefined;
  if (c.vm.vcpus.length === 0 || c.vm.vcpus.some((v) => v.pcpus.length === 0) || c.pcpus.length === 0) return undefined;
  return c.pcpus;
}

function describeTarget(c: Contender, t: TuneTarget, h: HostOutcome): string {
  const parts = [`cpu_shares ${t.shares}`];
  if (h.admitted.has(c)) {
    const held = contendedCpuPercent(t.shares, h.sizing.othersWeight(c), c.pcpus.length);
    parts.push(`reservation ${fmt(c.reservedPercent)} % held proportionally (${fmt(held)} % under full contention)`);
  }
  parts.push(t.periodUs !== undefined ? `cap ${fmt(cpuLimitPercent(c.knobs.limitPercent, c.vcpus))} % (quota ${t.quotaUs}/${t.periodUs} µs)` : 'no cap');
  if (t.emulatorPcpus !== undefined) parts.push(`emulator threads on pCPUs ${formatCpuList(t.emulatorPcpus)}`);
  return parts.join(', ');
}

function vmInputs(c: Contender, h: HostOutcome, target: TuneTarget | undefined): Record<string, unknown> {
  const weight = h.sizing.weights.get(c);
  const others = c.running ? h.sizing.othersWeight(c) : 0;
  return {
    automation: c.knobs.automation,
    groups: c.groups,
    vcpus: c.vcpus,
    pcpus: c.pcpus.length,
    shares: c.knobs.shares,
    baseShares: c.baseShares,
    reservationPercent: c.knobs.reservationPercent,
    reservedPercent: r1(c.reservedPercent),
    limitPercent: c.knobs.limitPercent ?? null,
    periodUs: c.knobs.periodUs,
    emulatorFollowsVcpus: c.knobs.emulatorFollowsVcpus,
    collected: c.vm.cpuTune ?? null,
    target: target ?? null,
    reservationAdmitted: c.reservedPercent > 0 ? h.admitted.has(c) : null,
    othersShares: others,
    contendedPercent: weight !== undefined ? r1(contendedCpuPercent(weight, others, c.pcpus.length)) : null,
    headroomPercent: h.knobs.headroomPercent,
    maxShares: h.knobs.maxShares,
  };
}

function setCpuTuneJob(c: Contender, hostId: string, t: TuneTarget, reason: string): PlannedJob {
  return {
    hostId,
    vmUuid: c.vm.uuid,
    vmName: c.vm.name,
    action: {
      type: 'set-cpu-tune',
      shares: t.shares,
      quotaUs: t.quotaUs,
      ...(t.periodUs !== undefined ? { periodUs: t.periodUs } : {}),
      ...(t.emulatorPcpus !== undefined ? { emulatorPcpus: [...t.emulatorPcpus] } : {}),
    },
    reason,
  };
}
