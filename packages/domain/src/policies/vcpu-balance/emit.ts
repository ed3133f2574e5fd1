/**
 * The host plan's last step: the host's decision (spread before and after, moves, or why none), a decision
 * per VM left alone and per VM whose vCPUs move, and a pin-vcpu job per move of an 'auto' VM.
 */
import { formatCpuList } from '../../cpu-list.js';
import type { PlannedJob } from '../../snapshot.js';
import { fmt, r1 } from '../format.js';
import type { AssessedVm } from './assess-vm.js';
import type { VcpuBalanceDecision, VcpuBalancePlan } from './decision.js';
import type { HostPlan } from './host-plan.js';
import { domainWhy } from './layout.js';
import type { Move } from './search.js';

export function emitHost(p: HostPlan, out: VcpuBalancePlan): void {
  out.decisions.push(hostDecision(p));
  p.vms.forEach((a, i) => {
    if (typeof a.standing === 'object') {
      out.decisions.push(vmDecision(p, a, a.standing.kind, a.standing.reason));
      return;
    }
    // a VM's vCPUs move in one pass only: its standing's
    const moves = (a.standing === 'auto' ? p.moves : p.recommended).filter((m) => m.mover.vmIndex === i);
    if (moves.length === 0) return;
    const reason = `${spreadLine(p)}: ${moves.map(moveLine).join('; ')}${a.standing === 'recommend' ? ' (automation recommend: not applied)' : ''}`;
    out.decisions.push(vmDecision(p, a, 'pin', reason));
    if (a.standing === 'auto') for (const m of moves) out.jobs.push(pinJob(p, a, m, reason));
  });
}

function hostDecision(p: HostPlan): VcpuBalanceDecision {
  const k = p.knobs;
  const sd = fmt(p.stdDevBefore);
  const gain = p.stdDevBefore > 0 ? (100 * (p.stdDevBefore - p.stdDevAfter)) / p.stdDevBefore : 0;
  const reasons: Record<HostPlan['kind'], () => string> = {
    stale: () => `host ${p.hostId} is stale or not reported: no pin change`,
    idle: () => `idle: the vCPUs use ${fmt(p.totalUsage)} % of a pCPU together (< idleTotalPercent ${k.idleTotalPercent}): no pin change`,
    balanced: () =>
      `balanced: steady spread ${fmt(Math.min(p.steadyStdDev, p.steadyUsageStdDev ?? Infinity))} ≤ ${k.thresholdStdDevPercent} points${p.trigger > k.thresholdStdDevPercent + 0.05 ? ` + ${fmt(p.trigger - k.thresholdStdDevPercent)} of noise` : ''}` +
      ` and short spread ${fmt(Math.min(p.shortStdDev, p.shortUsageStdDev ?? Infinity))} ≤ urgentStdDevPercent ${k.urgentStdDevPercent}: no pin change`,
    rebalanced: () =>
      `${spreadLine(p)} (−${fmt(gain)} %) with ${p.moves.length} pin change(s)${p.recommended.length > 0 ? ` and ${p.recommended.length} recommended` : ''}` +
      ` (${BASIS[p.basis ?? 'steady']})`,
    recommend: () => `${spreadLine(p)} (−${fmt(gain)} %) with ${p.recommended.length} move(s) of VMs in automation recommend: not applied`,
    'skipped-for-stability': () =>
      `spread ${sd} > ${fmt(p.trigger)} points, but the best move gains only ${fmt(p.search?.bestGainPercent ?? 0)} % (< minGainPercent ${k.minGainPercent}): no pin change`,
    unbalanced: () =>
      p.dwelling > 0
        ? `spread ${sd} > ${fmt(p.trigger)} points, but ${p.dwelling} vCPU(s) were pinned less than minPinDwellMs (${k.minPinDwellMs} ms) ago and no other move lowers it: no pin change`
        : `spread ${sd} > ${fmt(p.trigger)} points, but no move the balancer may make (within each VM's cell) lowers it`,
  };
  return { hostId: p.hostId, kind: p.kind, reason: reasons[p.kind](), inputs: hostInputs(p, gain) };
}

const BASIS: Record<NonNullable<HostPlan['basis']>, string> = {
  unpinned: 'unpinned vCPUs the kernel moves about, measured spread above the trigger: pinned, largest first onto the least loaded pCPU',
  urgent: 'the short spread is above urgentStdDevPercent',
  steady: 'the steady spread is above the threshold',
};

