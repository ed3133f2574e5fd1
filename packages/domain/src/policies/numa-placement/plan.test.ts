import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterSnapshot, VmView } from '../../snapshot.js';
import { readSignal } from '../policy-signals.js';
import { builtinPolicies } from '../registry.js';
import { cpuHost, cpuSnap, cpuVm, jobOf, NOW_MS, type CpuVmOpts } from '../cpu-test-snapshots.js';
import { defaultNumaPlacementArgs, type NumaPlacementArgs } from './args.js';
import { numaPlacementPolicy } from './index.js';
import { numaInFlightRule } from './in-flight.js';
import { numaPlaced } from './placed-signal.js';
import { planNumaPlacement, type NumaPlan } from './plan.js';
import { validateNumaPlacementArgs } from './validate.js';

function args(doc: unknown = {}): NumaPlacementArgs {
  const v = validateNumaPlacementArgs(doc);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.args;
}
const ALL8 = [0, 1, 2, 3, 4, 5, 6, 7];
/** A VM on an 8-pCPU host, anywhere (no numatune, every vCPU on every pCPU). */
const free = (name: string, o: CpuVmOpts = {}): VmView => cpuVm(name, { pcpus: ALL8, ...o });
const two = (o: Parameters<typeof cpuHost>[1] = {}) => cpuHost('h1', { pcpus: 8, cells: 2, ...o });
const kind = (p: NumaPlan, name: string): string | undefined => p.decisions.find((d) => d.vmUuid === `uuid-${name}`)?.kind;
const reason = (p: NumaPlan, name: string): string => p.decisions.find((d) => d.vmUuid === `uuid-${name}`)?.reason ?? '';
const cells = (p: NumaPlan): Record<string, number> => Object.fromEntries(p.jobs.map((j) => [j.vmName, j.action.type === 'set-numa' ? j.action.cell : -1]));

test('validate: defaults and issues naming their field', () => {
  assert.deepEqual(args(), defaultNumaPlacementArgs());
  assert.equal(numaPlacementPolicy.order, 300);
  const order = builtinPolicies().runOrder();
  assert.ok(order.indexOf('memory-balloon') < order.indexOf('cpu-entitlement') && order.indexOf('cpu-entitlement') < order.indexOf('numa-placement'), order.join(', '));
  const cases: [unknown, string][] = [
    [{ defaults: { memoryMode: 'interleave' } }, 'defaults.memoryMode'],
    [{ groups: [{ match: { names: ['a'] }, automation: 'sometimes' }] }, 'groups[0].automation'],
    [{ host: { maxMovesPerCycle: 1.5 } }, 'host.maxMovesPerCycle'],
    [{ hosts: { h2: { cpuHeadroomPercent: 100 } } }, 'hosts.h2.cpuHeadroomPercent'],
    [{ host: { cooldownMs: -1 } }, 'host.cooldownMs'],
    [{ control: { demandSamples: 0 } }, 'control.demandSamples'],
    [{ host: { moves: 1 } }, 'host.moves'],
  ];
  for (const [doc, field] of cases) {
    const v = validateNumaPlacementArgs(doc);
    assert.ok(!v.ok && v.issues.some((i) => i.field === field), `${JSON.stringify(doc)} → ${JSON.stringify(v)}`);
  }
});

test('a one-cell host: nothing to place, said once for the host', () => {
  const p = planNumaPlacement(cpuSnap([cpuVm('a'), cpuVm('b')], [cpuHost('h1', { cells: 1 })]), args());
  assert.deepEqual(p.jobs, []);
  assert.equal(p.decisions.length, 1);
  assert.deepEqual([p.decisions[0]?.kind, p.decisions[0]?.vmUuid, p.decisions[0]?.hostId], ['single-cell', undefined, 'h1']);
  assert.deepEqual(readSignal({ signals: Object.fromEntries((p.signals ?? []).map((s) => [s.name, s.value])) }, numaPlaced), []);
});

