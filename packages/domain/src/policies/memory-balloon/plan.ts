/**
 * The memory-balloon policy's plan: a balloon target per VM each cycle. Pure and stateless: everything
 * (trend, over-reclaim cool-down, warm-up) is derived from the snapshot's windows and clock, and a VM's
 * target in flight from the snapshot's jobs (in-flight.ts).
 *
 * Per VM (assess.ts): grow when unused memory is below minUnused now or will be within the lookahead
 * (used-memory trend × lookahead), when swapping, or to grow back after a release raised faults; release
 * gradually (step-limited, never below used + minUnused) when unused is above maxUnused; otherwise hold.
 * Per host: releases fund the budget; grants are limited by the budget (Σ balloons ≤ budgetMiB) and by
 * host free memory (free − Σ growth ≥ hostFreeFloorMiB) and are given level by level (everyone's
 * minimum, then lean targets, then the rest); a shortfall of lean targets is reclaimed from the VMs with
 * the lowest shares per active page (ESX ρ with the idle tax) down to their floors; what cannot be
 * granted is reported as `starved` rather than squeezed out of another guest.
 */
import type { ClusterSnapshot, HostView, Plan, PlannedJob, VmView } from '../../snapshot.js';
import type { HostKnobs, MemoryBalloonArgs } from './args.js';
import { assessVm, fmt, type Assessed, type Managed, type MemoryDecisionKind } from './assess.js';
import { fairShares } from './fair-share.js';
import { targetsInFlight } from './in-flight.js';
import { hostKnobsFor } from './knobs.js';
import { publish } from '../policy-signals.js';
import { memoryShortage, type MemoryShortage } from './shortage-signal.js';

export type { MemoryDecisionKind } from './assess.js';

export interface MemoryDecision {
  vmUuid: string;
  hostId: string;
  kind: MemoryDecisionKind;
  reason: string;
  inputs: Record<string, unknown>;
}

