/**
 * Grants (steps 6-8 of the host plan, plan.ts): room kept for consumers not asking yet, then what the
 * budget and host free memory allow given to the growers level by level — everyone's minimum (reservation,
 * used + minUnused), then the lean target, then the rest of each request — and the growers' targets.
 */
import type { Managed } from './assessment.js';
import { fairShares } from './fair-share.js';
import { fairShareMiB, releasedAlreadyMiB, wantMiB, type HostState } from './host-state.js';

/**
 * Under a budget, a VM that is consuming but not asking yet keeps room up to its fair share of the budget
 * (by shares): growers ahead of it in time get their minimum, but not the lean/rest levels out of that
 * room (on the lab, vm1 was left at 685 MiB and OOM-killed while the other three grew to 778-811 MiB).
 * Returns the MiB kept.
 */
export function roomForConsumers(h: HostState, lookaheadMs: number): number {
  if (h.knobs.budgetMiB === undefined) return 0;
  let reservedMiB = 0;
  for (const m of h.managed) {
    if (m.role === 'grow' || !m.auto || !(m.consumptionMiBPerSec * (lookaheadMs / 1000) > m.knobs.hysteresisMiB)) continue;
    const fair = h.weights > 0 ? fairShareMiB(h, m) : 0;
    reservedMiB += Math.max(0, fair - Math.max(m.committedMiB, m.actualMiB));
  }
  return reservedMiB;
}

/** One level of the grants: how much of its request each grower may have by its end, and how it is shared. */
interface Level {
  /** MiB above committed a grower may have by the end of this level. */
  upTo: (m: Managed) => number;
  /** The growers in classes served one after the other (consecutive runs of the grant order). */
  classes: Managed[][];
  /** MiB of the budget this level leaves untouched (roomForConsumers). */
  keepMiB: number;
  /** What the water-filling evens out per share, given what m is granted so far. */
  sizeMiB: (m: Managed, grantedMiB: number) => number;
}

/**
 * Grants, level by level over all growers: everyone's minimum (reservation, used + minUnused), then the
 * lean target, then the rest of each request. A grant costs its size in budget and, beyond any release in
 * flight it cancels, in host free memory.
 *
 * Within a level, the memory there is is shared by water-filling on balloon size per share
 * (fair-share.ts: under contention equal needs end at equal sizes instead of the first in line taking
 * everything), then anything left (a VM cancelling its own release needs no budget) goes in order. Auto
 * VMs come first; for the minimum level urgent ones (under minUnused now, swapping) come before the
 * others, but the lean and rest levels are shared by all growers alike (else an urgent VM's lean target
 * starves one that will be short in a few seconds: seen on the lab).
 */
export function grantLevels(h: HostState, keepMiB: number): void {
  h.leftBudgetMiB = Math.max(0, h.leftBudgetMiB);
  h.leftFreeMiB = Math.max(0, h.leftFreeMiB);
  const order = grantOrder(h.growers);
  const byAuto = classesBy(order, (m) => `${m.auto}`);
  // the minimum level evens out unused memory per share (who is closest to OOM gets memory first);
  // the others even out balloon size per share
  const levels: Level[] = [
    {
      upTo: (m) => Math.min(wantMiB(m), m.minNeedMiB),
      classes: classesBy(order, (m) => `${m.auto}/${m.urgent}`),
      keepMiB: 0,
      sizeMiB: (m, g) => m.committedMiB + g - m.usedMiB,
    },
    { upTo: (m) => Math.min(wantMiB(m), m.leanNeedMiB), classes: byAuto, keepMiB, sizeMiB: (m, g) => m.committedMiB + g },
    { upTo: wantMiB, classes: byAuto, keepMiB, sizeMiB: (m, g) => m.committedMiB + g },
  ];
  for (const level of levels) for (const cls of level.classes) grantToClass(h, cls, level);
}

/** Auto VMs first, then urgent ones, then more shares per MiB, then by name. */
function grantOrder(growers: readonly Managed[]): Managed[] {
  return [...growers].sort(
    (a, b) =>
      Number(b.auto) - Number(a.auto) ||
      Number(b.urgent) - Number(a.urgent) ||
      b.sharesPerMiB - a.sharesPerMiB ||
      a.vm.name.localeCompare(b.vm.name),
  );
}

/** The runs of consecutive VMs of `order` with the same key. */
function classesBy(order: readonly Managed[], key: (m: Managed) => string): Managed[][] {
  const out: Managed[][] = [];
  for (const m of order) {
    const last = out[out.length - 1];
    const head = last?.[0];
    if (last && head && key(head) === key(m)) last.push(m);
    else out.push([m]);
  }
  return out;
}

/** One class at one level: the room there is shared by water-filling, then what is left goes in order. */
function grantToClass(h: HostState, cls: readonly Managed[], level: Level): void {
  const granted = (m: Managed): number => h.given.get(m) ?? 0;
  const room = Math.max(0, Math.min(h.leftBudgetMiB - level.keepMiB, h.leftFreeMiB));
  const parts = fairShares(
    cls.map((m) => ({ sizeMiB: level.sizeMiB(m, granted(m)), weight: m.sharesPerMiB, amountMiB: level.upTo(m) - granted(m) })),
    room,
  );
  cls.forEach((m, i) => give(h, m, granted(m) + (parts[i] ?? 0), level.keepMiB));
  for (const m of cls) give(h, m, level.upTo(m), level.keepMiB);
}

/** Raises m's grant to `upTo` MiB in total where the budget (less `keepMiB`) and host free memory allow. */
function give(h: HostState, m: Managed, upTo: number, keepMiB: number): void {
  const g0 = h.given.get(m) ?? 0;
  const amount = upTo - g0;
  if (!(amount > 0)) return;
  const rel = Math.max(0, releasedAlreadyMiB(m) - g0);
  const g = Math.max(0, Math.min(amount, h.leftBudgetMiB - keepMiB, rel + h.leftFreeMiB));
  h.given.set(m, g0 + g);
  h.leftBudgetMiB -= g;
  h.leftFreeMiB -= Math.max(0, g - rel);
}

/** A grower's target: its request when fully granted, committed + a partial grant (whole MiB), else what it is committed to. */
export function setGrowTargets(h: HostState): void {
  for (const m of h.growers) {
    const g = h.given.get(m) ?? 0;
    const partial = Math.floor(m.committedMiB + g);
    m.targetMiB = !(g > 0) ? m.committedMiB : g >= wantMiB(m) ? m.requestMiB : partial > m.committedMiB ? partial : m.committedMiB;
  }
}