test('2 cells: a VM that fits goes to the cell with the most free memory × free CPU, memory and vCPUs', () => {
  // cell 0 busy (4 × 70 %), cell 1 idle; same free memory
  const usage = [70, 70, 70, 70, 0, 0, 0, 0];
  const p = planNumaPlacement(cpuSnap([free('a', { vcpus: 2, usage: 50 })], [two({ usage })]), args());
  assert.deepEqual(p.jobs.map((j) => j.action), [{ type: 'set-numa', cell: 1, memoryMode: 'preferred', pinVcpus: true }]);
  assert.equal(kind(p, 'a'), 'place');
  assert.match(reason(p, 'a'), /place on cell 1 \(4096 MiB × 400 % free: score 1638400\): memory \(preferred\) and 2 vCPU\(s\) on pCPUs 4,5,6,7/);
  const signal = p.signals?.find((s) => s.name === numaPlaced.name)?.value;
  assert.deepEqual(signal, [{ hostId: 'h1', vmUuid: 'uuid-a', vmName: 'a', cell: 1, pcpus: [4, 5, 6, 7], state: 'planned' }]);
  // memoryMode strict by group
  const strict = planNumaPlacement(cpuSnap([free('a')], [two({ usage })]), args({ defaults: { memoryMode: 'strict' } }));
  assert.equal(strict.jobs[0]?.action.type === 'set-numa' && strict.jobs[0].action.memoryMode, 'strict');
});

test('4 cells: the score is free MiB × free CPU %, ties to the lower cell', () => {
  // free memory 2, 6, 4, 6 GiB; free CPU 200, 50, 150, 100 % (2 pCPUs a cell)
  const usage = [20, 0, 75, 75, 25, 25, 50, 50]; // pCPU 0: the VM's own 2 × 10 % (its vCPUs run there)
  const host = cpuHost('h1', { pcpus: 8, cells: 4, cellFreeGiB: [2, 6, 4, 6] });
  const h = { ...host, pcpus: host.pcpus.map((p) => ({ ...p, usagePercent: usage[p.pcpu] ?? 0 })) };
  // scores: 2048·200 = 409600, 6144·50 = 307200, 4096·150 = 614400, 6144·100 = 614400 → cell 2
  const p = planNumaPlacement(cpuSnap([free('a', { vcpus: 2, usage: 10, memoryMiB: 512 })], [h]), args());
  assert.deepEqual(cells(p), { a: 2 });
  const inputs = p.decisions[0]?.inputs['cells'] as { cell: number; score: number }[];
  assert.deepEqual(inputs.map((c) => c.score), [409600, 307200, 614400, 614400]);
});

test('VMs that do not fit any cell are left as they are, with the reason', () => {
  const p = planNumaPlacement(
    cpuSnap([free('wide', { vcpus: 6 }), free('fat', { memoryMiB: 8192 }), free('busy', { vcpus: 4, usage: 95, currentPcpu: [0, 1, 2, 3] })], [two({ usage: [95, 95, 95, 95, 0, 0, 0, 0] })]),
    args({ host: { maxMovesPerCycle: 3 } }),
  );
  assert.deepEqual(p.jobs, []);
  assert.equal(kind(p, 'wide'), 'no-fit');
  assert.match(reason(p, 'wide'), /cell 0: 6 vCPUs > its 4 pCPUs; cell 1: 6 vCPUs > its 4 pCPUs/);
  assert.match(reason(p, 'fat'), /memory 8192 MiB > 4096 MiB free less 512 MiB floor/);
  assert.match(reason(p, 'busy'), /cell 0: demand 380 % > 400 % CPU free less 40 % headroom; cell 1: demand 380 % > 400 %/);
});

test('one placement per host per cycle (knob), largest demand first; a second one sees the first', () => {
  const vms = [free('small', { usage: 5 }), free('big', { vcpus: 2, usage: 80 }), free('mid', { usage: 40 })];
  const p = planNumaPlacement(cpuSnap(vms, [two()]), args());
  assert.deepEqual(cells(p), { big: 0 });
  assert.equal(kind(p, 'mid'), 'deferred');
  assert.match(reason(p, 'mid'), /maxMovesPerCycle 1/);
  // two a cycle: 'mid' sees 'big' on cell 0 and takes cell 1
  const q = planNumaPlacement(cpuSnap(vms, [two()]), args({ host: { maxMovesPerCycle: 2 } }));
  assert.deepEqual(cells(q), { big: 0, mid: 1 });
  // a second host has its own budget
  const other = vms.map((v) => ({ ...v, uuid: `${v.uuid}-2`, name: `${v.name}-2`, hostId: 'h2' }));
  const r = planNumaPlacement(cpuSnap([...vms, ...other], [two(), cpuHost('h2', { pcpus: 8, cells: 2 })]), args());
  assert.equal(r.jobs.length, 2);
});

