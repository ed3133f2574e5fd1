/**
 * The fewest migrations that take a cluster to its level's target imbalance, found by iterative deepening
 * over move sequences (depth 1, 2, … up to maxDepth) under the cluster-balance policy's own rules: its
 * PlacementState (loads, imbalance), whyNotFit (budget, free floor, reservations, rules), its cost-benefit
 * gate (every move must pay) and which VMs may move. Unlike the policy's greedy search it tries every VM
 * on every host, not only above-mean sources and below-mean destinations. Small clusters only: the moves
 * tried grow as (VMs × hosts)^depth.
 */
import {
  buildClusterModel,
  clusterMovable,
  clusterRuleBook,
  migrationCostSec,
  migrationPays,
  PlacementState,
  targetImbalance,
  whyNotFit,
  type ClusterBalanceArgs,
  type ClusterRuleBook,
  type ClusterSnapshot,
} from '@ballast/domain';

export interface FewestMoves {
  /** The fewest moves reaching the target (0: already within it), or undefined when none within maxDepth does. */
  moves?: number;
  /** One shortest sequence: VM name → host id. */
  path: { vm: string; to: string }[];
  before: number;
  target: number;
  /** Move sequences tried (leaves and inner nodes). */
  tried: number;
}

interface Search {
  st: PlacementState;
  book: ClusterRuleBook;
  args: ClusterBalanceArgs;
  target: number;
  /** VM index → predicted migration time, s, for the VMs that may move. */
  candidates: { v: number; costSec: number }[];
  path: { v: number; to: number }[];
  tried: number;
}

export function fewestMoves(s: ClusterSnapshot, args: ClusterBalanceArgs, maxDepth = 3): FewestMoves {
  const model = buildClusterModel(s, args);
  const st = new PlacementState(model);
  const target = targetImbalance(args.level, st.countedHosts);
  const before = st.imbalance();
  const candidates = model.vms.flatMap((vm, v) => {
    const costSec = migrationCostSec(vm, args.gate);
    return st.at[v] !== -1 && clusterMovable(vm, s.nowMs) && costSec !== undefined ? [{ v, costSec }] : [];
  });
  const q: Search = { st, book: clusterRuleBook(args, model.vms), args, target, candidates, path: [], tried: 0 };
  const out = (moves?: number): FewestMoves => ({
    ...(moves !== undefined ? { moves } : {}),
    path: q.path.map((p) => ({ vm: (st.vms[p.v] as { name: string }).name, to: (st.hosts[p.to] as { id: string }).id })),
    before,
    target,
    tried: q.tried,
  });
  if (!(before > target)) return out(0);
  for (let depth = 1; depth <= maxDepth; depth++) if (deepen(q, depth)) return out(depth);
  return out();
}

/** Whether `left` more moves from the state now reach the target (the path holds them when they do). */
function deepen(q: Search, left: number): boolean {
  const { st } = q;
  const before = st.imbalance();
  for (const { v, costSec } of q.candidates) {
    const from = st.at[v] as number;
    for (let to = 0; to < st.hosts.length; to++) {
      if (to === from) continue;
      q.tried++;
      const after = st.imbalanceIf(v, to);
      if (left === 1 && !(after <= q.target)) continue;
      if (!migrationPays(before, after, st.countedHosts, costSec, q.args.gate) || whyNotFit(st, q.book, q.args, v, to) !== undefined) continue;
      q.path.push({ v, to });
      if (left === 1) return true;
      st.move(v, to);
      const found = deepen(q, left - 1);
      st.move(v, from);
      if (found) return true;
      q.path.pop();
    }
  }
  return false;
}
