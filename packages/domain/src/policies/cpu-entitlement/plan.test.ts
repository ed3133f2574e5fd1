import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlannedJob } from '../../snapshot.js';
import { builtinPolicies } from '../registry.js';
import { cpuHost, cpuSnap, cpuVm, jobOf, NOW_MS } from '../cpu-test-snapshots.js';
import { defaultCpuEntitlementArgs, type CpuEntitlementArgs } from './args.js';
import { cpuEntitlementPolicy } from './index.js';
import { cpuTuneInFlightRule } from './in-flight.js';
import { planCpuEntitlement, type CpuPlan } from './plan.js';
import { validateCpuEntitlementArgs } from './validate.js';

function args(doc: unknown = {}): CpuEntitlementArgs {
  const v = validateCpuEntitlementArgs(doc);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.args;
}
const job = (p: CpuPlan, name: string): PlannedJob['action'] | undefined => p.jobs.find((j) => j.vmName === name)?.action;
const decision = (p: CpuPlan, name: string) => {
  const d = p.decisions.find((x) => x.vmUuid === `uuid-${name}`);
  assert.ok(d, `no decision for ${name}`);
  return d;
};

test('validate: an empty document gets every default; issues name their field', () => {
  assert.deepEqual(args(), defaultCpuEntitlementArgs());
  assert.equal(cpuEntitlementPolicy.order, 200);
  assert.ok(builtinPolicies().names().includes('cpu-entitlement'));
  const cases: [unknown, string][] = [
    [{ defaults: { shares: 'gold' } }, 'defaults.shares'],
    [{ defaults: { shares: -3 } }, 'defaults.shares'],
    [{ defaults: { reservationPercent: 101 } }, 'defaults.reservationPercent'],
    [{ defaults: { limitPercent: 0 } }, 'defaults.limitPercent'],
    [{ defaults: { reservationPercent: 60, limitPercent: 50 } }, 'defaults.reservationPercent'],
    [{ defaults: { periodUs: 999 } }, 'defaults.periodUs'],
    [{ defaults: { limitPercent: 1, periodUs: 50_000 } }, 'defaults.limitPercent'],
    [{ groups: [{ match: { names: ['a'] }, limitPercent: 20 }, { match: { names: ['b'] }, reservationPercent: 40, limitPercent: 30 }] }, 'groups[1].reservationPercent'],
    [{ groups: [{ shares: 'high' }] }, 'groups[0].match'],
    [{ host: { headroomPercent: 100 } }, 'host.headroomPercent'],
    [{ hosts: { h2: { maxShares: 1 } } }, 'hosts.h2.maxShares'],
    [{ control: { sharesTolerancePercent: -1 } }, 'control.sharesTolerancePercent'],
    [{ defaults: { automation: 'yes' } }, 'defaults.automation'],
    [{ nope: 1 }, 'nope'],
  ];
  for (const [doc, field] of cases) {
    const v = validateCpuEntitlementArgs(doc);
    assert.equal(v.ok, false, JSON.stringify(doc));
    if (!v.ok) assert.ok(v.issues.some((i) => i.field === field), `${JSON.stringify(doc)} → ${JSON.stringify(v.issues)}`);
  }
  // every issue of a document at once
  const v = validateCpuEntitlementArgs({ defaults: { shares: 'gold', periodUs: 1 }, host: { maxShares: 0 } });
  assert.ok(!v.ok && v.issues.length === 3, JSON.stringify(v));
});

test('shares, limit and period map to cpu_shares and vcpu_quota/vcpu_period; groups and labels select them', () => {
  const a = args({
    groups: [
      { name: 'gold', match: { labels: { tier: 'gold' } }, shares: 'high' },
      { match: { names: ['batch'] }, shares: 'low', limitPercent: 50 },
      { match: { names: ['slow'] }, shares: 300, limitPercent: 20, periodUs: 50_000 },
    ],
  });
  const vms = [
    cpuVm('db', { vcpus: 2, labels: { tier: 'gold' } }),
    cpuVm('batch', { vcpus: 4 }),
    cpuVm('slow', { vcpus: 1 }),
    cpuVm('web', { vcpus: 2 }),
  ];
  const p = planCpuEntitlement(cpuSnap(vms, [cpuHost('h1', { pcpus: 8 })]), a);
  assert.deepEqual(job(p, 'db'), { type: 'set-cpu-tune', shares: 4000, quotaUs: -1 });
  assert.deepEqual(job(p, 'batch'), { type: 'set-cpu-tune', shares: 2000, quotaUs: 50_000, periodUs: 100_000 });
  assert.deepEqual(job(p, 'slow'), { type: 'set-cpu-tune', shares: 300, quotaUs: 10_000, periodUs: 50_000 });
  assert.deepEqual(job(p, 'web'), { type: 'set-cpu-tune', shares: 2000, quotaUs: -1 });
  assert.deepEqual(decision(p, 'db').inputs['groups'], ['gold']);
  assert.equal(decision(p, 'batch').kind, 'set');
  assert.match(decision(p, 'batch').reason, /cpu_shares 1024 → 2000, cap unlimited → 50 %/);
});

