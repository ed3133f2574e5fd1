/**
 * Memory taken back for the growers (steps 3-5 of the host plan, plan.ts): what they lack for their lean
 * targets (the deficit), reclaimed first under pressure from the VMs with the lowest shares per active page,
 * then from the VMs above their fair share of the budget.
 */
import type { Managed } from './assessment.js';
import { fairShareMiB, releasedAlreadyMiB, wantMiB, type HostState } from './host-state.js';

/** The growers, what they want in all, and what they lack for their lean targets in budget or host free memory. */
export function measureDeficit(h: HostState): void {
  h.growers = h.managed.filter((m) => m.role === 'grow');
  const lean = (m: Managed): number => Math.min(wantMiB(m), m.leanNeedMiB);
  h.growWantedMiB = h.growers.reduce((s, m) => s + wantMiB(m), 0);
  const leanMiB = h.growers.reduce((s, m) => s + lean(m), 0);
  const leanFreeMiB = h.growers.reduce((s, m) => s + Math.max(0, lean(m) - releasedAlreadyMiB(m)), 0);
  h.deficitMiB = Math.max(0, leanMiB - h.leftBudgetMiB, leanFreeMiB - h.leftFreeMiB);
  h.pressure = h.deficitMiB > 0;
}

/**
 * Pressure: reclaim what the growers lack for their lean targets (or what the host is over its budget /
 * under its floor by) from the VMs with the lowest shares per active page, within their floors and steps.
 */
export function reclaimUnderPressure(h: HostState): void {
  if (!(h.deficitMiB > 0)) return;
  const donors = h.managed
    .filter((m) => m.auto && m.role !== 'grow' && !m.warmup && !m.protect && m.committedMiB <= m.actualMiB && m.targetMiB > m.pressureFloorMiB)
    .sort((a, b) => a.rho - b.rho || a.vm.name.localeCompare(b.vm.name));
  for (const m of donors) {
    if (h.deficitMiB <= 0) break;
    const got = reclaimFrom(m, h.deficitMiB);
    if (!(got > 0)) continue;
    h.deficitMiB -= got;
    h.leftBudgetMiB += got;
  }
}

/** Lowers m's target by up to `deficit` MiB, down to its pressure floor and within its release step; returns what it took. */
function reclaimFrom(m: Managed, deficit: number): number {
  const hyst = m.knobs.hysteresisMiB;
  const slack = m.targetMiB - m.pressureFloorMiB;
  const stepLeft = m.releaseStepMiB - (m.releaseFromMiB - m.targetMiB);
  const most = Math.min(slack, stepLeft);
  if (!(most > 0)) return 0;
  let take = Math.min(deficit, most);
  if (Math.abs(m.targetMiB - take - m.committedMiB) <= hyst) take = most;
  const next = Math.ceil(m.targetMiB - take);
  if (!(Math.abs(next - m.committedMiB) > hyst) || next >= m.targetMiB) return 0;
  const got = m.targetMiB - next;
  m.targetMiB = next;
  m.reclaimedMiB += got;
  m.role = 'release';
  return got;
}

/**
 * Rebalance toward fair shares: when growers below their fair share still lack memory the budget cannot
 * give, VMs above theirs give back the excess (one release step a cycle), never below their fair share
 * nor below used + minUnused + hysteresis — or, when the neediest of those growers has less unused than
 * minUnused (a shortage), down to used + minUnused itself (the floor): a guest above its share
 * gives up to its spare hysteresis (on the lab: 804 MiB with 130 unused, beside one at 696 with 21 unused).
 * Without it whoever grew first keeps the budget, and a guest that needs its share later starves (on the
 * lab: one guest OOM-killed at 676 MiB beside three at 795-805).
 */
export function rebalanceTowardFairShares(h: HostState): void {
  if (!(h.deficitMiB > 0 && h.knobs.budgetMiB !== undefined)) return;
  let owed = Math.min(h.deficitMiB, shortOfFairShareMiB(h));
  const fair = (m: Managed): number => fairShareMiB(h, m);
  const poorUnusedMiB = Math.min(...belowFairShare(h).map((g) => Math.max(0, g.committedMiB - g.usedMiB)));
  const rich = h.managed
    .filter((m) => m.auto && !m.warmup && !m.protect && m.committedMiB <= m.actualMiB + 1 && m.targetMiB > fair(m) + m.knobs.hysteresisMiB)
    .sort((a, b) => b.targetMiB / fair(b) - a.targetMiB / fair(a) || a.vm.name.localeCompare(b.vm.name));
  for (const m of rich) {
    if (owed <= 0) break;
    const take = giveBack(m, owed, fair(m), poorUnusedMiB);
    if (!(take > 0)) continue;
    owed -= take;
    h.deficitMiB -= take;
    h.leftBudgetMiB += take;
  }
  h.growers = h.managed.filter((m) => m.role === 'grow');
}

/** What the auto growers below their fair share lack of their lean targets, up to that share, MiB. */
function shortOfFairShareMiB(h: HostState): number {
  return belowFairShare(h).reduce((acc, g) => acc + Math.min(Math.min(wantMiB(g), g.leanNeedMiB), fairShareMiB(h, g) - g.committedMiB), 0);
}

/** The auto growers below their fair share (by more than the hysteresis). */
function belowFairShare(h: HostState): Managed[] {
  return h.growers.filter((g) => g.auto && g.committedMiB < fairShareMiB(h, g) - g.knobs.hysteresisMiB);
}

/**
 * Releases m by up to `owed` MiB toward its fair share (one step), keeping used + minUnused, and the
 * hysteresis on top unless a grower below its share has less than minUnused; returns what it gave.
 */
function giveBack(m: Managed, owed: number, fairMiB: number, poorUnusedMiB: number): number {
  const hyst = m.knobs.hysteresisMiB;
  const margin = poorUnusedMiB < m.knobs.minUnusedMiB ? 0 : hyst;
  const floor = Math.ceil(Math.max(fairMiB, m.usedMiB + m.knobs.minUnusedMiB + margin, m.knobs.reservationMiB));
  const stepLeft = m.releaseStepMiB - (m.releaseFromMiB - m.targetMiB);
  const next = Math.max(floor, Math.ceil(m.targetMiB - Math.min(owed, stepLeft)));
  const take = m.targetMiB - next;
  if (!(take > 0) || !(m.committedMiB - next > hyst) || next > m.actualMiB) return 0;
  m.role = 'release';
  m.targetMiB = next;
  m.reclaimedMiB += take;
  m.rebalanced = true;
  return take;
}