test('cool-down: a VM placed recently (its set-numa job, or the pin Ballast recorded) is not placed again', () => {
  // restrictive on cell 0, its vCPUs moved off it since: placeable, but placed 60 s ago
  const v = cpuVm('r', { numaTune: { mode: 'restrictive', nodeset: [0] }, pcpus: ALL8 });
  const recent = jobOf(v, { type: 'set-numa', cell: 0, pinVcpus: true }, { state: 'succeeded', inFlight: false, enqueuedAtMs: NOW_MS - 60_000 });
  const p = planNumaPlacement(cpuSnap([v], [two()], { jobs: [recent] }), args());
  assert.equal(kind(p, 'r'), 'cooldown');
  assert.deepEqual(p.jobs, []);
  // past the cool-down it is placed again; a failed job does not count
  assert.equal(planNumaPlacement(cpuSnap([v], [two()], { jobs: [recent] }), args({ host: { cooldownMs: 30_000 } })).jobs.length, 1);
  assert.equal(planNumaPlacement(cpuSnap([v], [two()], { jobs: [{ ...recent, state: 'failed' }] }), args()).jobs.length, 1);
  // from the domain's pin records (survive an engine restart)
  const pinned: VmView = { ...v, config: { ...(v.config as NonNullable<VmView['config']>), pins: [{ vcpu: 0, pcpus: [0, 1, 2, 3], by: 'policy:numa-placement', atMs: NOW_MS - 10_000 }] } };
  assert.equal(kind(planNumaPlacement(cpuSnap([pinned], [two()]), args()), 'r'), 'cooldown');
});

test('in flight: not placed again, booked on its cell, and named in the signal', () => {
  const a = free('a', { vcpus: 2, usage: 60, memoryMiB: 3000 });
  const b = free('b', { vcpus: 2, usage: 60, memoryMiB: 3000 });
  const j = jobOf(a, { type: 'set-numa', cell: 0, pinVcpus: true });
  const p = planNumaPlacement(cpuSnap([a, b], [two()], { jobs: [j] }), args());
  assert.equal(kind(p, 'a'), 'in-flight');
  assert.deepEqual(cells(p), { b: 1 }, 'cell 0 has 1096 MiB free once a lands: b goes to cell 1');
  assert.deepEqual(
    (p.signals?.[0]?.value as { vmName: string; state: string }[]).map((s) => [s.vmName, s.state]),
    [
      ['a', 'in-flight'],
      ['b', 'planned'],
    ],
  );
  // the rule: settled once the collected numatune and affinity show the cell
  assert.equal(numaInFlightRule.settled(j, cpuSnap([a], [two()])), false);
  const there = cpuVm('a', { numaTune: { mode: 'preferred', nodeset: [0] }, pcpus: [0, 1, 2, 3] });
  assert.equal(numaInFlightRule.settled(j, cpuSnap([there], [two()])), true);
});

