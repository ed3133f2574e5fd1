/**
 * The ksm policy's plan: per host, whether ksmd runs and at what pace (MOM's ksm rule made explicit, with a
 * hysteresis band and a cost check; verdict.ts has the rules). Pure and stateless: the history it needs (the
 * start of the gain window, the policy's last stop, what is in flight) comes from the snapshot's set-ksm jobs
 * (host-jobs.ts). A set-ksm job is planned only when the target differs from the collected settings (with a
 * job in flight laid over them); none where the host's KSM is not collected.
 */
import type { HostKsm } from '../../host-report.js';
import type { KsmRun } from '../../model.js';
import type { ClusterSnapshot, HostView, VmView } from '../../snapshot.js';
import { KIB_PER_MIB } from '../../units.js';
import { KSM_PAGE_KIB, type KsmArgs, type KsmKnobs } from './args.js';
import { KSM_POLICY_NAME, type KsmDecision, type KsmPlan } from './decision.js';
import { measureGain, type Gain } from './gain.js';
import { knobsForHost } from './host-knobs.js';
import { finishedAt, ksmJobsOf, newestCheckpoint, policyStop, settingsPlanned, type KsmState, type SetKsmAction } from './host-jobs.js';
import { assessPressure, type Pressure } from './pressure.js';
import { round1, verdictFor, type Verdict } from './verdict.js';

export type { KsmDecision, KsmDecisionKind, KsmPlan } from './decision.js';

export function planKsm(snapshot: ClusterSnapshot, args: KsmArgs): KsmPlan {
  const out: KsmPlan = { jobs: [], decisions: [] };
  // each host's VMs, grouped once (filtering every VM for each host was 20 million steps a cycle at 1,000 hosts)
  const vmsOf = new Map<string, VmView[]>();
  for (const v of snapshot.vms) vmsOf.set(v.hostId, [...(vmsOf.get(v.hostId) ?? []), v]);
  for (const host of [...snapshot.hosts].sort((a, b) => a.hostId.localeCompare(b.hostId))) planHost(host, snapshot, vmsOf.get(host.hostId) ?? [], args, out);
  return out;
}

function planHost(host: HostView, snapshot: ClusterSnapshot, hostVms: readonly VmView[], args: KsmArgs, out: KsmPlan): void {
  const hk = knobsForHost(args, host.hostId);
  const base = { automation: hk.knobs.automation };
  if (!hk.managed) return void out.decisions.push({ hostId: host.hostId, kind: 'unmanaged', reason: hk.reason, inputs: base });
  const ksm = host.ksm;
  if (!ksm || ksm.run === undefined) {
    const reason = !ksm
      ? 'no KSM figures for this host (the collector does not report them): no job'
      : "ksmd's run state cannot be read on this host (a remote libvirt: /sys/kernel/mm/ksm is out of reach): no job";
    return void out.decisions.push({ hostId: host.hostId, kind: 'unknown', reason, inputs: base });
  }
  const k = hk.knobs;
  const collected = { ...ksm, run: ksm.run };
  const jobs = ksmJobsOf(snapshot.jobs, host.hostId);
  const planned = settingsPlanned(collected, jobs);
  const p = assessPressure(host, hostVms, k);
  const gain: Gain =
    ksm.run === 'run' && planned.run === 'run'
      ? measureGain(ksm, host.lastSampleMs, newestCheckpoint(jobs), k)
      : { known: false, why: 'ksmd is not running' };
  const stop = policyStop(jobs, KSM_POLICY_NAME);
  const v = verdictFor(planned, p, gain, k, stop ? snapshot.nowMs - finishedAt(stop) : undefined);
  const action = v.target ? changes(v.target, planned) : undefined;
  const decision: KsmDecision = { hostId: host.hostId, kind: v.kind, reason: v.reason, inputs: inputsOf(k, collected, planned, p, gain, v) };
  if (action && k.automation !== 'auto') decision.reason += ` (automation ${k.automation}: not applied)`;
  out.decisions.push(decision);
  if (action && k.automation === 'auto') out.jobs.push({ hostId: host.hostId, action, reason: v.reason });
}

/** The set-ksm action that takes `from` to `to`, or undefined when nothing differs. */
function changes(to: KsmState, from: KsmState): SetKsmAction | undefined {
  if (to.run !== 'run') return to.run === from.run ? undefined : { type: 'set-ksm', run: to.run };
  const same = from.run === 'run' && to.pagesToScan === from.pagesToScan && to.sleepMillisecs === from.sleepMillisecs;
  return same ? undefined : { type: 'set-ksm', run: 'run', pagesToScan: to.pagesToScan, sleepMillisecs: to.sleepMillisecs };
}

function inputsOf(k: KsmKnobs, ksm: HostKsm & { run: KsmRun }, planned: KsmState, p: Pressure, g: Gain, v: Verdict): Record<string, unknown> {
  return {
    automation: k.automation,
    freeMiB: round1(p.freeMiB),
    totalMiB: round1(p.totalMiB),
    onLineMiB: round1(p.onLineMiB),
    offLineMiB: round1(p.offLineMiB),
    fullPressureLineMiB: round1(p.fullLineMiB),
    committedMiB: round1(p.committedMiB),
    onCommittedMiB: p.onCommittedMiB === null ? null : round1(p.onCommittedMiB),
    want: p.want,
    depth: round1(p.depth),
    collected: { run: ksm.run, pagesToScan: ksm.pagesToScan, sleepMillisecs: ksm.sleepMillisecs },
    planned,
    pagesShared: ksm.pagesShared,
    pagesSharing: ksm.pagesSharing,
    savedMiB: round1((ksm.pagesSharing * KSM_PAGE_KIB) / KIB_PER_MIB),
    fullScans: ksm.fullScans,
    ksmdCpuPercent: ksm.ksmdCpuPercent ?? null,
    gainMiBPerCpuSecond: g.known && g.miBPerCpuSecond !== null ? round1(g.miBPerCpuSecond) : null,
    gain: g.known ? { gainMiB: round1(g.gainMiB), cpuSeconds: round1(g.cpuSeconds), spanSec: Math.round(g.spanMs / 1000), fullScans: g.fullScans } : { why: g.why },
    minGainMiBPerCpuSecond: k.minGainMiBPerCpuSecond,
    target: v.target ?? null,
  };
}
