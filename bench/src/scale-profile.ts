#!/usr/bin/env node
/**
 * One engine cycle at scale in one process, to profile (docs/scale.md): a seeded simulator cluster of N hosts ×
 * 20 VMs, each host's collector HostSampler, the engine's ClusterState (window 30) and PolicyCycle with every
 * built-in policy on auto at its defaults (SimClusterLoop, sim-loop.ts). Warms up for a window's worth of
 * samples, then times `cycles` cycles (and prints the median); run it under --cpu-prof for where the time goes.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/dist/scale-profile.js 1000 5
 *
 * A third argument, `leader` or `replica`, runs the cycle as one of 3 engine replicas does: owning a third of the
 * hosts, with (leader: it holds the cluster lease) or without cluster-balance. The leader merges the signal parts
 * the two other replicas share (their cycles run before each timed one, untimed), as the engines do;
 * `leader-unshared` plans the per-host policies cluster-balance reads on every host itself, as without sharing.
 */
import { builtinPolicies, CLUSTER_BALANCE_POLICY_NAME } from '@ballast/domain';
import type { SharedSignalsPort, SignalParts } from '@ballast/cycle';
import { buildRandomCluster } from '@ballast/sim';
import { SimClusterLoop, type LoopPolicy } from './sim-loop.js';
import { median } from './stats.js';

const hosts = Number(process.argv[2] ?? 1000);
const cycles = Number(process.argv[3] ?? 5);
const role = process.argv[4];
if (role !== undefined && role !== 'leader' && role !== 'leader-unshared' && role !== 'replica') throw new Error(`role: leader, leader-unshared or replica, got "${role}"`);
const INTERVAL_MS = 2000;
const WINDOW = 30;

const registry = builtinPolicies();
const policies: LoopPolicy[] = registry.names().map((name) => {
  const policy = registry.get(name) as NonNullable<ReturnType<typeof registry.get>>;
  const v = policy.validate({});
  if (!v.ok) throw new Error(`${policy.name}: default args invalid: ${JSON.stringify(v.issues)}`);
  return { policy, args: v.args };
});
const sim = buildRandomCluster({ seed: 1, hosts, vmsPerHost: 20, pcpusPerHost: 32, numaNodes: 2, statsPeriodSec: 2, epochSec: 1_800_000_000 });
// signal parts as the engines share them in Redis (a JSON round trip; the Redis calls themselves are not timed)
const parts = new Map<string, string>();
const port: SharedSignalsPort = {
  publish: async (p) => void p.forEach((v, h) => parts.set(h, JSON.stringify(v))),
  read: async (hs) => new Map(hs.flatMap((h) => (parts.has(h) ? [[h, JSON.parse(parts.get(h) as string) as SignalParts] as const] : []))),
};
const loop = new SimClusterLoop(sim, sim.hosts().map((h) => ({ hostId: h.id })), INTERVAL_MS, policies, undefined, role === 'leader' ? { sharedSignals: port } : {});
let t = 0;
const step = async (): Promise<void> => {
  sim.advance(INTERVAL_MS);
  t += INTERVAL_MS;
  await loop.applyPending();
  await loop.sampleAll();
};
for (let i = 0; i < WINDOW; i++) await step();
const wide = new Set([CLUSTER_BALANCE_POLICY_NAME]);
const third = Math.ceil(hosts / 3);
const ownedBy = (k: number) => ({ hosts: new Set(sim.hosts().slice(k * third, (k + 1) * third).map((h) => h.id)), except: wide });
const owned = ownedBy(0);
const run = role === undefined ? undefined : { owned, ...(role === 'replica' ? { skip: wide } : {}) };
const others = role === 'leader' ? [1, 2].map((k) => ({ cycle: loop.peer(port), owned: ownedBy(k) })) : [];
const ms: number[] = [];
for (let i = 0; i < cycles; i++) {
  await step();
  for (const o of others) await o.cycle.run({ skip: wide, owned: o.owned });
  const t0 = performance.now();
  await loop.plan(t, 0, run);
  ms.push(performance.now() - t0);
}
console.log(JSON.stringify({ hosts, vms: hosts * 20, role: role ?? 'every host', cycles, medianCycleMs: Math.round(median(ms)), cycleMs: ms.map(Math.round), jobsSent: loop.jobsSent }));
