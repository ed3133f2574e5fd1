// Properties of every plan on seeded random hosts, and the churn test: noise around a balanced state
// makes no pin change, cycle after cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../seeded-random.js';
import type { ClusterSnapshot, HostView, JobRecord, VmView } from '../../snapshot.js';
import type { VcpuBalanceArgs } from './args.js';
import { args, cpuHost, cpuVm, hostDecision, nextCycle, NOW_MS, pinJobRecord, pinLines, pinRecord, run, snap } from './test-kit.js';

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

/** What the test knows of each VM it built: how it was set up, to check the plan against. */
interface Built {
  vm: VmView;
  mode: 'unpinned' | 'ballast' | 'foreign' | 'held' | 'off' | 'recommend';
  cells: number[][];
}

function randomVm(rnd: Rnd, i: number, host: HostView, cells: number[][]): Built {
  const mode = pick(rnd, ['unpinned', 'unpinned', 'ballast', 'ballast', 'foreign', 'held', 'off', 'recommend'] as const);
  const tuned = cells.length > 1 && rnd() < 0.4 ? Math.floor(rnd() * cells.length) : undefined;
  const mine = tuned !== undefined ? (cells[tuned] as number[]) : cells.flat();
  const cellOfVm = pick(rnd, cells.filter((c) => c.some((p) => mine.includes(p))));
  const vcpus = 1 + Math.floor(rnd() * 3);
  const base = Array.from({ length: vcpus }, () => Math.round(rnd() * 100));
  const on = Array.from({ length: vcpus }, () => pick(rnd, rnd() < 0.8 ? cellOfVm.filter((p) => mine.includes(p)) : mine));
  const pinned = mode === 'ballast' || mode === 'held' || mode === 'foreign';
  const affinity = on.map((p, v) => (pinned && (mode !== 'foreign' || v === 0) ? [p] : mine));
  const pins = mode === 'ballast' || mode === 'held' ? on.map((p, v) => pinRecord(v, [p], mode === 'held' ? 'manual' : 'policy:vcpu-balance')) : [];
  const history = Array.from({ length: 6 }, () => ({ usage: base.map((u) => Math.max(0, u + (rnd() - 0.5) * 10)), on }));
  const vm = cpuVm(`vm${i}`, {
    history,
    affinity,
    pins,
    hostId: host.hostId,
    hostPcpus: host.pcpuCount,
    ...(tuned !== undefined ? { numaNodeset: [tuned] } : {}),
    ...(mode === 'off' || mode === 'recommend' ? { labels: { tier: mode } } : {}),
    ...(mode === 'held' ? { holds: [{ resource: 'vcpu-pinning', untilMs: NOW_MS + 60_000 }] } : {}),
  });
  return { vm, mode, cells: tuned !== undefined ? [cells[tuned] as number[]] : cells };
}

function randomCase(seed: number): { s: ClusterSnapshot; a: VcpuBalanceArgs; built: Built[] } {
  const rnd = mulberry32(seed);
  const pcpus = pick(rnd, [2, 4, 6, 8]);
  const cells = pcpus >= 4 && rnd() < 0.5 ? [Array.from({ length: pcpus / 2 }, (_, p) => p), Array.from({ length: pcpus / 2 }, (_, p) => p + pcpus / 2)] : [Array.from({ length: pcpus }, (_, p) => p)];
  const host = cpuHost('h1', pcpus, cells);
  const built = Array.from({ length: 1 + Math.floor(rnd() * 10) }, (_, i) => randomVm(rnd, i, host, cells));
  const jobs: JobRecord[] = [];
  for (const b of built) if (b.mode === 'ballast' && rnd() < 0.3) jobs.push(pinJobRecord(b.vm, 0, [pick(rnd, b.cells.flat())]));
  const a = args({
    groups: [{ match: { labels: { tier: 'off' } }, automation: 'off' }, { match: { labels: { tier: 'recommend' } }, automation: 'recommend' }],
    host: { maxPinChangesPerCycle: 1 + Math.floor(rnd() * 5), thresholdStdDevPercent: pick(rnd, [2, 5, 10]) },
  });
  return { s: snap(built.map((b) => b.vm), [host], jobs), a, built };
}