test('2:1 split: high and normal VMs on one pCPU get cpu_shares 2000 and 1000, two thirds and one third', () => {
  const a = args({ groups: [{ match: { names: ['hi'] }, shares: 'high' }] });
  const vms = [cpuVm('hi', { pcpus: [0] }), cpuVm('no', { pcpus: [0] })];
  const p = planCpuEntitlement(cpuSnap(vms, [cpuHost('h1', { pcpus: 1 })]), a);
  assert.deepEqual([job(p, 'hi'), job(p, 'no')].map((j) => (j?.type === 'set-cpu-tune' ? j.shares : 0)), [2000, 1000]);
  assert.equal(decision(p, 'hi').inputs['contendedPercent'], 66.7);
  assert.equal(decision(p, 'no').inputs['contendedPercent'], 33.3);
});

test('a reservation raises cpu_shares until it holds under full contention (proportional, not a floor)', () => {
  // 2 pCPUs, three 1-vCPU VMs at normal shares; r wants 80 % of a pCPU: w / (w + 2000) · 200 ≥ 80 → w ≥ 1334
  const a = args({ groups: [{ match: { names: ['r'] }, reservationPercent: 80 }] });
  const vms = [cpuVm('a', { pcpus: [0, 1] }), cpuVm('b', { pcpus: [0, 1] }), cpuVm('r', { pcpus: [0, 1] })];
  const p = planCpuEntitlement(cpuSnap(vms, [cpuHost('h1', { pcpus: 2 })]), a);
  assert.deepEqual(job(p, 'r'), { type: 'set-cpu-tune', shares: 1334, quotaUs: -1 });
  assert.equal(decision(p, 'r').inputs['reservationAdmitted'], true);
  assert.ok((decision(p, 'r').inputs['contendedPercent'] as number) >= 80);
  assert.match(decision(p, 'r').reason, /reservation 80 % held proportionally/);
  // a reservation below what the shares give already changes nothing
  const low = planCpuEntitlement(cpuSnap(vms, [cpuHost('h1', { pcpus: 2 })]), args({ defaults: { reservationPercent: 50 } }));
  assert.deepEqual(low.jobs.map((j) => (j.action.type === 'set-cpu-tune' ? j.action.shares : 0)), [1000, 1000, 1000]);
});

