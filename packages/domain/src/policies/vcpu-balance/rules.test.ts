// One test per rule of the plan: ownership, holds, automation and groups, NUMA cells, stability, the cap,
// warm-up, pins in flight, stale hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuHost, cpuVm, hostDecision, owned, pinJobRecord, pinLines, pinRecord, run, snap, vmDecision, args, NOW_MS } from './test-kit.js';
import type { VmView } from '../../snapshot.js';

/** The VM with each of its window's samples saying its vCPU waited `wait` % for a pCPU (libvirt's vcpu.N.delay). */
function waiting(v: VmView, wait: number): VmView {
  return { ...v, window: v.window.map((e) => ({ ...e, vcpuWaitPercent: [wait] })) };
}

/** Both heavy vCPUs on pCPU 0, both light on pCPU 1, all pinned by Ballast (heavy1 as told): a swap evens it out. */
function lopsided(o: { heavyAffinity?: number[][]; heavyPins?: ReturnType<typeof pinRecord>[]; holds?: { resource: string; untilMs: number }[]; labels?: Record<string, string> } = {}) {
  const heavy1 = o.heavyAffinity ? { affinity: o.heavyAffinity, pins: o.heavyPins ?? [] } : owned(0);
  return [
    cpuVm('heavy1', { usage: [50], on: [0], ...heavy1, holds: o.holds ?? [], labels: o.labels ?? {} }),
    cpuVm('heavy2', { usage: [50], on: [0], ...owned(0) }),
    cpuVm('light1', { usage: [22], on: [1], ...owned(1) }),
    cpuVm('light2', { usage: [22], on: [1], ...owned(1) }),
  ];
}

test('ownership: a vCPU pinned to a subset of its pCPUs without a record is foreign: the whole VM is left alone, listed unmanaged', () => {
  const vms = lopsided({ heavyAffinity: [[0]] });
  const p = run(snap(vms));
  const d = vmDecision(p, 'heavy1');
  assert.equal(d?.kind, 'unmanaged');
  assert.match(d?.reason ?? '', /pinned by someone else: vCPU 0 on pCPUs 0 .*no matching Ballast pin record/);
  assert.ok(!p.jobs.some((j) => j.vmName === 'heavy1'));
  // the others still balance around it: heavy2 and a light vCPU swap
  assert.deepEqual(pinLines(p), ['heavy2/0→1', 'light1/0→0']);
  // adoptForeignPins takes it over
  const adopted = run(snap(vms), args({ adoptForeignPins: true }));
  assert.equal(vmDecision(adopted, 'heavy1')?.kind, 'pin');
  assert.deepEqual(pinLines(adopted), ['heavy1/0→1', 'light1/0→0']);
});

test("ownership: a pin equal to its record is Ballast's whoever set it; a record that no longer matches makes it foreign", () => {
  for (const by of ['policy:vcpu-balance', 'policy:numa-placement', 'manual']) {
    const p = run(snap(lopsided({ heavyAffinity: [[0]], heavyPins: [pinRecord(0, [0], by)] })));
    assert.deepEqual(pinLines(p), ['heavy1/0→1', 'light1/0→0'], by);
  }
  const moved = run(snap(lopsided({ heavyAffinity: [[0]], heavyPins: [pinRecord(0, [1])] })));
  assert.equal(vmDecision(moved, 'heavy1')?.kind, 'unmanaged');
});

test('ownership: a pin job that succeeded is evidence until the pin record is read back', () => {
  const vms = lopsided({ heavyAffinity: [[0]] });
  const heavy1 = vms[0] as (typeof vms)[number];
  const done = pinJobRecord(heavy1, 0, [0], { state: 'succeeded', inFlight: false, finishedAtMs: NOW_MS - 30_000 });
  assert.deepEqual(pinLines(run(snap(vms, [cpuHost()], [done]))), ['heavy1/0→1', 'light1/0→0']);
  const failed = { ...done, state: 'failed' as const };
  assert.equal(vmDecision(run(snap(vms, [cpuHost()], [failed])), 'heavy1')?.kind, 'unmanaged');
});