export interface MemoryPlan extends Plan {
  decisions: MemoryDecision[];
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

export function planMemoryBalloon(snapshot: ClusterSnapshot, args: MemoryBalloonArgs): MemoryPlan {
  const out: MemoryPlan = { jobs: [], decisions: [] };
  const shortages: MemoryShortage[] = [];
  const inFlight = targetsInFlight(snapshot.jobs);
  const hosts = new Map<string, HostView>(snapshot.hosts.map((h) => [h.hostId, h]));
  const byHost = new Map<string, VmView[]>();
  for (const vm of snapshot.vms) {
    const list = byHost.get(vm.hostId) ?? [];
    list.push(vm);
    byHost.set(vm.hostId, list);
  }
  for (const hostId of [...byHost.keys()].sort()) {
    const vms = [...(byHost.get(hostId) ?? [])].sort((a, b) => a.name.localeCompare(b.name) || a.uuid.localeCompare(b.uuid));
    const short = planHost(hostId, hosts.get(hostId), vms, args, snapshot.nowMs, inFlight, out);
    if (short) shortages.push(short);
  }
  if (shortages.length > 0) out.signals = [publish(memoryShortage, shortages)];
  return out;
}

function planHost(
  hostId: string,
  host: HostView | undefined,
  vms: VmView[],
  args: MemoryBalloonArgs,
  nowMs: number,
  inFlight: ReadonlyMap<string, number>,
  out: MemoryPlan,
): MemoryShortage | undefined {
  const hk: HostKnobs = hostKnobsFor(args, hostId);
  const all: Assessed[] = vms.map((vm) => assessVm(vm, host, hk, args, nowMs, inFlight.get(vm.uuid)));
  const managed = all.filter((a): a is Managed => a.managed);

  // What the host's VMs are committed to before any grant (balloon, or the job in flight): auto VMs'
  // releases count at their new target (the job replaces the one in flight); other auto VMs at what is
  // committed; VMs whose jobs this policy does not send at the larger of balloon and target in flight.
  let baseMiB = 0;
  let inflightMiB = 0;
  for (const a of all) {
    if (!a.managed) {
      baseMiB += a.accountMiB;
      inflightMiB += a.inflightGrowMiB;
    } else if (a.auto && a.role === 'release') baseMiB += Math.min(a.targetMiB, a.committedMiB);
    else {
      baseMiB += a.auto ? a.committedMiB : Math.max(a.actualMiB, a.committedMiB);
      inflightMiB += Math.max(0, a.committedMiB - a.actualMiB);
    }
  }
  const baseBeforeReclaim = baseMiB;
  const freeMiB = host ? host.memoryFreeKiB / 1024 : 0;
  let leftFree = freeMiB - hk.hostFreeFloorMiB - inflightMiB;
  let leftBudget = hk.budgetMiB === undefined ? Infinity : hk.budgetMiB - baseMiB;

  // A trim (a release in flight raised back to the floor because the guest's use rose) is a grow from what
  // is committed: it comes first out of the budget, and only as far as the budget allows.
  for (const m of managed) {
    if (!m.auto || m.role !== 'release' || !(m.targetMiB > m.committedMiB)) continue;
    const raise = Math.max(0, Math.min(m.targetMiB - m.committedMiB, leftBudget));
    const next = Math.floor(m.committedMiB + raise);
    if (next - m.committedMiB > m.knobs.hysteresisMiB) {
      m.targetMiB = next;
      leftBudget -= next - m.committedMiB;
      baseMiB += next - m.committedMiB;
    } else {
      m.targetMiB = m.committedMiB;
      m.role = 'hold';
      m.why += '; no budget to raise it';
    }
  }

  // Each managed VM's fair share of the budget (by shares) after what the VMs left alone hold.
  const pool = hk.budgetMiB === undefined ? Infinity : hk.budgetMiB - all.reduce((acc, a) => acc + (a.managed ? 0 : a.accountMiB), 0);
  const weights = managed.reduce((acc, m) => acc + m.sharesPerMiB, 0);
  const fairOf = (m: Managed): number => (weights > 0 ? (pool * m.sharesPerMiB) / weights : Infinity);

  let growers = managed.filter((m) => m.role === 'grow');
  /** Grants come on top of what is committed; the part that only cancels a release in flight costs no host memory. */
  const want = (m: Managed): number => Math.max(0, m.requestMiB - m.committedMiB);
  const freeAlready = (m: Managed): number => Math.max(0, m.actualMiB - m.committedMiB);
  const wantMiB = growers.reduce((s, m) => s + want(m), 0);
  const leanMiB = growers.reduce((s, m) => s + Math.min(want(m), m.leanNeedMiB), 0);
  const leanFreeMiB = growers.reduce((s, m) => s + Math.max(0, Math.min(want(m), m.leanNeedMiB) - freeAlready(m)), 0);

  // Pressure: reclaim what the growers lack for their lean targets (or what the host is over its budget /
  // under its floor by) from the VMs with the lowest shares per active page, within their floors and steps.
  let deficit = Math.max(0, leanMiB - leftBudget, leanFreeMiB - leftFree);
  const pressured = deficit > 0;
  if (deficit > 0) {
    const candidates = managed
      .filter((m) => m.auto && m.role !== 'grow' && !m.warmup && !m.protect && m.committedMiB <= m.actualMiB && m.targetMiB > m.pressureFloorMiB)
      .sort((a, b) => a.rho - b.rho || a.vm.name.localeCompare(b.vm.name));
    for (const m of candidates) {
      if (deficit <= 0) break;
      const hyst = m.knobs.hysteresisMiB;
      const slack = m.targetMiB - m.pressureFloorMiB;
      const stepLeft = m.releaseStepMiB - (m.releaseFromMiB - m.targetMiB);
      const most = Math.min(slack, stepLeft);
      if (!(most > 0)) continue;
      let take = Math.min(deficit, most);
      if (Math.abs(m.targetMiB - take - m.committedMiB) <= hyst) take = most;
      const next = Math.ceil(m.targetMiB - take);
      if (!(Math.abs(next - m.committedMiB) > hyst) || next >= m.targetMiB) continue;
      const got = m.targetMiB - next;
      m.targetMiB = next;
      m.reclaimedMiB += got;
      m.role = 'release';
      deficit -= got;
      baseMiB -= got;
      leftBudget += got;
    }
  }

  // Rebalance toward fair shares: when growers below their fair share still lack memory the budget cannot
  // give, VMs above theirs give back the excess (one release step a cycle), never below their fair share
  // nor below used + minUnused + hysteresis. Without it whoever grew first keeps the budget, and a guest
  // that needs its share later starves (on the lab: one guest OOM-killed at 676 MiB beside three at 795-805).
  if (deficit > 0 && hk.budgetMiB !== undefined) {
    const short = growers
      .filter((g) => g.auto && g.committedMiB < fairOf(g) - g.knobs.hysteresisMiB)
      .reduce((acc, g) => acc + Math.min(Math.min(want(g), g.leanNeedMiB), fairOf(g) - g.committedMiB), 0);
    let owed = Math.min(deficit, short);
    const rich = managed
      .filter((m) => m.auto && !m.warmup && !m.protect && m.committedMiB <= m.actualMiB + 1 && m.targetMiB > fairOf(m) + m.knobs.hysteresisMiB)
      .sort((a, b) => b.targetMiB / fairOf(b) - a.targetMiB / fairOf(a) || a.vm.name.localeCompare(b.vm.name));
    for (const m of rich) {
      if (owed <= 0) break;
      const hyst = m.knobs.hysteresisMiB;
      const floor = Math.ceil(Math.max(fairOf(m), m.usedMiB + m.knobs.minUnusedMiB + hyst, m.knobs.reservationMiB));
      const stepLeft = m.releaseStepMiB - (m.releaseFromMiB - m.targetMiB);
      const next = Math.max(floor, Math.ceil(m.targetMiB - Math.min(owed, stepLeft)));
      const take = m.targetMiB - next;
      if (!(take > 0) || !(m.committedMiB - next > hyst) || next > m.actualMiB) continue;
      m.role = 'release';
      m.targetMiB = next;
      m.reclaimedMiB += take;
      m.rebalanced = true;
      owed -= take;
      deficit -= take;
      baseMiB -= take;
      leftBudget += take;
    }
    growers = managed.filter((m) => m.role === 'grow');
  }

  // Grants, level by level over all growers: everyone's minimum (reservation, used + minUnused), then the
  // lean target, then the rest of each request. A grant costs its size in budget and, beyond any release in
  // flight it cancels, in host free memory.
  leftBudget = Math.max(0, leftBudget);
  leftFree = Math.max(0, leftFree);
  const order = [...growers].sort(
    (a, b) =>
      Number(b.auto) - Number(a.auto) ||
      Number(b.urgent) - Number(a.urgent) ||
      b.sharesPerMiB - a.sharesPerMiB ||
      a.vm.name.localeCompare(b.vm.name),
  );
  // Under a budget, a VM that is consuming but not asking yet keeps room up to its fair share of the budget
  // (by shares): growers ahead of it in time get their minimum, but not the lean/rest levels out of that
  // room (on the lab, vm1 was left at 685 MiB and OOM-killed while the other three grew to 778-811 MiB).
  let reservedMiB = 0;
  if (hk.budgetMiB !== undefined) {
    const pool = hk.budgetMiB - all.reduce((acc, a) => acc + (a.managed ? 0 : a.accountMiB), 0);
    const weights = managed.reduce((acc, m) => acc + m.sharesPerMiB, 0);
    for (const m of managed) {
      if (m.role === 'grow' || !m.auto || !(m.consumptionMiBPerSec * (args.control.lookaheadMs / 1000) > m.knobs.hysteresisMiB)) continue;
      const fair = weights > 0 ? (pool * m.sharesPerMiB) / weights : 0;
      reservedMiB += Math.max(0, fair - Math.max(m.committedMiB, m.actualMiB));
    }
  }
  const given = new Map<Managed, number>();
  /** Raises m's grant to `upTo` MiB in total where the budget (less `keep`) and host free memory allow. */
  const give = (m: Managed, upTo: number, keep = 0): void => {
    const g0 = given.get(m) ?? 0;
    const amount = upTo - g0;
    if (!(amount > 0)) return;
    const rel = Math.max(0, freeAlready(m) - g0);
    const g = Math.max(0, Math.min(amount, leftBudget - keep, rel + leftFree));
    given.set(m, g0 + g);
    leftBudget -= g;
    leftFree -= Math.max(0, g - rel);
  };
  // Within a level, the memory there is is shared by water-filling on balloon size per share
  // (fair-share.ts: under contention equal needs end at equal sizes instead of the first in line taking
  // everything), then anything left (a VM cancelling its own release needs no budget) goes in order. Auto
  // VMs come first; for the minimum level urgent ones (under minUnused now, swapping) come before the
  // others, but the lean and rest levels are shared by all growers alike (else an urgent VM's lean target
  // starves one that will be short in a few seconds: seen on the lab).
  const classesBy = (key: (m: Managed) => string): Managed[][] => {
    const out: Managed[][] = [];
    for (const m of order) {
      const last = out[out.length - 1];
      const head = last?.[0];
      if (last && head && key(head) === key(m)) last.push(m);
      else out.push([m]);
    }
    return out;
  };
  const byUrgency = classesBy((m) => `${m.auto}/${m.urgent}`);
  const byAuto = classesBy((m) => `${m.auto}`);
  const levels: ((m: Managed) => number)[] = [(m) => Math.min(want(m), m.minNeedMiB), (m) => Math.min(want(m), m.leanNeedMiB), want];
  levels.forEach((level, li) => {
    const keep = li === 0 ? 0 : reservedMiB;
    for (const cls of li === 0 ? byUrgency : byAuto) {
      const reserved = (m: Managed): number => given.get(m) ?? 0;
      const room = Math.max(0, Math.min(leftBudget - keep, leftFree));
      // the minimum level evens out unused memory per share (who is closest to OOM gets memory first);
      // the others even out balloon size per share
      const parts = fairShares(
        cls.map((m) =>
          li === 0
            ? { sizeMiB: m.committedMiB + reserved(m) - m.usedMiB, weight: m.sharesPerMiB, amountMiB: level(m) - reserved(m) }
            : { sizeMiB: m.committedMiB + reserved(m), weight: m.sharesPerMiB, amountMiB: level(m) - reserved(m) },
        ),
        room,
      );
      cls.forEach((m, i) => give(m, reserved(m) + (parts[i] ?? 0), keep));
      for (const m of cls) give(m, level(m), keep);
    }
  });
  for (const m of growers) {
    const g = given.get(m) ?? 0;
    const partial = Math.floor(m.committedMiB + g);
    m.targetMiB = !(g > 0) ? m.committedMiB : g >= want(m) ? m.requestMiB : partial > m.committedMiB ? partial : m.committedMiB;
  }

  const hostInputs = {
    hostFreeMiB: r1(freeMiB),
    hostFreeFloorMiB: hk.hostFreeFloorMiB,
    budgetMiB: hk.budgetMiB ?? null,
    hostSumBeforeMiB: r1(baseBeforeReclaim),
    growWantedMiB: r1(wantMiB),
    inflightGrowMiB: r1(inflightMiB),
    pressure: pressured,
  };

  const short: MemoryShortage['shortVms'] = [];
  for (const a of all) {
    if (!a.managed) {
      out.decisions.push({
        vmUuid: a.vm.uuid,
        hostId,
        kind: a.kind,
        reason: a.reason,
        inputs: { automation: a.automation, accountMiB: r1(a.accountMiB), ...hostInputs },
      });
      continue;
    }
    emit(a, hostId, hostInputs, pressured, hk.budgetMiB, out);
    if (out.decisions[out.decisions.length - 1]?.kind === 'starved') {
      short.push({ vmUuid: a.vm.uuid, vmName: a.vm.name, shortMiB: r1(Math.max(0, a.requestMiB - a.targetMiB)), unusedMiB: r1(a.unusedMiB) });
    }
  }
  if (short.length === 0) return undefined;
  const limitedBy = hk.budgetMiB !== undefined && leftBudget <= leftFree ? 'budget' : 'host-free';
  return { hostId, limitedBy, ...(hk.budgetMiB !== undefined ? { budgetMiB: hk.budgetMiB } : {}), shortVms: short };
}

function emit(m: Managed, hostId: string, hostInputs: Record<string, unknown>, pressured: boolean, budgetMiB: number | undefined, out: MemoryPlan): void {
  const hyst = m.knobs.hysteresisMiB;
  const t = m.targetMiB;
  const canJob =
    Math.abs(t - m.committedMiB) > hyst &&
    Number.isInteger(t) &&
    t >= m.knobs.reservationMiB &&
    t <= m.maximumMiB &&
    // above the balloon only as a grant, within the limit; a grower below it only raises a release in flight
    (t <= m.actualMiB || (m.role === 'grow' && t <= m.limitMiB));
  let kind: MemoryDecisionKind;
  let reason: string;
  if (m.role === 'grow') {
    const okMiB = Math.ceil(Math.max(m.knobs.reservationMiB, m.usedMiB + m.knobs.minUnusedMiB));
    const full = m.targetMiB >= m.requestMiB;
    if (canJob && (full || m.targetMiB >= okMiB)) {
      kind = m.protect ? 'protect' : 'grow';
      reason = `${m.why}: grow to ${m.targetMiB} MiB${full ? '' : ` (asked ${m.requestMiB} MiB; host budget/free memory short)`}`;
    } else {
      kind = 'starved';
      reason =
        `${m.why}: needs ${m.requestMiB} MiB but the host cannot grant it (budget or free-memory floor reached, ` +
        `no donor can give more without going below its floor)` +
        (canJob ? `; granted what there is: ${m.targetMiB} MiB` : '');
    }
  } else if (m.role === 'release') {
    kind = 'release';
    reason = m.rebalanced
      ? `${m.why ? `${m.why}; ` : ''}above its fair share of the budget while VMs below theirs need memory: ${fmt(m.reclaimedMiB)} MiB back, release to ${m.targetMiB} MiB`
      : m.reclaimedMiB > 0
        ? `${m.why ? `${m.why}; ` : ''}${fmt(m.reclaimedMiB)} MiB reclaimed under host pressure (lowest shares per active page, ρ=${fmt(m.rho)}): release to ${m.targetMiB} MiB`
        : `${m.why}: release to ${m.targetMiB} MiB`;
  } else {
    kind = m.holdKind;
    reason = m.why;
  }
  if (m.warmup && kind === 'grow') reason += ' (warming up: grows only)';
  const jobWanted = (kind === 'grow' || kind === 'release' || kind === 'protect' || kind === 'starved') && canJob;
  if (jobWanted && !m.auto) reason += ` (automation ${m.knobs.automation}: not applied)`;
  out.decisions.push({
    vmUuid: m.vm.uuid,
    hostId,
    kind,
    reason,
    inputs: {
      automation: m.knobs.automation,
      groups: m.groups,
      actualMiB: r1(m.actualMiB),
      unusedMiB: r1(m.unusedMiB),
      usedMiB: r1(m.usedMiB),
      committedMiB: r1(m.committedMiB),
      trendMiBPerSec: r1(m.trendMiBPerSec),
      consumptionMiBPerSec: r1(m.consumptionMiBPerSec),
      predictedUnusedMiB: r1(m.predictedUnusedMiB),
      targetMiB: r1(m.targetMiB),
      reservationMiB: m.knobs.reservationMiB,
      limitMiB: r1(m.limitMiB),
      minUnusedMiB: m.knobs.minUnusedMiB,
      maxUnusedMiB: m.knobs.maxUnusedMiB,
      releaseFloorMiB: m.releaseFloorMiB,
      sharesPerMiB: m.sharesPerMiB,
      rho: r1(m.rho),
      swapInKiBPerSec: r1(m.swapInKiBPerSec),
      warmup: m.warmup,
      protectUntilMs: m.protectUntilMs ?? null,
      pressure: pressured,
      ...hostInputs,
    },
  });
  if (jobWanted && m.auto) {
    const job: PlannedJob = {
      hostId,
      vmUuid: m.vm.uuid,
      vmName: m.vm.name,
      // Every job carries the host budget: a grow (or a job that turns into one because the balloon moved
      // meanwhile) is applied only once the releases that pay for it have landed, so Σ balloons never passes
      // the budget in between.
      action: {
        type: 'set-memory',
        memoryMiB: m.targetMiB,
        ...(budgetMiB !== undefined ? { hostBudgetMiB: budgetMiB } : {}),
      },
      reason,
    };
    out.jobs.push(job);
  }
}