test('admission: a reservation the host cannot hold is refused, and that VM gets no job at all', () => {
  // 2 pCPUs, headroom 10 %: 180 % for reservations. Smallest first: c 50, b 60 (110), then a 100 does not fit.
  const a = args({
    groups: [
      { match: { names: ['a'] }, reservationPercent: 100, limitPercent: 100 },
      { match: { names: ['b'] }, reservationPercent: 60, shares: 'high' },
      { match: { names: ['c'] }, reservationPercent: 50 },
    ],
  });
  const vms = ['a', 'b', 'c'].map((n) => cpuVm(n, { pcpus: [0, 1] }));
  const p = planCpuEntitlement(cpuSnap(vms, [cpuHost('h1', { pcpus: 2 })]), a);
  assert.equal(decision(p, 'a').kind, 'refused');
  assert.match(decision(p, 'a').reason, /reservation 100 % of a pCPU does not fit the host's 2 pCPU\(s\): 110 % of its 180 %/);
  assert.match(decision(p, 'a').reason, /no job: its cpu tune stays as it is/);
  assert.equal(job(p, 'a'), undefined, 'nothing of a refused VM is applied (not even its shares)');
  assert.deepEqual(job(p, 'b'), { type: 'set-cpu-tune', shares: 2000, quotaUs: -1 });
  assert.equal(decision(p, 'c').kind, 'at-target', 'c holds 50 % with 1008 shares: its 1024 is within the tolerance');
  // the one already holding its reservation (the incumbent) keeps it: a newcomer is refused instead
  const held = ['a', 'b', 'c'].map((n) => cpuVm(n, { pcpus: [0, 1], cpuTune: n === 'a' ? { shares: 50_000, quotaUs: -1, periodUs: 100_000 } : undefined }));
  const q = planCpuEntitlement(cpuSnap(held, [cpuHost('h1', { pcpus: 2 })]), a);
  assert.equal(decision(q, 'a').kind, 'set');
  assert.equal(decision(q, 'b').kind, 'refused');
  assert.equal(decision(q, 'c').inputs['reservationAdmitted'], true);
});

test('admission per NUMA cell and per affinity: reservations confined to a cell must fit that cell', () => {
  // 2 cells of 2 pCPUs; x and y pinned to cell 0 reserve 100 % each: 200 > 180 on cell 0; z on cell 1 fits
  const a = args({ defaults: { reservationPercent: 100 } });
  const vms = [cpuVm('x', { pcpus: [0, 1] }), cpuVm('y', { pcpus: [0, 1] }), cpuVm('z', { pcpus: [2, 3] })];
  const p = planCpuEntitlement(cpuSnap(vms, [cpuHost('h1', { pcpus: 4, cells: 2 })]), a);
  assert.equal(decision(p, 'x').inputs['reservationAdmitted'], true);
  assert.equal(decision(p, 'y').kind, 'refused');
  assert.match(decision(p, 'y').reason, /NUMA cell 0 \(pCPUs 0,1\)/);
  assert.equal(decision(p, 'z').inputs['reservationAdmitted'], true);
  // one pCPU of affinity holds at most 90 % (headroom 10)
  const one = planCpuEntitlement(cpuSnap([cpuVm('p', { pcpus: [3] })], [cpuHost('h1', { pcpus: 4 })]), a);
  assert.equal(decision(one, 'p').kind, 'refused');
  assert.match(decision(one, 'p').reason, /pCPUs 3 \(where p may run\)/);
});

test('a reservation whose weight would pass maxShares is refused by the sizing', () => {
  const a = args({ groups: [{ match: { names: ['r'] }, reservationPercent: 90 }], host: { headroomPercent: 0, maxShares: 5000 } });
  const vms = [cpuVm('o', { pcpus: [0] }), cpuVm('r', { pcpus: [0] })];
  const p = planCpuEntitlement(cpuSnap(vms, [cpuHost('h1', { pcpus: 1 })]), a);
  assert.equal(decision(p, 'r').kind, 'refused');
  assert.match(decision(p, 'r').reason, /needs cpu_shares 9000, above this host's maxShares 5000/);
  assert.equal(job(p, 'r'), undefined);
  assert.deepEqual(job(p, 'o'), { type: 'set-cpu-tune', shares: 1000, quotaUs: -1 });
});

test('no job when the collected tune equals the target (within the tolerance), or is not collected', () => {
  const at = { shares: 1000, quotaUs: -1, periodUs: 100_000 };
  const p = planCpuEntitlement(cpuSnap([cpuVm('a', { cpuTune: at }), cpuVm('b', { cpuTune: { ...at, shares: 1015, quotaUs: 0 } })]), args());
  assert.deepEqual(p.jobs, []);
  assert.equal(decision(p, 'a').kind, 'at-target');
  assert.equal(decision(p, 'b').kind, 'at-target');
  // a cap within the limit tolerance (50.5 % for 50 %) is there; the same cap with another period is not
  const capped = args({ defaults: { limitPercent: 50 } });
  assert.equal(planCpuEntitlement(cpuSnap([cpuVm('c', { cpuTune: { shares: 1000, quotaUs: 50_500, periodUs: 100_000 } })]), capped).jobs.length, 0);
  assert.equal(planCpuEntitlement(cpuSnap([cpuVm('c', { cpuTune: { shares: 1000, quotaUs: 25_000, periodUs: 50_000 } })]), capped).jobs.length, 1);
  // a cap set by hand is removed when the document gives none (the document is the VM's tune)
  const lifted = planCpuEntitlement(cpuSnap([cpuVm('d', { cpuTune: { shares: 1000, quotaUs: 20_000, periodUs: 100_000 } })]), args());
  assert.deepEqual(job(lifted, 'd'), { type: 'set-cpu-tune', shares: 1000, quotaUs: -1 });
  const unknown = planCpuEntitlement(cpuSnap([cpuVm('e', { cpuTune: null })]), args());
  assert.deepEqual(unknown.jobs, []);
  assert.equal(decision(unknown, 'e').kind, 'not-collected');
  assert.match(decision(unknown, 'e').reason, /not collected yet/);
});

test('a tune in flight is not sent again; the in-flight rule settles when the collected tune shows it', () => {
  const v = cpuVm('a');
  const target = { type: 'set-cpu-tune' as const, shares: 1000, quotaUs: -1 };
  const p = planCpuEntitlement(cpuSnap([v], [cpuHost()], { jobs: [jobOf(v, target, { policy: 'cpu-entitlement' })] }), args());
  assert.deepEqual(p.jobs, []);
  assert.equal(decision(p, 'a').kind, 'in-flight');
  // a job in flight to another target is replaced
  const other = planCpuEntitlement(cpuSnap([v], [cpuHost()], { jobs: [jobOf(v, { ...target, shares: 3000 })] }), args());
  assert.deepEqual(job(other, 'a'), target);
  const s = cpuSnap([v]);
  const rec = jobOf(v, target, { state: 'succeeded' });
  assert.equal(cpuTuneInFlightRule.settled(rec, s), false);
  assert.equal(cpuTuneInFlightRule.settled(rec, cpuSnap([cpuVm('a', { cpuTune: { shares: 1000, quotaUs: 0, periodUs: 100_000 } })])), true);
});

test('automation: recommend decides without a job, off leaves the VM unmanaged; holds and stale hosts too', () => {
  const a = args({ groups: [{ match: { names: ['r'] }, automation: 'recommend' }, { match: { names: ['o'] }, automation: 'off' }] });
  const held = cpuVm('h', { holds: [{ resource: 'cpu-tune', untilMs: NOW_MS + 1000 }] });
  const p = planCpuEntitlement(cpuSnap([cpuVm('r'), cpuVm('o'), held, cpuVm('s', { state: 'shutoff' })]), a);
  assert.deepEqual(p.jobs, []);
  assert.equal(decision(p, 'r').kind, 'set');
  assert.match(decision(p, 'r').reason, /automation recommend: not applied/);
  assert.equal(decision(p, 'o').kind, 'unmanaged');
  assert.equal(decision(p, 'h').kind, 'hold');
  assert.match(decision(p, 's').reason, /VM is shutoff/);
  const stale = planCpuEntitlement(cpuSnap([cpuVm('x')], [cpuHost('h1', { stale: true })]), args());
  assert.equal(decision(stale, 'x').kind, 'stale');
  assert.deepEqual(stale.jobs, []);
});

test('emulatorFollowsVcpus: the emulator threads go where the vCPUs may run; left alone when off or not collected', () => {
  const tune = (emulatorPcpus: number[], shares = 1000) => ({ shares, quotaUs: -1, periodUs: 100_000, emulatorPcpus });
  const host = [cpuHost('h1', { pcpus: 4 })];
  const vms = [
    cpuVm('pinned', { vcpus: 2, pcpus: [[1], [3]], cpuTune: tune([0, 1, 2, 3]) }), // floating emulator, pinned vCPUs
    cpuVm('there', { pcpus: [2], cpuTune: tune([2]) }), // already follows: nothing to do
    cpuVm('free', { pcpus: [0, 1, 2, 3], cpuTune: tune([1]) }), // vCPUs unpinned again: the emulator is let out too
    cpuVm('unknown', { pcpus: [1] }), // the driver reports no emulator pin: left alone
  ];
  const p = planCpuEntitlement(cpuSnap(vms, host), args());
  assert.deepEqual(job(p, 'pinned'), { type: 'set-cpu-tune', shares: 2000, quotaUs: -1, emulatorPcpus: [1, 3] });
  assert.match(decision(p, 'pinned').reason, /emulator threads on pCPUs 0-3 → 1,3/);
  assert.equal(job(p, 'there'), undefined);
  assert.equal(decision(p, 'there').kind, 'at-target');
  assert.deepEqual(job(p, 'free'), { type: 'set-cpu-tune', shares: 1000, quotaUs: -1, emulatorPcpus: [0, 1, 2, 3] });
  assert.deepEqual(job(p, 'unknown'), { type: 'set-cpu-tune', shares: 1000, quotaUs: -1 });
  // off: the shares alone
  const off = planCpuEntitlement(cpuSnap(vms, host), args({ defaults: { emulatorFollowsVcpus: false } }));
  assert.deepEqual(job(off, 'pinned'), { type: 'set-cpu-tune', shares: 2000, quotaUs: -1 });
  assert.equal(job(off, 'free'), undefined);
  // a job to the same target in flight is not sent again; one without the emulator part is not the same target
  const inFlight = (emulatorPcpus?: number[]) =>
    planCpuEntitlement(cpuSnap(vms, host, { jobs: [jobOf(vms[0]!, { type: 'set-cpu-tune', shares: 2000, quotaUs: -1, ...(emulatorPcpus ? { emulatorPcpus } : {}) })] }), args());
  assert.equal(job(inFlight([1, 3]), 'pinned'), undefined);
  assert.ok(job(inFlight(), 'pinned'));
  const v = validateCpuEntitlementArgs({ defaults: { emulatorFollowsVcpus: 'yes' } });
  assert.ok(!v.ok && v.issues.some((i) => i.field === 'defaults.emulatorFollowsVcpus'), JSON.stringify(v));
});
