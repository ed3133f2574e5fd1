// Property test of the cpu-entitlement plan over random hosts, VMs and documents (seeded, reproducible):
// targets within set-cpu-tune's bounds, never half-applied, admitted reservations within capacity and
// held by the planned weights, one decision per VM, deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setCpuTuneJob } from '../../jobs/types/set-cpu-tune.js';
import { mulberry32 } from '../../seeded-random.js';
import type { ClusterSnapshot, HostView, VmView } from '../../snapshot.js';
import { cpuHost, cpuSnap, cpuVm } from '../cpu-test-snapshots.js';
import { withOverrides } from '../vm-groups.js';
import type { CpuEntitlementArgs } from './args.js';
import { contendedCpuPercent } from './entitlement.js';
import { planCpuEntitlement, type CpuPlan } from './plan.js';
import { validateCpuEntitlementArgs } from './validate.js';

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

function randomAffinity(r: Rand, host: HostView): number[] {
  const all = Array.from({ length: host.pcpuCount }, (_, i) => i);
  const roll = r();
  if (roll < 0.4) return all;
  if (roll < 0.7) return pick(r, host.numaCells).cpus;
  return all.filter(() => r() < 0.5).concat([int(r, 0, host.pcpuCount - 1)]).filter((p, i, xs) => xs.indexOf(p) === i);
}

function randomCase(seed: number): { s: ClusterSnapshot; a: CpuEntitlementArgs } {
  const r = mulberry32(seed);
  const hosts = Array.from({ length: int(r, 1, 2) }, (_, i) => {
    const cells = pick(r, [1, 2, 4]);
    return cpuHost(`h${i}`, { pcpus: cells * int(r, 1, 4), cells, stale: r() < 0.05 });
  });
  const vms: VmView[] = [];
  for (const h of hosts) {
    for (let i = 0; i < int(r, 0, 9); i++) {
      const tune = r() < 0.1 ? null : { shares: pick(r, [2, 100, 1024, 2000, 50_000]), quotaUs: pick(r, [-1, 0, 20_000, 50_000]), periodUs: pick(r, [100_000, 50_000]) };
      vms.push(cpuVm(`${h.hostId}-v${i}`, { hostId: h.hostId, vcpus: int(r, 1, 6), pcpus: randomAffinity(r, h), cpuTune: tune, state: r() < 0.1 ? 'shutoff' : 'running', labels: { tier: pick(r, ['gold', 'bronze']) } }));
    }
  }
  const doc = {
    defaults: { shares: pick(r, ['high', 'normal', 'low', 250]), reservationPercent: pick(r, [0, 0, 10, 25]) },
    groups: [
      { match: { labels: { tier: 'gold' } }, reservationPercent: pick(r, [0, 30, 60, 90, 100]), shares: pick(r, ['high', 4000]) },
      { match: { names: vms.filter(() => r() < 0.3).map((v) => v.name) }, limitPercent: pick(r, [30, 50, 100]), periodUs: pick(r, [10_000, 100_000]), automation: pick(r, ['auto', 'recommend', 'off']) },
    ],
    host: { headroomPercent: pick(r, [0, 10, 30]), maxShares: pick(r, [10_000, 262_144]) },
  };
  const v = validateCpuEntitlementArgs(doc);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return { s: cpuSnap(vms, hosts), a: v.args };
}

function checkJobs(s: ClusterSnapshot, a: CpuEntitlementArgs, p: CpuPlan): void {
  const seen = new Set<string>();
  for (const j of p.jobs) {
    assert.ok(j.vmUuid && !seen.has(j.vmUuid), 'at most one job per VM');
    seen.add(j.vmUuid);
    assert.ok(setCpuTuneJob.action.safeParse(j.action).success, `within set-cpu-tune's bounds: ${JSON.stringify(j.action)}`);
    assert.ok(j.action.type === 'set-cpu-tune');
    if (j.action.type !== 'set-cpu-tune') continue;
    assert.ok(j.action.shares !== undefined && j.action.quotaUs !== undefined, 'the whole target: never half-applied');
    assert.ok(j.action.shares <= withOverrides(a.host, a.hosts[j.hostId]).maxShares);
    assert.ok(j.action.quotaUs === -1 || (j.action.quotaUs >= 1000 && j.action.periodUs !== undefined && j.action.quotaUs <= j.action.periodUs));
    const d = p.decisions.find((x) => x.vmUuid === j.vmUuid);
    assert.equal(d?.kind, 'set', `a job only with a 'set' decision (${d?.kind})`);
    assert.equal(d?.inputs['automation'], 'auto');
    const vm = s.vms.find((v) => v.uuid === j.vmUuid);
    assert.ok(vm?.cpuTune, 'no job without a collected tune');
  }
}

