// The GT CS6210 vCPU scheduler's scenarios, as snapshots of the plan: its pin jobs, the host's decision
// and its spread before → after (points of pCPU %).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VmView } from '../../snapshot.js';
import type { VcpuBalancePlan } from './plan.js';
import { cpuHost, cpuVm, hostDecision, nextCycle, pinLines, pinRecord, run, snap } from './test-kit.js';

/** What the snapshot tests compare: jobs, kind, spread before → after. */
function shot(p: VcpuBalancePlan): { jobs: string[]; kind: string; spread: string } {
  const d = hostDecision(p);
  return { jobs: pinLines(p), kind: d.kind, spread: `${d.inputs['stdDevPercent']} → ${d.inputs['stdDevAfterPercent']}` };
}

/** Each pCPU's load once the plan's pins landed (pinned vCPUs on their pCPU, the rest where they ran). */
function loadsAfter(vms: VmView[], p: VcpuBalancePlan, pcpus: number): number[] {
  const load = new Array<number>(pcpus).fill(0);
  for (const vm of nextCycle(vms, p, (v, c) => v.vcpus[c]?.usagePercent ?? 0)) {
    for (const c of vm.vcpus) load[c.currentPcpu ?? 0] = (load[c.currentPcpu ?? 0] ?? 0) + c.usagePercent;
  }
  return load;
}

test('GT: balanced equal load → no pin change', () => {
  const pinned = ['a', 'b', 'c', 'd'].map((n, i) => cpuVm(n, { usage: [50], on: [i % 2], affinity: [[i % 2]], pins: [pinRecord(0, [i % 2])] }));
  assert.deepEqual(shot(run(snap(pinned))), { jobs: [], kind: 'balanced', spread: '0 → 0' });
  const unpinned = ['a', 'b', 'c', 'd'].map((n, i) => cpuVm(n, { usage: [50], on: [i % 2] }));
  assert.deepEqual(shot(run(snap(unpinned))), { jobs: [], kind: 'balanced', spread: '0 → 0' });
});

test('GT: every vCPU pinned by Ballast to pCPU 0 with equal load → a pinning with std dev ≤ 5', () => {
  const vms = ['a', 'b', 'c', 'd'].map((n) => cpuVm(n, { usage: [25], on: [0], affinity: [[0]], pins: [pinRecord(0, [0])] }));
  const p = run(snap(vms));
  assert.deepEqual(shot(p), { jobs: ['a/0→1', 'b/0→1'], kind: 'rebalanced', spread: '50 → 0' });
  assert.deepEqual(loadsAfter(vms, p, 2), [50, 50]);
  // the same on 4 pCPUs with 8 vCPUs: the cap (4 pins a cycle) takes two cycles, then nothing more
  let eight = Array.from({ length: 8 }, (_, i) => cpuVm(`v${i}`, { usage: [40], on: [0], affinity: [[0]], pins: [pinRecord(0, [0])], hostPcpus: 4 }));
  const host = [cpuHost('h1', 4)];
  const kinds: string[] = [];
  for (let cycle = 0; cycle < 4; cycle++) {
    const plan = run(snap(eight, host));
    kinds.push(`${hostDecision(plan).kind}:${plan.jobs.length}`);
    eight = nextCycle(eight, plan, () => 40);
  }
  assert.deepEqual(kinds, ['rebalanced:4', 'rebalanced:2', 'balanced:0', 'balanced:0']);
  const final = hostDecision(run(snap(eight, host)));
  assert.ok((final.inputs['stdDevPercent'] as number) <= 5, JSON.stringify(final.inputs['pcpuLoadPercent']));
});

test('GT: two heavy + two light unpinned on 2 pCPUs → one heavy and one light per pCPU', () => {
  // both heavy vCPUs landed on pCPU 0 (each got half of it), the light ones on pCPU 1
  const vms = [
    cpuVm('heavy1', { usage: [50], on: [0] }),
    cpuVm('heavy2', { usage: [50], on: [0] }),
    cpuVm('light1', { usage: [22], on: [1] }),
    cpuVm('light2', { usage: [22], on: [1] }),
  ];
  const p = run(snap(vms));
  // unpinned, the kernel piled them up: all four are pinned at once, largest first onto the least loaded pCPU
  assert.deepEqual(shot(p), { jobs: ['heavy1/0→0', 'heavy2/0→1', 'light1/0→0', 'light2/0→1'], kind: 'rebalanced', spread: '28 → 0' });
  const next = nextCycle(vms, p, (v) => (v.name.startsWith('heavy') ? 65 : 22));
  const where = Object.fromEntries(next.map((v) => [v.name, v.vcpus[0]?.currentPcpu]));
  assert.deepEqual(where, { heavy1: 0, heavy2: 1, light1: 0, light2: 1 });
  // then, pinned and balanced, no more changes
  assert.deepEqual(run(snap(next)).jobs, []);
});

test('GT: more vCPUs than pCPUs (6 on 2) → the best split whole vCPUs allow', () => {
  const vms = [60, 50, 40, 30, 20, 10].map((u, i) => cpuVm(`v${i}`, { usage: [u], on: [0] }));
  const p = run(snap(vms));
  // the four largest first (the cap), over the two small ones still on pCPU 0: 110 / 100, the best whole vCPUs allow
  assert.deepEqual(shot(p), { jobs: ['v0/0→1', 'v1/0→0', 'v2/0→1', 'v3/0→0'], kind: 'rebalanced', spread: '105 → 5' });
  assert.deepEqual(loadsAfter(vms, p, 2), [110, 100]);
  // the two small ones stay unpinned: the measured spread is within the threshold now
  assert.equal(hostDecision(run(snap(nextCycle(vms, p, (v) => v.vcpus[0]?.usagePercent ?? 0)))).kind, 'balanced');
});

test('GT: fewer vCPUs than pCPUs (2 busy on 4) → each on a pCPU of its own, then no more changes', () => {
  const host = [cpuHost('h1', 4)];
  const vms = [cpuVm('x', { usage: [80], on: [0], hostPcpus: 4 }), cpuVm('y', { usage: [80], on: [0], hostPcpus: 4 })];
  const p = run(snap(vms, host));
  assert.deepEqual(shot(p), { jobs: ['x/0→0', 'y/0→1'], kind: 'rebalanced', spread: '69.3 → 40' });
  const next = nextCycle(vms, p, () => 80);
  const again = run(snap(next, host));
  // 80/80/0/0 is as even as two vCPUs on four pCPUs can be: no move lowers it
  assert.deepEqual(shot(again), { jobs: [], kind: 'unbalanced', spread: '40 → 40' });
});

test('GT: an idle host gets no pin change, however its vCPUs sit', () => {
  const vms = ['a', 'b', 'c', 'd'].map((n) => cpuVm(n, { usage: [2], on: [0], affinity: [[0]], pins: [pinRecord(0, [0])] }));
  assert.deepEqual(shot(run(snap(vms))), { jobs: [], kind: 'idle', spread: '4 → 4' });
});