function hostInputs(p: HostPlan, gain: number): Record<string, unknown> {
  const k = p.knobs;
  const count = (f: (a: AssessedVm) => boolean): number => p.vms.filter(f).length;
  return {
    stdDevPercent: r1(p.stdDevBefore),
    stdDevAfterPercent: r1(p.stdDevAfter),
    gainPercent: r1(gain),
    hostStdDevPercent: r1(p.hostStdDevBefore),
    noisePercent: r1(p.noise),
    triggerStdDevPercent: r1(p.trigger),
    shortStdDevPercent: r1(p.shortStdDev),
    shortUsageStdDevPercent: p.shortUsageStdDev !== undefined ? r1(p.shortUsageStdDev) : null,
    steadyStdDevPercent: r1(p.steadyStdDev),
    steadyUsageStdDevPercent: p.steadyUsageStdDev !== undefined ? r1(p.steadyUsageStdDev) : null,
    measuredStdDevPercent: p.measuredStdDev !== undefined ? r1(p.measuredStdDev) : null,
    basis: p.basis ?? null,
    urgentStdDevPercent: k.urgentStdDevPercent,
    minPinDwellMs: k.minPinDwellMs,
    dwellingVcpus: p.dwelling,
    pcpuLoadPercent: p.loadBefore.map(r1),
    pcpuLoadAfterPercent: p.loadAfter.map(r1),
    totalUsagePercent: r1(p.totalUsage),
    bestGainPercent: r1(p.search?.bestGainPercent ?? 0),
    moves: p.moves.map((m) => moveInputs(p, m)),
    recommended: p.recommended.map((m) => moveInputs(p, m)),
    cells: p.layout?.cells.map((c) => ({ id: c.id, pcpus: formatCpuList(c.cpus) })) ?? [],
    vms: p.vms.length,
    vmsLeftAlone: count((a) => typeof a.standing === 'object'),
    pinsInFlight: p.vms.reduce((n, a) => n + a.vcpus.filter((v) => v.owner.kind === 'in-flight').length, 0),
    thresholdStdDevPercent: k.thresholdStdDevPercent,
    minGainPercent: k.minGainPercent,
    idleTotalPercent: k.idleTotalPercent,
    maxPinChangesPerCycle: k.maxPinChangesPerCycle,
  };
}

function vmDecision(p: HostPlan, a: AssessedVm, kind: VcpuBalanceDecision['kind'], reason: string): VcpuBalanceDecision {
  return {
    hostId: p.hostId,
    vmUuid: a.vm.uuid,
    kind,
    reason,
    inputs: {
      automation: a.knobs.automation,
      groups: a.groups,
      cell: p.layout ? domainWhy(a.domain, p.layout) : '',
      allowedPcpus: formatCpuList(a.domain.allowed),
      vcpus: a.vcpus.map((v) => ({
        vcpu: v.vcpu,
        usagePercent: r1(v.usagePercent),
        affinity: formatCpuList(v.affinity),
        on: v.place.map(([pc, share]) => `${pc}:${Math.round(share * 100)}%`).join(' '),
        owner: v.owner.kind === 'ballast' ? `ballast (${v.owner.by})` : v.owner.kind,
      })),
      stdDevPercent: r1(p.stdDevBefore),
      stdDevAfterPercent: r1(p.stdDevAfter),
    },
  };
}

function spreadLine(p: HostPlan): string {
  return `spread ${fmt(p.stdDevBefore)} → ${fmt(p.stdDevAfter)} points`;
}

function moveLine(m: Move): string {
  return `vCPU ${m.mover.vcpu} (${fmt(m.mover.usagePercent)} %) from pCPU ${formatCpuList(m.mover.place.map(([pc]) => pc))} to ${m.to}`;
}

function moveInputs(p: HostPlan, m: Move): Record<string, unknown> {
  const vm = p.vms[m.mover.vmIndex]?.vm;
  return { vm: vm?.name, vmUuid: vm?.uuid, vcpu: m.mover.vcpu, usagePercent: r1(m.mover.usagePercent), from: formatCpuList(m.mover.place.map(([pc]) => pc)), to: m.to };
}

function pinJob(p: HostPlan, a: AssessedVm, m: Move, reason: string): PlannedJob {
  return { hostId: p.hostId, vmUuid: a.vm.uuid, vmName: a.vm.name, action: { type: 'pin-vcpu', vcpu: m.mover.vcpu, pcpus: [m.to] }, reason };
}