test('holds: a manual pin is left alone while its hold lasts, then it is Ballast’s own', () => {
  const manual = { heavyAffinity: [[0]], heavyPins: [pinRecord(0, [0], 'manual')] };
  const held = run(snap(lopsided({ ...manual, holds: [{ resource: 'vcpu-pinning', untilMs: NOW_MS + 60_000 }] })));
  assert.equal(vmDecision(held, 'heavy1')?.kind, 'hold');
  assert.ok(!held.jobs.some((j) => j.vmName === 'heavy1'));
  const after = run(snap(lopsided({ ...manual, holds: [{ resource: 'vcpu-pinning', untilMs: NOW_MS - 1 }] })));
  assert.deepEqual(pinLines(after), ['heavy1/0→1', 'light1/0→0']);
  // a hold on another resource does not matter
  const memory = run(snap(lopsided({ ...manual, holds: [{ resource: 'memory', untilMs: NOW_MS + 60_000 }] })));
  assert.deepEqual(pinLines(memory), ['heavy1/0→1', 'light1/0→0']);
});

test('automation: off leaves the VM alone (unmanaged), recommend decides without jobs; groups match labels', () => {
  const doc = (automation: string) => ({ groups: [{ name: 'rt', match: { labels: { tier: 'rt' } }, automation }] });
  const off = run(snap(lopsided({ labels: { tier: 'rt' } })), args(doc('off')));
  assert.equal(vmDecision(off, 'heavy1')?.kind, 'unmanaged');
  assert.deepEqual(vmDecision(off, 'heavy1')?.inputs['groups'], ['rt']);
  assert.deepEqual(pinLines(off), ['heavy2/0→1', 'light1/0→0']);
  // everything in recommend: the moves are decided, nothing is sent
  const rec = run(snap(lopsided()), args({ defaults: { automation: 'recommend' } }));
  assert.equal(rec.jobs.length, 0);
  assert.equal(hostDecision(rec).kind, 'recommend');
  assert.match(vmDecision(rec, 'heavy1')?.reason ?? '', /automation recommend: not applied/);
  // the document's labels select groups too
  const byDoc = run(snap(lopsided()), args({ ...doc('off'), labels: { heavy1: { tier: 'rt' } } }));
  assert.equal(vmDecision(byDoc, 'heavy1')?.kind, 'unmanaged');
});

test('NUMA: a VM with a numatune is pinned in its cell; one without stays in the cell most of its vCPUs are on', () => {
  const host = [cpuHost('h1', 4, [[0, 1], [2, 3]])];
  // cell 0 is crowded (pCPU 0: 3 × 30 %), cell 1 has an idle pCPU 3; `t` is tied to cell 0 by its numatune
  const vms = [
    cpuVm('t', { usage: [30], on: [0], hostPcpus: 4, numaNodeset: [0], affinity: [[0, 1]] }),
    cpuVm('u', { usage: [30], on: [0], hostPcpus: 4 }),
    cpuVm('w', { usage: [30], on: [0], hostPcpus: 4 }),
    cpuVm('z', { usage: [40], on: [2], hostPcpus: 4 }),
  ];
  const p = run(snap(vms, host));
  for (const j of p.jobs) {
    assert.equal(j.action.type, 'pin-vcpu');
    const cell = j.vmName === 'z' ? [2, 3] : [0, 1]; // t by its numatune, u and w where they run (cell 0), z in cell 1
    if (j.action.type === 'pin-vcpu') assert.ok(j.action.pcpus.every((c) => cell.includes(c)), `${j.vmName} left its cell: ${j.action.pcpus}`);
  }
  assert.equal(hostDecision(p).kind, 'rebalanced');
  // all four are unpinned and the kernel piled three of them onto pCPU 0: each is pinned, inside its cell
  assert.deepEqual(pinLines(p), ['t/0→0', 'u/0→1', 'w/0→0', 'z/0→2']);
  assert.match(String(vmDecision(run(snap(vms, host)), 't')?.inputs['cell'] ?? 'numatune'), /numatune|cell 0/);
  // pinned by Ballast where they are, the same host needs one move: one of the three to pCPU 1
  const pinned = vms.map((v) => cpuVm(v.name, { usage: [v.vcpus[0]?.usagePercent ?? 0], on: [v.vcpus[0]?.currentPcpu ?? 0], hostPcpus: 4, ...owned(v.vcpus[0]?.currentPcpu ?? 0), ...(v.name === 't' ? { numaNodeset: [0] } : {}) }));
  const q = run(snap(pinned, host));
  assert.equal(q.jobs.length, 1, 'one of the three moves to pCPU 1; within cell 0 that is the best');
  for (const j of q.jobs) if (j.action.type === 'pin-vcpu') assert.deepEqual(j.action.pcpus, [1]);
});