/** Admitted reservations fit every set checked, and the planned weights hold each of them. */
function checkReservations(s: ClusterSnapshot, a: CpuEntitlementArgs, p: CpuPlan): number {
  let held = 0;
  for (const h of s.hosts) {
    const headroom = withOverrides(a.host, a.hosts[h.hostId]).headroomPercent;
    const decisions = p.decisions.filter((d) => d.hostId === h.hostId);
    const admitted = decisions.filter((d) => d.inputs['reservationAdmitted'] === true);
    const pcpusOf = (uuid: string | undefined): number[] => {
      const vm = s.vms.find((v) => v.uuid === uuid) as VmView;
      return [...new Set(vm.vcpus.flatMap((c) => c.pcpus))];
    };
    const sets = [Array.from({ length: h.pcpuCount }, (_, i) => i), ...h.numaCells.map((c) => c.cpus), ...admitted.map((d) => pcpusOf(d.vmUuid))];
    for (const set of sets) {
      const sum = admitted.filter((d) => pcpusOf(d.vmUuid).every((x) => set.includes(x))).reduce((acc, d) => acc + (d.inputs['reservedPercent'] as number), 0);
      assert.ok(sum <= set.length * (100 - headroom) + 0.2, `${h.hostId}: reservations ${sum} % over pCPUs ${set.join(',')} (capacity ${set.length * (100 - headroom)})`);
    }
    // the weight each running VM will have once the plan lands: its target, else what it has (or is assumed to have)
    const running = s.vms.filter((v) => v.hostId === h.hostId && (v.state === 'running' || v.state === 'blocked'));
    const weight = (v: VmView): number => {
      const t = decisions.find((d) => d.vmUuid === v.uuid)?.inputs['target'] as { shares: number } | null;
      return t?.shares ?? v.cpuTune?.shares ?? withOverrides(a.host, a.hosts[h.hostId]).assumedShares;
    };
    for (const d of admitted) {
      if (d.kind === 'refused' || !d.inputs['target']) continue;
      const mine = pcpusOf(d.vmUuid);
      const others = running.filter((v) => v.uuid !== d.vmUuid && v.vcpus.some((c) => c.pcpus.some((x) => mine.includes(x))));
      const me = running.find((v) => v.uuid === d.vmUuid) as VmView;
      const got = contendedCpuPercent(weight(me), others.reduce((acc, v) => acc + weight(v), 0), mine.length);
      assert.ok(got >= (d.inputs['reservedPercent'] as number) - 0.1, `${me.name}: holds ${got} % < reserved ${String(d.inputs['reservedPercent'])}`);
      held++;
    }
  }
  return held;
}

test('property: bounds, never half-applied, admitted reservations fit and hold, deterministic', () => {
  let refused = 0;
  let jobs = 0;
  let held = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const { s, a } = randomCase(seed);
    const p = planCpuEntitlement(s, a);
    assert.equal(p.decisions.length, s.vms.length, `seed ${seed}: one decision per VM`);
    for (const d of p.decisions.filter((x) => x.kind === 'refused')) {
      assert.ok(!p.jobs.some((j) => j.vmUuid === d.vmUuid), `seed ${seed}: a refused VM gets no job`);
      refused++;
    }
    checkJobs(s, a, p);
    held += checkReservations(s, a, p);
    assert.deepEqual(planCpuEntitlement(s, a), p, `seed ${seed}: deterministic`);
    jobs += p.jobs.length;
  }
  assert.ok(refused > 20 && jobs > 200 && held > 100, `the cases exercise refusals (${refused}), jobs (${jobs}) and held reservations (${held})`);
});
