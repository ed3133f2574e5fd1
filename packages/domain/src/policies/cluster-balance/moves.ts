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

/** The gate: a move pays when its imbalance gain held over the horizon outweighs its migration time (× costFactor). */
export function pays(gain: number, costSec: number, gate: ClusterBalanceArgs['gate']): boolean {
  return gain > 0 && gain * gate.horizonSec >= gate.costFactor * costSec;
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