/**
 * The spread as the test reckons it (pooled over cells): usage = mean of the last `samples` samples (5, or the
 * steady window of 10 when the host is judged on it), on its pin or where it ran.
 */
function spreadOf(built: Built[], cells: number[][], pcpus: number, jobs: { vm: string; vcpu: number; to: number }[], samples: number): number {
  const load = new Array<number>(pcpus).fill(0);
  for (const b of built) {
    b.vm.vcpus.forEach((c, i) => {
      const last = b.vm.window.slice(-samples);
      // demand: usage + run-queue wait, at most one pCPU
      const usage = last.reduce((s, e) => s + Math.min(100, (e.vcpuPercent?.[i] ?? 0) + (e.vcpuWaitPercent?.[i] ?? 0)), 0) / last.length;
      const moved = jobs.find((j) => j.vm === b.vm.name && j.vcpu === c.id);
      const at = moved ? moved.to : c.pcpus.length === 1 ? (c.pcpus[0] as number) : (c.currentPcpu as number);
      load[at] = (load[at] ?? 0) + usage;
    });
  }
  let sse = 0;
  for (const cell of cells) {
    const mean = cell.reduce((s, p) => s + (load[p] ?? 0), 0) / cell.length;
    for (const p of cell) sse += ((load[p] ?? 0) - mean) ** 2;
  }
  return Math.sqrt(sse / pcpus);
}

test('property: plans never raise the spread, stay in the VM’s cell, keep the cap, leave foreign/held/off/recommend VMs and pins in flight alone', () => {
  let planned = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const { s, a, built } = randomCase(seed);
    const host = s.hosts[0] as HostView;
    const cells = host.numaCells.map((c) => c.cpus);
    const p = run(s, a);
    assert.deepEqual(run(s, a), p, `seed ${seed}: deterministic`);
    assert.ok(p.jobs.length <= a.host.maxPinChangesPerCycle, `seed ${seed}: ${p.jobs.length} jobs > cap`);
    const moves = p.jobs.map((j) => ({ vm: j.vmName ?? '', vcpu: j.action.type === 'pin-vcpu' ? j.action.vcpu : -1, to: j.action.type === 'pin-vcpu' ? (j.action.pcpus[0] as number) : -1 }));
    for (const [i, j] of p.jobs.entries()) {
      const b = built.find((x) => x.vm.uuid === j.vmUuid) as Built;
      const m = moves[i] as (typeof moves)[number];
      assert.ok(b.mode === 'unpinned' || b.mode === 'ballast', `seed ${seed}: job on a ${b.mode} VM`);
      assert.ok(j.action.type === 'pin-vcpu' && j.action.pcpus.length === 1);
      assert.ok(b.cells.some((c) => c.includes(m.to)), `seed ${seed}: ${b.vm.name} pinned outside its cells`);
      const cellsUsed = new Set(moves.filter((x) => x.vm === b.vm.name).map((x) => cells.findIndex((c) => c.includes(x.to))));
      assert.equal(cellsUsed.size, 1, `seed ${seed}: ${b.vm.name} pinned into two cells`);
      assert.ok(!s.jobs.some((r) => r.inFlight && r.vmUuid === j.vmUuid && r.action.type === 'pin-vcpu' && r.action.vcpu === m.vcpu), `seed ${seed}: re-planned a pin in flight`);
    }
    const inFlight = s.jobs.filter((r) => r.inFlight).map((r) => ({ vm: built.find((b) => b.vm.uuid === r.vmUuid)?.vm.name ?? '', vcpu: 0, to: r.action.type === 'pin-vcpu' ? (r.action.pcpus[0] as number) : 0 }));
    const basis = hostDecision(p).inputs['basis'];
    const samples = basis === 'unpinned' || basis === 'urgent' ? a.control.smoothingSamples : a.control.steadySamples;
    const before = spreadOf(built, cells, host.pcpuCount, inFlight, samples);
    const after = spreadOf(built, cells, host.pcpuCount, [...inFlight, ...moves], samples);
    assert.ok(Math.abs(before - (hostDecision(p).inputs['stdDevPercent'] as number)) <= 0.05 + 1e-9, `seed ${seed}: spread ${before} vs decision`);
    assert.ok(after <= before + 1e-9, `seed ${seed}: spread ${before} → ${after}`);
    if (p.jobs.length > 0) {
      planned++;
      assert.ok(before > a.host.thresholdStdDevPercent, `seed ${seed}: moved a balanced host`);
      // unpinned vCPUs are pinned without a minimum gain (the pins stop the kernel moving them); moves need it
      if (hostDecision(p).inputs['basis'] !== 'unpinned') assert.ok(before - after >= (a.host.minGainPercent / 100) * before - 1e-9, `seed ${seed}: gain below minGainPercent`);
    }
  }
  assert.ok(planned > 50, `only ${planned} of 400 random hosts got a plan: the property says little`);
});

