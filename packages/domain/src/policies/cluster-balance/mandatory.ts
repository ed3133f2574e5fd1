/**
 * Moves that come before balancing: mandatory ones (a VM on a host in maintenance, or breaking a `must`,
 * affinity or anti-affinity rule; priority 1, cool-downs do not hold them), memory pressure moves (the
 * memory coordinator could not grant what VMs on a host need; priority 1) and, from level 2, should-rule
 * moves (priority 2) that do not push the imbalance above the level's target.
 */
import type { MemoryShortage } from '../memory-balloon/shortage-signal.js';
import { targetImbalance, type ClusterBalanceArgs } from './args.js';
import { movable, vmsByHost } from './balance.js';
import { whyNotFit } from './fit.js';
import type { HostModel, VmModel } from './model.js';
import { migrationCostSec, type Move, type MoveLimits } from './moves.js';
import type { PlacementState } from './placement-state.js';
import { violation, type RuleBook } from './rules.js';

/** A move the plan wanted but could not make, with why. */
export interface Stuck {
  v: number;
  kind: 'maintenance' | 'rule' | 'pressure' | 'should';
  why: string;
}

interface Ctx {
  st: PlacementState;
  book: RuleBook;
  args: ClusterBalanceArgs;
  limits: MoveLimits;
  nowMs: number;
  moves: Move[];
  stuck: Stuck[];
}

/** The fitting host where `v` leaves the least imbalance (extraMiB: room it needs beyond its balloon), or why none. */
function bestDestination(c: Ctx, v: number, extraMiB = 0): { to: number; after: number } | { why: string } {
  let best: { to: number; after: number } | undefined;
  const why: string[] = [];
  const from = c.st.at[v] as number;
  for (let to = 0; to < c.st.hosts.length; to++) {
    if (to === from) continue;
    const no = whyNotFit(c.st, c.book, c.args, v, to, extraMiB) ?? c.limits.blocked((c.st.hosts[from] as HostModel).id, (c.st.hosts[to] as HostModel).id);
    if (no) {
      if (why.length < 4) why.push(no);
      continue;
    }
    const after = c.st.imbalanceIf(v, to);
    if (!best || after < best.after) best = { to, after };
  }
  return best ?? { why: why.length > 0 ? `no host fits: ${why.join('; ')}` : 'no other host' };
}

function apply(c: Ctx, v: number, d: { to: number; after: number }, kind: Move['kind'], priority: number, why: string): void {
  const from = c.st.at[v] as number;
  const before = c.st.imbalance();
  c.limits.take((c.st.hosts[from] as HostModel).id, (c.st.hosts[d.to] as HostModel).id);
  c.st.move(v, d.to);
  const vm = c.st.vms[v] as VmModel;
  c.moves.push({ v, from, to: d.to, kind, priority, why, imbalanceBefore: before, imbalanceAfter: c.st.imbalance(), costSec: migrationCostSec(vm, c.args.gate) ?? Infinity });
}

/** Maintenance and rule moves (mandatory), then should-rule moves from level 2. */
export function ruleMoves(c: Ctx): void {
  const should: { v: number; why: string }[] = [];
  for (let v = 0; v < c.st.vms.length; v++) {
    if (c.st.at[v] === -1) continue;
    const broken = violation(c.book, c.st, v);
    if (!broken) continue;
    if (!broken.mandatory) {
      should.push({ v, why: broken.why });
      continue;
    }
    const kind = broken.why.includes('maintenance') ? 'maintenance' : 'rule';
    const vm = c.st.vms[v] as VmModel;
    if (!movable(vm, c.nowMs, true)) {
      c.stuck.push({ v, kind, why: `${broken.why}; not moved: ${vm.migrating ? 'a migration of it is in flight' : 'automation is off for it'}` });
      continue;
    }
    const d = bestDestination(c, v);
    if ('why' in d) c.stuck.push({ v, kind, why: `${broken.why}; ${d.why}` });
    else apply(c, v, d, kind, 1, broken.why);
  }
  if (c.args.level < 2) return;
  const target = targetImbalance(c.args.level, c.st.countedHosts);
  for (const { v, why } of should) {
    if (!movable(c.st.vms[v] as VmModel, c.nowMs)) continue;
    const d = bestDestination(c, v);
    if ('why' in d) c.stuck.push({ v, kind: 'should', why: `${why}; ${d.why}` });
    else if (d.after <= Math.max(target, c.st.imbalance())) apply(c, v, d, 'should', 2, why);
  }
}

/**
 * Memory pressure: on each host where the memory coordinator left VMs short, move the VM that frees the
 * most memory per second of migration to the host that fits it best — a starving VM counts with the room
 * it still lacks, so it can grow there. One move per short host per cycle.
 */
export function pressureMoves(c: Ctx, shortages: readonly MemoryShortage[]): void {
  const byHost = vmsByHost(c.st);
  for (const s of [...shortages].sort((a, b) => a.hostId.localeCompare(b.hostId))) {
    const h = c.st.hostIndex.get(s.hostId);
    if (h === undefined) continue;
    const short = new Map(s.shortVms.map((x) => [x.vmUuid, x.shortMiB]));
    // what migrations in flight off this host will free (the shortage is measured before they switch over)
    const leaving = c.st.vms.filter((x) => x.leavingHost === s.hostId);
    const totalShort = s.shortVms.reduce((a, x) => a + x.shortMiB, 0) - leaving.reduce((a, x) => a + x.memSizeMiB + (short.get(x.uuid) ?? 0), 0);
    if (totalShort <= 0) continue;
    let best: { v: number; d: { to: number; after: number }; relief: number; cost: number } | undefined;
    let why = 'no VM there may move';
    for (const v of byHost.get(h) ?? []) {
      const vm = c.st.vms[v] as VmModel;
      const cost = migrationCostSec(vm, c.args.gate);
      if (!movable(vm, c.nowMs) || cost === undefined) continue;
      const d = bestDestination(c, v, short.get(vm.uuid) ?? 0);
      if ('why' in d) {
        why = d.why;
        continue;
      }
      // moving it frees its balloon here, and a starving VM takes its own need along
      const relief = vm.memSizeMiB + (short.get(vm.uuid) ?? 0);
      if (!best || better({ relief, cost }, best, totalShort)) best = { v, d, relief, cost };
    }
    const lacking = s.shortVms.map((x) => `${x.vmName} ${Math.round(x.shortMiB)} MiB`).join(', ');
    const what = `memory on ${s.hostId} is short (${s.limitedBy === 'budget' ? 'budget' : 'host free memory'}: ${lacking})`;
    if (best) apply(c, best.v, best.d, 'pressure', 1, what);
    else {
      const first = s.shortVms[0];
      const v = first ? c.st.vms.findIndex((x) => x.uuid === first.vmUuid) : -1;
      if (v >= 0) c.stuck.push({ v, kind: 'pressure', why: `${what}; ${why}` });
    }
  }
}

/** Of two candidates: one that covers the whole shortage beats one that does not; among those that cover it, the cheaper; else the one that relieves more. */
function better(a: { relief: number; cost: number }, b: { relief: number; cost: number }, totalShort: number): boolean {
  const ac = a.relief >= totalShort;
  const bc = b.relief >= totalShort;
  if (ac !== bc) return ac;
  return ac ? a.cost < b.cost : a.relief > b.relief;
}

export type { Ctx as MandatoryCtx };
