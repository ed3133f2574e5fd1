// Signals shared between engine replicas (@ballast/cycle shared-signals.ts) on a simulated cluster with every
// built-in policy: the replica running cluster-balance, merging the parts two others shared, plans the per-host
// policies on its own hosts only and decides the same moves from the same figures as a replica planning them on
// every host; hosts whose part is missing or malformed it plans itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinPolicies, CLUSTER_BALANCE_POLICY_NAME, cpuBounds, memoryBounds, memoryShortage, type Policy, type Signal } from '@ballast/domain';
import type { CycleResult, PolicyCycle, SharedSignalsPort, SignalParts } from '@ballast/cycle';
import { buildRandomCluster } from '@ballast/sim';
import { SimClusterLoop, type LoopPolicy } from './sim-loop.js';

const INTERVAL_MS = 2000;
const wide = new Set([CLUSTER_BALANCE_POLICY_NAME]);

/** Parts kept in memory, through JSON as Redis keeps them; `drop` and `spoil` say which hosts' to lose or break. */
class MemoryParts implements SharedSignalsPort {
  readonly parts = new Map<string, SignalParts>();
  drop = new Set<string>();
  spoil = new Set<string>();
  async publish(parts: ReadonlyMap<string, SignalParts>): Promise<void> {
    for (const [h, p] of parts) this.parts.set(h, JSON.parse(JSON.stringify(p)) as SignalParts);
  }
  async read(hosts: readonly string[]): Promise<ReadonlyMap<string, SignalParts>> {
    const out = new Map<string, SignalParts>();
    for (const h of hosts) {
      const p = this.parts.get(h);
      if (!p || this.drop.has(h)) continue;
      // a part about another host than its key says
      out.set(h, this.spoil.has(h) ? { ...p, [cpuBounds.name]: [{ vmUuid: 'x', hostId: 'elsewhere', reservedPercent: 0, limitPercent: 100 }] } : p);
    }
    return out;
  }
}

/** Every built-in policy (at its defaults but cluster-balance's level), the per-host ones counting the hosts each plan was given. */
function policies(planned: Map<string, number[]>): LoopPolicy[] {
  const registry = builtinPolicies();
  return registry.names().map((name) => {
    const p = registry.get(name) as Policy<unknown>;
    // level 5: cluster-balance moves VMs on this small random cluster (at the default it finds it balanced enough)
    const v = p.validate(name === CLUSTER_BALANCE_POLICY_NAME ? { level: 5 } : {});
    if (!v.ok) throw new Error(`${name}: default args invalid`);
    const counted: Policy<unknown> = { ...p, plan: (s, a) => (planned.get(name)?.push(s.hosts.length), p.plan(s, a)) };
    return { policy: counted, args: v.args };
  });
}

/** A signal's value with its lists in one order (merging puts the shared parts after this replica's own). */
function sorted(value: unknown): unknown {
  const key = (x: unknown) => JSON.stringify(x);
  if (Array.isArray(value)) return value.map(sorted).sort((a, b) => key(a).localeCompare(key(b)));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sorted(v)]));
  return value;
}

const moves = (r: CycleResult) =>
  r.decisions
    .filter((d) => d.policy === CLUSTER_BALANCE_POLICY_NAME)
    .map((d) => JSON.stringify({ vm: d.vmUuid, host: d.hostId, kind: d.kind, reason: d.reason, jobs: d.jobs?.map((j) => j.description) }))
    .sort();

test('cluster-balance on shared signal parts: the same figures and moves, the per-host policies planned on its own hosts', async () => {
  const planned = new Map(['memory-balloon', 'cpu-entitlement'].map((n) => [n, [] as number[]]));
  const sim = buildRandomCluster({ seed: 7, hosts: 9, vmsPerHost: 8, pcpusPerHost: 8, numaNodes: 2, statsPeriodSec: 2, epochSec: 1_800_000_000, memoryKiBPerHost: 8 * 3 * 1024 * 1024 });
  const hosts = sim.hosts().map((h) => h.id);
  const loop = new SimClusterLoop(sim, hosts.map((hostId) => ({ hostId })), INTERVAL_MS, policies(planned));
  const own = (k: number) => ({ hosts: new Set(hosts.slice(3 * k, 3 * k + 3)), except: wide });
  const step = async () => {
    sim.advance(INTERVAL_MS);
    await loop.applyPending();
    await loop.sampleAll();
  };
  for (let i = 0; i < 30; i++) await step();
  let compared = 0;
  let movesSeen = 0;
  for (const lose of [[], ['drop'], ['spoil']] as const) {
    for (let round = 0; round < 3; round++) {
      // the loop as one engine in between, so VMs move and balloons change
      await step();
      await loop.plan(0, 0);
      await step();
      const port = new MemoryParts();
      const [leader, b, c, reference]: PolicyCycle[] = [loop.peer(port), loop.peer(port), loop.peer(port), loop.peer()];
      await (b as PolicyCycle).run({ skip: wide, owned: own(1) });
      await (c as PolicyCycle).run({ skip: wide, owned: own(2) });
      if (lose[0] === 'drop') port.drop = new Set(hosts.slice(6));
      if (lose[0] === 'spoil') port.spoil = new Set([hosts[8] as string]);
      for (const counts of planned.values()) counts.length = 0;
      const shared = await (leader as PolicyCycle).run({ owned: own(0) });
      const expectHosts = lose[0] === 'drop' ? 6 : lose[0] === 'spoil' ? 4 : 3;
      for (const [name, counts] of planned) assert.deepEqual(counts, [expectHosts], `${name} planned on its own hosts and those not covered (${lose[0] ?? 'all shared'})`);
      const full = await (reference as PolicyCycle).run({ owned: own(0) });
      // a signal not published (memory-balloon/shortage without a shortage) reads as empty, as a merged one may be
      const value = (r: CycleResult, s: Signal<unknown>) => sorted(r.signals[s.name] ?? s.hostParts?.merge([]));
      for (const s of [cpuBounds, memoryBounds, memoryShortage] as Signal<unknown>[]) assert.deepEqual(value(shared, s), value(full, s), `${s.name} (${lose[0] ?? 'all shared'}, round ${round})`);
      assert.deepEqual(moves(shared), moves(full));
      movesSeen += moves(full).filter((m) => m.includes('"jobs":[')).length;
      compared++;
    }
  }
  assert.equal(compared, 9);
  assert.ok(movesSeen > 0, 'the reference planned moves at least once (else the comparison says little)');
});
