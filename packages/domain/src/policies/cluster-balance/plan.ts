/**
 * The cluster-balance plan: where VMs should run across the cluster, decided for the whole cluster at once
 * (run it on one engine: the cluster lease). Pure and stateless: everything comes from the snapshot
 * (hosts, VMs, the migrations in flight and done lately, the memory and CPU policies' signals).
 *
 *   1. the model (model.ts): host capacities, VM entitlements, cool-downs; migrations in flight count as done;
 *   2. mandatory moves (mandatory.ts): VMs on hosts in maintenance, VMs breaking a must / affinity /
 *      anti-affinity rule;
 *   3. memory pressure moves: hosts the memory coordinator reports short (memory-balloon/shortage);
 *   4. should-rule moves (level ≥ 2) that keep the imbalance within the target;
 *   5. balance moves (balance.ts): the greedy what-if search while the imbalance is above the level's target;
 *   every move within the limits on migrations in flight, each a `migrate` job (auto) or a recommendation.
 */
import type { ClusterSnapshot, Decision, Plan, PlannedJob } from '../../snapshot.js';
import type { ActionOf } from '../../jobs/index.js';
import { r1, r3 } from '../format.js';
import { readSignal } from '../policy-signals.js';
import { memoryShortage } from '../memory-balloon/shortage-signal.js';
import { balancePriority, targetImbalance, type ClusterBalanceArgs } from './args.js';
import { balanceMoves } from './balance.js';
import { pressureMoves, ruleMoves, type Stuck } from './mandatory.js';
import { buildModel, type HostModel, type VmModel } from './model.js';
import { MoveLimits, type Move } from './moves.js';
import { PlacementState } from './placement-state.js';
import { ruleBook } from './rules.js';

export const CLUSTER_BALANCE_POLICY_NAME = 'cluster-balance';

/** At most this many hosts' loads go into the cycle's summary decision. */
const SUMMARY_HOSTS = 50;

export function planClusterBalance(s: ClusterSnapshot, args: ClusterBalanceArgs): Plan {
  const model = buildModel(s, args);
  const st = new PlacementState(model);
  const book = ruleBook(args, model.vms);
  const limits = new MoveLimits(model, args.limits);
  const before = st.imbalance();
  const c = { st, book, args, limits, nowMs: s.nowMs, moves: [] as Move[], stuck: [] as Stuck[] };
  ruleMoves(c);
  pressureMoves(c, readSignal(s, memoryShortage) ?? []);
  c.moves.push(...balanceMoves(st, book, args, limits, s.nowMs));
  const out: Plan = { jobs: [], decisions: [summary(st, args, before, c.moves.length, model.inFlightTotal)] };
  const current = new Map(s.vms.map((v) => [v.uuid, v.hostId]));
  for (const m of c.moves) emitMove(m, st, current, out);
  for (const k of c.stuck) {
    const vm = st.vms[k.v] as VmModel;
    out.decisions.push({ vmUuid: vm.uuid, hostId: vm.hostId, kind: 'stuck', reason: k.why, inputs: { vm: vm.name, move: k.kind } });
  }
  return out;
}

function summary(st: PlacementState, args: ClusterBalanceArgs, before: number, moves: number, inFlight: number): Decision {
  const n = st.countedHosts;
  const target = targetImbalance(args.level, n);
  const loads: Record<string, { cpu: number; memory: number }> = {};
  st.hosts.slice(0, SUMMARY_HOSTS).forEach((h, i) => (loads[h.id] = { cpu: r1(st.cpuLoad(i) * 100) / 100, memory: r1(st.memLoad(i) * 100) / 100 }));
  const state = before > target ? `above the level ${args.level} target ${target.toFixed(3)}` : `within the level ${args.level} target ${target.toFixed(3)}`;
  return {
    kind: 'cluster',
    reason: `imbalance ${before.toFixed(3)} over ${n} host(s), ${state}; ${moves} move(s) planned, ${inFlight} in flight; predicted after: ${st.imbalance().toFixed(3)}`,
    inputs: {
      level: args.level,
      hosts: n,
      imbalance: r3(before),
      target: Number.isFinite(target) ? r3(target) : null,
      priority: balancePriority(before, n),
      predictedImbalance: r3(st.imbalance()),
      movesPlanned: moves,
      migrationsInFlight: inFlight,
      loads,
    },
  };
}

function emitMove(m: Move, st: PlacementState, current: ReadonlyMap<string, string>, out: Plan): void {
  const vm = st.vms[m.v] as VmModel;
  const to = st.hosts[m.to] as HostModel;
  const fromId = current.get(vm.uuid) ?? (st.hosts[m.from] as HostModel).id;
  const action: ActionOf<'migrate'> = {
    type: 'migrate',
    targetHost: to.id,
    destUri: to.migrationUri as string,
    ...(to.migrationDataUri ? { migrateUri: to.migrationDataUri } : {}),
  };
  const reason = `${m.kind} (priority ${m.priority}): move ${vm.name} ${fromId} → ${to.id}: ${m.why}`;
  const inputs = {
    vm: vm.name,
    from: fromId,
    to: to.id,
    move: m.kind,
    priority: m.priority,
    imbalanceBefore: r3(m.imbalanceBefore),
    imbalanceAfter: r3(m.imbalanceAfter),
    costSec: Number.isFinite(m.costSec) ? r1(m.costSec) : null,
    memoryMiB: Math.round(vm.memSizeMiB),
    cpuEntitlementPercent: r1(vm.cpuEnt),
    memoryEntitlementMiB: Math.round(vm.memEnt),
    action,
  };
  const recommend = vm.automation === 'recommend';
  out.decisions.push({ vmUuid: vm.uuid, hostId: fromId, kind: recommend ? 'recommend' : 'move', reason, inputs });
  if (!recommend) {
    const job: PlannedJob = { hostId: fromId, vmUuid: vm.uuid, vmName: vm.name, action, reason };
    out.jobs.push(job);
  }
}