test('stability: a move that gains less than minGainPercent is not made', () => {
  // 3 vCPUs: 40+12 on pCPU 0, 40 on pCPU 1 → spread 6; moving the 12 % one gives 40/52: spread 6 again
  const vms = [cpuVm('a', { usage: [40], on: [0], ...owned(0) }), cpuVm('b', { usage: [12], on: [0], ...owned(0) }), cpuVm('c', { usage: [40], on: [1], ...owned(1) })];
  const p = run(snap(vms));
  assert.deepEqual(pinLines(p), []);
  assert.equal(hostDecision(p).kind, 'unbalanced');
  // 30+30 vs 22+20 → spread 9; swapping a 30 % and a 22 % vCPU gives 52/50 (−89 %): not enough for 90 %
  const small = [
    cpuVm('a', { usage: [30, 30], on: [0, 0], affinity: [[0], [0]], pins: [pinRecord(0, [0]), pinRecord(1, [0])] }),
    cpuVm('b', { usage: [22, 20], on: [1, 1], affinity: [[1], [1]], pins: [pinRecord(0, [1]), pinRecord(1, [1])] }),
  ];
  const q = run(snap(small), args({ host: { minGainPercent: 90 } }));
  assert.equal(hostDecision(q).kind, 'skipped-for-stability');
  assert.match(hostDecision(q).reason, /gains only 88.9 % \(< minGainPercent 90\)/);
  assert.equal(q.jobs.length, 0);
  assert.deepEqual(pinLines(run(snap(small))), ['a/0→1', 'b/0→0']);
});

test('the cap: at most maxPinChangesPerCycle pin jobs per host per cycle (a swap counts two)', () => {
  const vms = Array.from({ length: 8 }, (_, i) => cpuVm(`v${i}`, { usage: [40], on: [0], affinity: [[0]], pins: [pinRecord(0, [0])], hostPcpus: 8 }));
  const host = [cpuHost('h1', 8)];
  assert.equal(run(snap(vms, host)).jobs.length, 4);
  assert.equal(run(snap(vms, host), args({ host: { maxPinChangesPerCycle: 1 } })).jobs.length, 1);
  assert.equal(run(snap(vms, host), args({ hosts: { h1: { maxPinChangesPerCycle: 7 } } })).jobs.length, 7);
  // a swap needs two: with a cap of 1 the lopsided host gets the best single move instead
  assert.deepEqual(pinLines(run(snap(lopsided()), args({ host: { maxPinChangesPerCycle: 1 } }))), ['heavy1/0→1']);
});

test('pins in flight count as done and are not planned again; a set-numa in flight holds the VM', () => {
  const vms = lopsided();
  const [heavy1, , light1] = vms;
  if (!heavy1 || !light1) throw new Error('setup');
  const inFlight = [pinJobRecord(heavy1, 0, [1]), pinJobRecord(light1, 0, [0])];
  const p = run(snap(vms, [cpuHost()], inFlight));
  assert.deepEqual(pinLines(p), []);
  assert.equal(hostDecision(p).kind, 'balanced');
  assert.equal(hostDecision(p).inputs['pinsInFlight'], 2);
  const numa = { ...pinJobRecord(heavy1, 0, [1]), action: { type: 'set-numa' as const, cell: 0 }, key: `${heavy1.uuid}/numa` };
  assert.equal(vmDecision(run(snap(vms, [cpuHost()], [numa])), 'heavy1')?.kind, 'hold');
});

