/**
 * Reservations become weights. A VM whose reservation was admitted gets the smallest cpu_shares (at least
 * its `shares` knob's) with which, under full contention with every VM that may run on any of its pCPUs
 * at the weight that VM will have once this plan lands, its slice of its pCPUs is at least its
 * reservation (entitlement.ts: w ≥ ρ/(1−ρ) · Σ others). Raising one VM's weight raises what its
 * neighbours need, so the weights are raised together until none has to move (the least fixed point:
 * every weight starts at its knob's and only grows).
 *
 * A reservation whose weight would pass the host's maxShares (or that keeps the others rising without
 * end) cannot be held: the latest admitted of those VMs is refused — no job for it, it keeps its current
 * tune — and the weights are sized again without it.
 */
import { fmt } from '../format.js';
import type { Contender } from './contenders.js';
import { contendedCpuPercent, sharesForReservation } from './entitlement.js';

/** Rounds of raising before the weights are taken not to settle. */
const MAX_ROUNDS = 200;

export interface Sizing {
  /** The weight each running VM will have once the plan lands: its target when the policy sets it, else its current shares. */
  weights: Map<Contender, number>;
  /** Σ weights of the other running VMs that may run on any of its pCPUs. */
  othersWeight(c: Contender): number;
  /** Reserving VMs refused here, with the reason. */
  refused: Map<Contender, string>;
}

/**
 * Sizes the weights of the VMs the policy sets (`managed`: their knob's shares, raised for the admitted
 * reservations in `admitted`, in admission order). `managed` loses the VMs refused here.
 */
export function sizeShares(running: readonly Contender[], managed: Set<Contender>, admitted: readonly Contender[], maxShares: number): Sizing {
  const neighbours = neighboursOf(running);
  const reserving = admitted.filter((c) => managed.has(c));
  const refused = new Map<Contender, string>();
  for (;;) {
    const weights = new Map(running.map((c) => [c, managed.has(c) ? c.baseShares : c.currentShares]));
    const othersWeight = (c: Contender): number => (neighbours.get(c) ?? []).reduce((acc, n) => acc + (weights.get(n) ?? 0), 0);
    const failing = raise(reserving, weights, othersWeight, maxShares);
    if (failing.length === 0) return { weights, othersWeight, refused };
    const victim = [...reserving].reverse().find((c) => failing.includes(c)) as Contender;
    refused.set(victim, whyNotHeld(victim, weights.get(victim) ?? Infinity, othersWeight(victim), maxShares));
    reserving.splice(reserving.indexOf(victim), 1);
    managed.delete(victim);
  }
}

/** Raises the reserving VMs' weights until they hold; returns those that cannot (empty when all hold). */
function raise(reserving: readonly Contender[], weights: Map<Contender, number>, othersWeight: (c: Contender) => number, maxShares: number): Contender[] {
  let changed: Contender[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    changed = [];
    for (const c of reserving) {
      const need = sharesForReservation(c.reservedPercent, c.pcpus.length, othersWeight(c));
      if (need > (weights.get(c) ?? 0)) {
        weights.set(c, need);
        changed.push(c);
      }
    }
    const over = reserving.filter((c) => (weights.get(c) ?? 0) > maxShares);
    if (over.length > 0) return over;
    if (changed.length === 0) return [];
  }
  return changed;
}

function whyNotHeld(c: Contender, needShares: number, othersWeight: number, maxShares: number): string {
  if (needShares <= maxShares) {
    return (
      `reservation ${fmt(c.reservedPercent)} % of a pCPU cannot be held by weights: the reservations of the VMs sharing its pCPUs ` +
      `keep raising each other's cpu_shares without settling`
    );
  }
  const got = contendedCpuPercent(Math.min(maxShares, needShares), othersWeight, c.pcpus.length);
  const needs = Number.isFinite(needShares) ? `cpu_shares ${needShares}` : 'all of them';
  return (
    `reservation ${fmt(c.reservedPercent)} % of a pCPU cannot be held by weights: against the ${othersWeight} cpu_shares competing ` +
    `on its ${c.pcpus.length} pCPU(s) it needs ${needs}, above this host's maxShares ${maxShares} (which would give it ${fmt(got)} %)`
  );
}

/** For each running VM, the other running VMs that may run on any of its pCPUs. */
export function neighboursOf(running: readonly Contender[]): Map<Contender, Contender[]> {
  const sets = new Map(running.map((c) => [c, new Set(c.pcpus)]));
  return new Map(running.map((c) => [c, running.filter((o) => o !== c && o.pcpus.some((p) => sets.get(c)?.has(p)))]));
}
