// Each built-in policy's declared signals (Policy.reads, Policy.publishes) against what its plan reads and publishes
// on a simulated cluster under load: the cycle plans a per-host policy on the cluster-lease holder's own hosts only
// when no cluster-wide policy reads what it publishes, so a read or a signal left undeclared would starve a
// cluster-wide policy of the other hosts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinPolicies, type Policy } from '@ballast/domain';
import { buildRandomCluster } from '@ballast/sim';
import { SimClusterLoop, type LoopPolicy } from './sim-loop.js';

test("every built-in policy declares the signals its plan reads and publishes (on 6 simulated hosts, 40 cycles)", async () => {
  const registry = builtinPolicies();
  const reads = new Map<string, Set<string>>();
  const publishes = new Map<string, Set<string>>();
  const policies: LoopPolicy[] = registry.names().map((name) => {
    const policy = registry.get(name) as Policy<unknown>;
    const v = policy.validate({});
    if (!v.ok) throw new Error(`${name}: default args invalid`);
    reads.set(name, new Set());
    publishes.set(name, new Set());
    const spy: Policy<unknown> = {
      ...policy,
      plan: (s, args) => {
        const board = new Proxy(s.signals, { get: (t, k) => (typeof k === 'string' && reads.get(name)?.add(k), Reflect.get(t, k) as unknown) });
        const plan = policy.plan({ ...s, signals: board }, args);
        for (const sig of plan.signals ?? []) publishes.get(name)?.add(sig.name);
        return plan;
      },
    };
    return { policy: spy, args: v.args };
  });
  const sim = buildRandomCluster({ seed: 7, hosts: 6, vmsPerHost: 12, pcpusPerHost: 8, numaNodes: 2, statsPeriodSec: 2, epochSec: 1_800_000_000 });
  const loop = new SimClusterLoop(sim, sim.hosts().map((h) => ({ hostId: h.id })), 2000, policies);
  for (let i = 0; i < 40; i++) {
    sim.advance(2000);
    await loop.applyPending();
    await loop.sampleAll();
    await loop.plan(i * 2000, 0);
  }
  for (const name of registry.names()) {
    const p = registry.get(name) as Policy<unknown>;
    assert.ok(p.reads && p.publishes, `${name} declares reads and publishes`);
    assert.deepEqual([...(reads.get(name) ?? [])].filter((s) => !p.reads?.some((d) => d.name === s)), [], `${name} reads only what it declares`);
    assert.deepEqual([...(publishes.get(name) ?? [])].filter((s) => !p.publishes?.some((d) => d.name === s)), [], `${name} publishes only what it declares`);
  }
  // the checks above saw something: the signals the cluster-wide policy needs were published and read
  assert.ok(reads.get('cluster-balance')?.has('cpu-entitlement/bounds') && publishes.get('cpu-entitlement')?.has('cpu-entitlement/bounds'));
  assert.ok(reads.get('vcpu-balance')?.has('numa-placement/placed') && publishes.get('numa-placement')?.has('numa-placement/placed'));
});