test('warm-up, stopped VMs, unread affinity and stale hosts: left alone, with the reason', () => {
  const fresh = cpuVm('fresh', { usage: [50], on: [0], samples: 2, ...owned(0) });
  const p = run(snap([fresh, ...lopsided().slice(1)]));
  assert.equal(vmDecision(p, 'fresh')?.kind, 'warmup');
  const paused = run(snap([cpuVm('p', { usage: [0], on: [0], state: 'paused' })]));
  assert.match(vmDecision(paused, 'p')?.reason ?? '', /VM is paused/);
  const unread = run(snap([cpuVm('u', { usage: [50], on: [0], affinity: [[]] }), ...lopsided().slice(1)]));
  assert.match(vmDecision(unread, 'u')?.reason ?? '', /affinity is not read yet/);
  const stale = run(snap(lopsided(), [cpuHost('h1', 2, undefined, { stale: true })]));
  assert.equal(hostDecision(stale).kind, 'stale');
  assert.equal(stale.jobs.length, 0);
  const missing = run(snap(lopsided(), []));
  assert.equal(hostDecision(missing).kind, 'stale');
});

test('decisions: one per host with the spread, loads and moves; a pin decision per VM that moves, linked to its jobs', () => {
  const p = run(snap(lopsided()));
  const d = hostDecision(p);
  assert.equal(d.kind, 'rebalanced');
  assert.deepEqual(d.inputs['pcpuLoadPercent'], [100, 44]);
  assert.deepEqual(d.inputs['pcpuLoadAfterPercent'], [72, 72]);
  assert.deepEqual(d.inputs['moves'], [
    { vm: 'heavy1', vmUuid: 'uuid-heavy1', vcpu: 0, usagePercent: 50, from: '0', to: 1 },
    { vm: 'light1', vmUuid: 'uuid-light1', vcpu: 0, usagePercent: 22, from: '1', to: 0 },
  ]);
  assert.equal(vmDecision(p, 'heavy1')?.kind, 'pin');
  assert.equal(vmDecision(p, 'heavy2'), undefined, 'no decision for a VM the plan does not touch');
  for (const j of p.jobs) assert.equal(j.reason, vmDecision(p, j.vmName ?? '')?.reason);
});

test('dwell: short of urgent, a vCPU Ballast pinned less than minPinDwellMs ago stays; an urgent spread moves it anyway', () => {
  const recent = (on: number) => ({ affinity: [[on]], pins: [{ ...pinRecord(0, [on]), atMs: NOW_MS - 30_000 }] });
  // steady lopsidedness (spread 14): heavy1+heavy2 vs light1+light2, all pinned 30 s ago
  const vms = [
    cpuVm('heavy1', { usage: [50], on: [0], ...recent(0) }),
    cpuVm('heavy2', { usage: [22], on: [0], ...recent(0) }),
    cpuVm('light1', { usage: [22], on: [1], ...recent(1) }),
    cpuVm('light2', { usage: [22], on: [1], ...recent(1) }),
  ];
  const steady = run(snap(vms));
  assert.deepEqual(pinLines(steady), []);
  assert.equal(hostDecision(steady).kind, 'unbalanced');
  assert.match(hostDecision(steady).reason, /pinned less than minPinDwellMs \(120000 ms\) ago/);
  assert.deepEqual(pinLines(run(snap(vms), args({ host: { minPinDwellMs: 10_000 } }))).length > 0, true, 'older than the dwell: moved');
  // everything on pCPU 0 (spread 50): urgent, moved whatever the dwell
  const piled = ['a', 'b', 'c', 'd'].map((n) => cpuVm(n, { usage: [25], on: [0], ...recent(0) }));
  assert.equal(run(snap(piled)).jobs.length, 2);
});

