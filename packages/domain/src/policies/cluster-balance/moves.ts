/** A planned move, the cost-benefit gate, and the limits on migrations in flight. */
import type { ClusterBalanceArgs } from './args.js';
import type { ClusterModel, VmModel } from './model.js';

export type MoveKind = 'maintenance' | 'rule' | 'pressure' | 'should' | 'balance';

export interface Move {
  v: number;
  from: number;
  to: number;
  kind: MoveKind;
  /** 1 (mandatory) … 5 (slight imbalance), as DRS ranks recommendations. */
  priority: number;
  why: string;
  imbalanceBefore: number;
  imbalanceAfter: number;
  /** Predicted migration time, s (memory / (bandwidth − dirty rate)). */
  costSec: number;
}

/** Seconds a live migration of the VM is predicted to take, or undefined when it would not converge (dirty rate past the gate's share of the bandwidth). */
export function migrationCostSec(vm: Pick<VmModel, 'memSizeMiB' | 'dirtyMiBPerSec'>, gate: ClusterBalanceArgs['gate']): number | undefined {
  if (vm.dirtyMiBPerSec > gate.maxDirtyFraction * gate.bandwidthMiBPerSec) return undefined;
  return Math.max(1, vm.memSizeMiB) / (gate.bandwidthMiBPerSec - vm.dirtyMiBPerSec);
}

/**
 * The gate: a move pays when its gain held over the horizon outweighs its migration time (× costFactor).
 * The gain is the drop in the hosts' summed squared deviations from the mean load, hosts × (imbalance² before
 * − after): what one move does for the hosts it touches, whatever the cluster's size (the imbalance itself,
 * a standard deviation over all hosts, moves by about 1/hosts per move: on 500 hosts no move would pay).
 */
export function pays(before: number, after: number, hosts: number, costSec: number, gate: ClusterBalanceArgs['gate']): boolean {
  return after < before && Math.max(1, hosts) * (before * before - after * after) * gate.horizonSec >= gate.costFactor * costSec;
}

/** The highest imbalance after a move that still pays (pays), or -Infinity when none can. */
export function afterToPay(before: number, hosts: number, costSec: number, gate: ClusterBalanceArgs['gate']): number {
  const need = gate.costFactor * costSec;
  if (need <= 0) return before;
  if (gate.horizonSec <= 0) return -Infinity;
  const sq = before * before - need / (gate.horizonSec * Math.max(1, hosts));
  return sq >= 0 ? Math.sqrt(sq) : -Infinity;
}

/** Migrations in flight and planned: per host (as source or destination), in the cluster, and this cycle's. */
export class MoveLimits {
  private readonly perHost: Map<string, number>;
  private total: number;
  private planned = 0;

  constructor(
    m: Pick<ClusterModel, 'inFlightPerHost' | 'inFlightTotal'>,
    private readonly limits: ClusterBalanceArgs['limits'],
  ) {
    this.perHost = new Map(m.inFlightPerHost);
    this.total = m.inFlightTotal;
  }

  /** Why one more move from → to is not allowed now, or undefined. */
  blocked(from: string, to: string): string | undefined {
    if (this.planned >= this.limits.movesPerCycle) return `${this.limits.movesPerCycle} move(s) planned this cycle already (limits.movesPerCycle)`;
    if (this.total >= this.limits.cluster) return `${this.total} migration(s) in flight in the cluster (limits.cluster ${this.limits.cluster})`;
    for (const h of [from, to]) {
      const n = this.perHost.get(h) ?? 0;
      if (n >= this.limits.perHost) return `${n} migration(s) in flight on ${h} (limits.perHost ${this.limits.perHost})`;
    }
    return undefined;
  }

  hostFull(h: string): boolean {
    return (this.perHost.get(h) ?? 0) >= this.limits.perHost;
  }

  get exhausted(): boolean {
    return this.planned >= this.limits.movesPerCycle || this.total >= this.limits.cluster;
  }

  take(from: string, to: string): void {
    this.planned++;
    this.total++;
    for (const h of [from, to]) this.perHost.set(h, (this.perHost.get(h) ?? 0) + 1);
  }
}