test('churn: noise around a balanced state (±5 points a sample) makes no pin change in 200 cycles', () => {
  const rnd = mulberry32(42);
  const demand: Record<string, number> = { heavy1: 65, light1: 22, heavy2: 67, light2: 20 };
  const on: Record<string, number> = { heavy1: 0, light1: 1, heavy2: 1, light2: 0 };
  let vms = Object.keys(demand).map((n) => cpuVm(n, { usage: [demand[n] as number], on: [on[n] as number], affinity: [[on[n] as number]], pins: [pinRecord(0, [on[n] as number])] }));
  let changes = 0;
  for (let cycle = 0; cycle < 200; cycle++) {
    const p = run(snap(vms));
    changes += p.jobs.length;
    vms = nextCycle(vms, p, (vm) => (demand[vm.name] as number) + (rnd() - 0.5) * 10);
  }
  assert.equal(changes, 0);
});

test('churn: unpinned and balanced, 8 vCPUs on 4 pCPUs with ±8 points of noise: pinned where they run at most once, then no pin change in 200 cycles', () => {
  const rnd = mulberry32(7);
  const host = [cpuHost('h1', 4)];
  // one 60 % and one 30 % vCPU on each pCPU
  const demand = (i: number): number => (i < 4 ? 60 : 30);
  let vms = Array.from({ length: 8 }, (_, i) => cpuVm(`v${i}`, { usage: [demand(i)], on: [i % 4], hostPcpus: 4 }));
  const pins: string[] = [];
  const moves: string[] = [];
  for (let cycle = 0; cycle < 200; cycle++) {
    const p = run(snap(vms, host));
    for (const line of pinLines(p)) {
      pins.push(`${cycle}: ${line}`);
      const [name, to] = [line.split('/')[0] as string, Number(line.split('→')[1])];
      if (to !== Number(name.slice(1)) % 4) moves.push(line);
    }
    vms = nextCycle(vms, p, (vm) => demand(Number(vm.name.slice(1))) + (rnd() - 0.5) * 16);
  }
  // unpinned vCPUs are the balancer's to pin once the measured spread passes the threshold (noise makes it
  // do so here): each where it already runs, since that is as even; never a move, never a second pin
  assert.deepEqual(moves, [], pins.join('\n'));
  assert.ok(new Set(pins.map((l) => l.split(': ')[1]?.split('→')[0])).size === pins.length, pins.join('\n'));
});

test('churn: from a lopsided start the host settles within a few cycles and then stays put under noise', () => {
  const rnd = mulberry32(9);
  const host = [cpuHost('h1', 4)];
  const demand = [70, 60, 50, 40, 30, 20, 15, 10];
  let vms = demand.map((u, i) => cpuVm(`v${i}`, { usage: [u], on: [0], hostPcpus: 4 }));
  const changesAt: number[] = [];
  for (let cycle = 0; cycle < 100; cycle++) {
    const p = run(snap(vms, host));
    if (p.jobs.length > 0) changesAt.push(cycle);
    vms = nextCycle(vms, p, (vm) => (demand[Number(vm.name.slice(1))] as number) + (rnd() - 0.5) * 8);
  }
  assert.ok(changesAt.length > 0 && changesAt.every((c) => c < 6), `pin changes at cycles ${changesAt.join(',')}`);
  const final = hostDecision(run(snap(vms, host)));
  assert.ok((final.inputs['stdDevPercent'] as number) <= 5, JSON.stringify(final.inputs['pcpuLoadPercent']));
});