test('demand: a vCPU counts what it wanted (usage + run-queue wait), so squeezed guests are not mistaken for light ones', () => {
  // equal guests, but the two on pCPU 1 were squeezed by the host's own processes: they waited for what they did not get
  const squeezed = (name: string, on: number, usage: number, wait: number) => waiting(cpuVm(name, { usage: [usage], on: [on], ...owned(on) }), wait);
  const vms = [squeezed('a', 0, 40, 0), squeezed('b', 0, 40, 0), squeezed('c', 1, 25, 15), squeezed('d', 1, 25, 15)];
  const p = run(snap(vms));
  assert.deepEqual(pinLines(p), []);
  assert.equal(hostDecision(p).kind, 'balanced');
  // without the wait figures the same usage looks lopsided (80 vs 50) and a move is planned
  const usageOnly = vms.map((v) => ({ ...v, window: v.window.map(({ vcpuWaitPercent: _w, ...e }) => e) }));
  assert.ok(run(snap(usageOnly)).jobs.length > 0);
});

test('urgent needs usage far apart too: a burst of wait on one shared pCPU does not swap equal guests pinned lately', () => {
  const recent = (on: number) => ({ affinity: [[on]], pins: [{ ...pinRecord(0, [on]), atMs: NOW_MS - 8_000 }] });
  const withWait = (name: string, on: number, wait: number) => waiting(cpuVm(name, { usage: [40], on: [on], ...recent(on) }), wait);
  // equal usage (80 per pCPU); the pair on pCPU 0 happened to collide: demand 150 vs 84 (short spread 33)
  const vms = [withWait('a', 0, 35), withWait('b', 0, 35), withWait('c', 1, 2), withWait('d', 1, 2)];
  const p = run(snap(vms));
  assert.deepEqual(pinLines(p), []);
  const { shortStdDevPercent: demand, shortUsageStdDevPercent: usage } = hostDecision(p).inputs as { shortStdDevPercent: number; shortUsageStdDevPercent: number };
  assert.ok(demand > 20 && usage < 20, `short spread of demand ${demand}, of usage ${usage}`);
  assert.notEqual(hostDecision(p).kind, 'rebalanced');
  // usage far apart as well (everything on pCPU 0): urgent, moved whatever the dwell
  const piled = ['a', 'b', 'c', 'd'].map((n) => withWait(n, 0, 35));
  assert.equal(run(snap(piled)).jobs.length, 2);
});

test('steady needs usage apart too: equal guests whose pCPU 0 makes them wait (host processes) are not swapped', () => {
  const withWait = (name: string, on: number, wait: number) => waiting(cpuVm(name, { usage: [40], on: [on], ...owned(on) }), wait);
  // as on a busy CI host: the pair on pCPU 0 waits ~25 points each, the pair on pCPU 1 hardly (demand 130 vs 84)
  const vms = [withWait('a', 0, 25), withWait('b', 0, 24), withWait('c', 1, 2), withWait('d', 1, 1)];
  const p = run(snap(vms));
  assert.deepEqual(pinLines(p), []);
  const { steadyStdDevPercent: demand, steadyUsageStdDevPercent: usage } = hostDecision(p).inputs as { steadyStdDevPercent: number; steadyUsageStdDevPercent: number };
  assert.ok(demand > 5 && usage < 5, `steady spread of demand ${demand}, of usage ${usage}`);
  assert.equal(hostDecision(p).kind, 'balanced');
  // usage apart as well: a move is planned
  const lopsided = [withWait('a', 0, 25), cpuVm('b', { usage: [40], on: [0], ...owned(0) }), cpuVm('c', { usage: [10], on: [1], ...owned(1) })];
  assert.ok(run(snap(lopsided)).jobs.length > 0);
});