test("libvirt's live rules: plan only what can be applied, say why a VM cannot move", () => {
  const vms = [
    free('spread', { numaTune: { mode: 'strict', nodeset: [0, 1] } }),
    free('bound', { numaTune: { mode: 'preferred', nodeset: [1] } }),
    free('restr', { numaTune: { mode: 'restrictive', nodeset: [0, 1] } }),
  ];
  const p = planNumaPlacement(cpuSnap(vms, [two({ usage: [0, 0, 0, 0, 50, 50, 50, 50] })]), args({ host: { maxMovesPerCycle: 3 } }));
  assert.equal(kind(p, 'spread'), 'cannot-move');
  assert.match(reason(p, 'spread'), /numatune is strict on cells 0,1: libvirt changes a running VM's nodeset only in restrictive mode/);
  // memory bound to cell 1 in preferred mode: only its vCPUs are pinned there, no mode sent
  const bound = p.jobs.find((j) => j.vmName === 'bound');
  assert.deepEqual(bound?.action, { type: 'set-numa', cell: 1, pinVcpus: true });
  assert.match(reason(p, 'bound'), /memory already there/);
  // restrictive: its nodeset may change; its mode stays (none sent)
  assert.deepEqual(p.jobs.find((j) => j.vmName === 'restr')?.action, { type: 'set-numa', cell: 0, pinVcpus: true });
  for (const j of p.jobs) assert.ok(j.action.type === 'set-numa' && j.action.memoryMode === undefined);
});

test('hysteresis: a placed VM stays while its cell holds it, and moves only to a clearly better cell', () => {
  // p: restrictive on cell 0, 2 vCPUs at 50 % on pCPU 0; cells of 4 pCPUs
  const placed = (usage: number[], cellFreeGiB = [4, 4]): ClusterSnapshot =>
    cpuSnap([cpuVm('p', { numaTune: { mode: 'restrictive', nodeset: [0] }, pcpus: [0, 1, 2, 3], vcpus: 2, usage: 50 })], [two({ usage, cellFreeGiB })]);
  // its cell holds it (only its own 100 % there), though cell 1 is idle and scores more: stays
  assert.equal(kind(planNumaPlacement(placed([100, 0, 0, 0, 0, 0, 0, 0]), args()), 'p'), 'placed');
  // cell 0 saturated: it would stay with half the headroom (20 %) but not with none left
  const sat = [100, 100, 100, 100];
  // … cell 1 has room but only 2 GiB free: score 2048 × 140 < 1.25 × 4096 × 100: stays
  const worse = planNumaPlacement(placed([...sat, 65, 65, 65, 65], [4, 2]), args());
  assert.equal(kind(worse, 'p'), 'placed');
  assert.match(reason(worse, 'p'), /cell 0 no longer holds it \(demand 100 % > 100 % CPU free less 20 % headroom\), but the best other, cell 1 .* scores less than 1.25/);
  // … cell 1 is full too: stays
  assert.match(reason(planNumaPlacement(placed([...sat, 90, 90, 95, 95]), args()), 'p'), /but no other cell fits it: stays/);
  // … cell 1 idle: moves, its nodeset changes (restrictive), its mode is kept
  const away = planNumaPlacement(placed([...sat, 0, 0, 0, 0]), args());
  assert.deepEqual(away.jobs.map((j) => j.action), [{ type: 'set-numa', cell: 1, pinVcpus: true }]);
  // the same in strict mode cannot move live
  const fixed = cpuSnap([cpuVm('p', { numaTune: { mode: 'strict', nodeset: [0] }, pcpus: [0, 1, 2, 3], vcpus: 2, usage: 50 })], [two({ usage: [...sat, 0, 0, 0, 0] })]);
  assert.equal(kind(planNumaPlacement(fixed, args()), 'p'), 'cannot-move');
  assert.match(reason(planNumaPlacement(fixed, args()), 'p'), /cell 0 no longer holds it .*, and its numatune is strict on cells 0/);
});

test('automation, holds and collection: left as they are, with the reason', () => {
  const vms = [
    free('rec'),
    free('off'),
    free('held', { holds: [{ resource: 'vcpu-pinning', untilMs: NOW_MS + 1 }] }),
    free('unk', { numaTune: null }),
  ];
  const a = args({ groups: [{ match: { names: ['rec'] }, automation: 'recommend' }, { match: { names: ['off'] }, automation: 'off' }] });
  const p = planNumaPlacement(cpuSnap(vms, [two()]), a);
  assert.deepEqual(p.jobs, []);
  assert.equal(kind(p, 'rec'), 'place');
  assert.match(reason(p, 'rec'), /automation recommend: not applied/);
  assert.equal(kind(p, 'off'), 'unmanaged');
  assert.equal(kind(p, 'held'), 'hold');
  assert.equal(kind(p, 'unk'), 'not-collected');
  assert.equal(kind(planNumaPlacement(cpuSnap([free('s')], [two({ stale: true })]), args()), 's'), 'stale');
});
