// The rule with numa-placement (order 300, before this policy): a VM it names in its `numa-placement/placed`
// signal this cycle is held; every other VM is pinned only inside the cell of its numatune.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterSnapshot, HostView, VmView } from '../../snapshot.js';
import * as cpuSnapshots from '../cpu-test-snapshots.js';
import { defaultNumaPlacementArgs } from '../numa-placement/args.js';
import { numaPlaced, type NumaPlaced } from '../numa-placement/placed-signal.js';
import { planNumaPlacement } from '../numa-placement/plan.js';
import { cpuHost, cpuVm, hostDecision, owned, pinLines, run, snap, vmDecision } from './test-kit.js';

/** Both heavy vCPUs on pCPU 0, both light on pCPU 1, pinned there by Ballast: a swap evens it out (as in rules.test.ts). */
function lopsided(): VmView[] {
  return [
    cpuVm('heavy1', { usage: [50], on: [0], ...owned(0) }),
    cpuVm('heavy2', { usage: [50], on: [0], ...owned(0) }),
    cpuVm('light1', { usage: [22], on: [1], ...owned(1) }),
    cpuVm('light2', { usage: [22], on: [1], ...owned(1) }),
  ];
}

function placedEntry(vm: VmView, cell: number, pcpus: number[], state: NumaPlaced['state'] = 'planned'): NumaPlaced {
  return { hostId: vm.hostId, vmUuid: vm.uuid, vmName: vm.name, cell, pcpus, state };
}

function withPlaced(vms: VmView[], placed: NumaPlaced[], hosts: HostView[] = [cpuHost()]): ClusterSnapshot {
  return { ...snap(vms, hosts), signals: { [numaPlaced.name]: placed } };
}

test('numa-placement rule: a VM placed this cycle (or whose placement is in flight) is held, the others balance around it', () => {
  const vms = lopsided();
  const heavy1 = vms[0] as VmView;
  assert.deepEqual(pinLines(run(snap(vms))), ['heavy1/0→1', 'light1/0→0'], 'without the signal heavy1 moves');
  for (const state of ['planned', 'in-flight'] as const) {
    const p = run(withPlaced(vms, [placedEntry(heavy1, 0, [0, 1], state)]));
    const d = vmDecision(p, 'heavy1');
    assert.equal(d?.kind, 'hold', state);
    assert.equal(d?.reason, 'placed on NUMA cell 0 by numa-placement this cycle');
    assert.ok(!p.jobs.some((j) => j.vmUuid === heavy1.uuid), `${state}: no pin-vcpu job for a VM numa-placement placed`);
    // its load still counts where it is: heavy2 and a light vCPU swap instead
    assert.deepEqual(pinLines(p), ['heavy2/0→1', 'light1/0→0'], state);
    assert.equal(hostDecision(p).inputs['vmsLeftAlone'], 1);
  }
});

test('numa-placement rule: the cell in the reason is the signal’s; entries of other VMs or hosts, or an empty signal, change nothing', () => {
  const host = [cpuHost('h1', 4, [[0, 1], [2, 3]])];
  const vms = [cpuVm('a', { usage: [60, 60], on: [2, 2], hostPcpus: 4 }), cpuVm('b', { usage: [10], on: [0], hostPcpus: 4 })];
  const a = vms[0] as VmView;
  assert.equal(vmDecision(run(withPlaced(vms, [placedEntry(a, 1, [2, 3])], host)), 'a')?.reason, 'placed on NUMA cell 1 by numa-placement this cycle');
  const plain = run(snap(vms, host));
  // both unpinned, a's two vCPUs piled on pCPU 2: each vCPU pinned, a's inside cell 1
  assert.deepEqual(pinLines(plain), ['a/0→2', 'a/1→3', 'b/0→0']);
  assert.deepEqual(run(withPlaced(vms, [], host)), plain);
  assert.deepEqual(run(withPlaced(vms, [{ ...placedEntry(a, 1, [2, 3]), hostId: 'h2' }], host)), plain, 'an entry of another host');
  assert.deepEqual(run(withPlaced(vms, [{ ...placedEntry(a, 1, [2, 3]), vmUuid: 'uuid-other', vmName: 'other' }], host)), plain, 'an entry of another VM');
});

test('numatune: a VM tied to one cell is pinned only to that cell’s pCPUs, even where its own cell would be better', () => {
  // two cells; both vCPUs of `t` run on pCPU 0 (cell 0); its numatune ties it to cell 1 (memory only, so
  // its vCPUs may run anywhere until pinned). Without the numatune, pCPU 1 (cell 0) would take one vCPU.
  const host = [cpuHost('h1', 4, [[0, 1], [2, 3]])];
  const t = (numaNodeset?: number[]) => cpuVm('t', { usage: [40, 40], on: [0, 0], hostPcpus: 4, ...(numaNodeset ? { numaNodeset } : {}) });
  assert.deepEqual(pinLines(run(snap([t()], host))), ['t/0→0', 't/1→1'], 'no numatune: pinned in cell 0, where its vCPUs are');
  const p = run(snap([t([1])], host));
  assert.ok(p.jobs.length > 0, 'moved into its cell');
  for (const j of p.jobs) if (j.action.type === 'pin-vcpu') assert.ok(j.action.pcpus.every((c) => c === 2 || c === 3), `t pinned outside cell 1: ${j.action.pcpus}`);
  assert.match(String(vmDecision(p, 't')?.inputs['cell']), /numatune: cell 1; balanced in cell 1/);
  assert.equal(vmDecision(p, 't')?.inputs['allowedPcpus'], '2-3');
});

test('numa-placement then vcpu-balance in one cycle: the VM numa-placement places is held with the cell of its signal', () => {
  // cell 0 (pCPUs 0-3) busy, cell 1 (4-7) idle; `a` (no numatune nodeset) runs both its vCPUs on pCPU 0, unpinned
  const host = cpuSnapshots.cpuHost('h1', { pcpus: 8, cells: 2, usage: [70, 70, 70, 70, 0, 0, 0, 0] });
  const a = cpuSnapshots.cpuVm('a', { vcpus: 2, usage: 50, pcpus: [0, 1, 2, 3, 4, 5, 6, 7], currentPcpu: [0, 0] });
  const s = cpuSnapshots.cpuSnap([a], [host]);
  assert.equal(vmDecision(run(s), 'a')?.kind, 'pin', 'alone, vcpu-balance would pin it');
  const numa = planNumaPlacement(s, defaultNumaPlacementArgs());
  assert.deepEqual(numa.jobs.map((j) => [j.vmName, j.action.type === 'set-numa' ? j.action.cell : -1]), [['a', 1]]);
  const signals = Object.fromEntries((numa.signals ?? []).map((x) => [x.name, x.value]));
  const p = run({ ...s, signals });
  assert.equal(vmDecision(p, 'a')?.kind, 'hold');
  assert.equal(vmDecision(p, 'a')?.reason, 'placed on NUMA cell 1 by numa-placement this cycle');
  assert.deepEqual(p.jobs, []);
});
