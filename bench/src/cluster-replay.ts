/**
 * Runs a balancer on a snapshot round after round, applying its moves between rounds as finished
 * migrations (cluster-gen.ts applyMoves), until it makes no move, and checks each move against the
 * destination's capacity: a move overfills its destination when, after it, the host's VMs hold more memory
 * (Σ balloons) than its memory less its free-memory floor or than its budget, or are entitled to more CPU
 * than its pCPUs.
 */
import { buildClusterModel, PlacementState, type ClusterBalanceArgs, type ClusterSnapshot } from '@ballast/domain';
import { applyMoves } from './cluster-gen.js';

export type MoveList = { vmUuid: string; to: string }[];

export interface Replay {
  final: ClusterSnapshot;
  moves: number;
  rounds: number;
  /** Moves after which their destination was overfilled, with why. */
  overfills: string[];
}

/** Tracks where VMs are and says whether a move overfills its destination. */
export class OverfillCheck {
  private readonly st: PlacementState;
  private readonly index: Map<string, number>;
  private readonly totalMiB: Map<string, number>;

  constructor(s: ClusterSnapshot, args: ClusterBalanceArgs) {
    const model = buildClusterModel(s, args);
    this.st = new PlacementState(model);
    this.index = new Map(model.vms.map((v, i) => [v.uuid, i]));
    this.totalMiB = new Map(s.hosts.map((h) => [h.hostId, h.memoryTotalKiB / 1024]));
  }

  /** Applies the move; why it overfills the destination, or undefined. */
  move(vmUuid: string, to: string): string | undefined {
    const v = this.index.get(vmUuid);
    const h = this.st.hostIndex.get(to);
    if (v === undefined || h === undefined) return undefined;
    this.st.move(v, h);
    const host = this.st.hosts[h] as { id: string; floorMiB: number; budgetMiB?: number; cpuCapacity: number };
    const held = this.st.heldMiB[h] as number;
    const room = (this.totalMiB.get(to) ?? 0) - host.floorMiB;
    if (held > room) return `${to}: balloons ${Math.round(held)} MiB > memory − floor ${Math.round(room)} MiB`;
    if (host.budgetMiB !== undefined && held > host.budgetMiB) return `${to}: balloons ${Math.round(held)} MiB > budget ${host.budgetMiB} MiB`;
    const cpu = this.st.cpuSum[h] as number;
    if (cpu > host.cpuCapacity) return `${to}: CPU entitlement ${Math.round(cpu)} % > ${host.cpuCapacity} %`;
    return undefined;
  }
}

/** Rounds of `decide` until it makes no move (at most maxRounds), each round's moves applied before the next. */
export function replay(s0: ClusterSnapshot, args: ClusterBalanceArgs, decide: (s: ClusterSnapshot) => MoveList, maxRounds: number): Replay {
  const check = new OverfillCheck(s0, args);
  const overfills: string[] = [];
  let s = s0;
  let moves = 0;
  let rounds = 0;
  while (rounds < maxRounds) {
    const m = decide(s);
    if (m.length === 0) break;
    rounds++;
    moves += m.length;
    for (const x of m) {
      const why = check.move(x.vmUuid, x.to);
      if (why) overfills.push(why);
    }
    s = applyMoves(s, m);
  }
  return { final: s, moves, rounds, overfills };
}
