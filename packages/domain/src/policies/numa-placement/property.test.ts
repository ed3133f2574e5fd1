// Property test of the numa-placement plan on random 1-, 2- and 4-cell hosts (seeded, reproducible):
// moves per host, live rules, fit, cool-down and in-flight respected, the signal names exactly what moves,
// deterministic, and no bounce: once the moves land, re-planning after the cool-down moves none back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NumaTune } from '../../model.js';
import { mulberry32 } from '../../seeded-random.js';
import type { ClusterSnapshot, HostView, JobRecord, PlannedJob, VmView } from '../../snapshot.js';
import { cpuHost, cpuSnap, cpuVm, jobOf, NOW_MS } from '../cpu-test-snapshots.js';
import { knobsForVm, withOverrides } from '../vm-groups.js';
import type { NumaPlacementArgs } from './args.js';
import { liveJobApplies } from './live-move.js';
import { lastPlacedAtMs } from './cooldown.js';
import type { NumaPlaced } from './placed-signal.js';
import { planNumaPlacement, type NumaPlan } from './plan.js';
import { validateNumaPlacementArgs } from './validate.js';

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

function randomVm(r: Rand, h: HostView, i: number): VmView {
  const cell = pick(r, h.numaCells);
  const all = Array.from({ length: h.pcpuCount }, (_, p) => p);
  const tune: NumaTune = pick(r, [
    { mode: 'strict', nodeset: [] },
    { mode: 'strict', nodeset: [] },
    { mode: 'strict', nodeset: [cell.id] },
    { mode: 'preferred', nodeset: [cell.id] },
    { mode: 'restrictive', nodeset: [cell.id] },
    { mode: 'strict', nodeset: h.numaCells.map((c) => c.id) },
  ]);
  const pcpus = r() < 0.5 ? all : cell.cpus;
  const vcpus = int(r, 1, 4);
  return cpuVm(`${h.hostId}-v${i}`, {
    hostId: h.hostId,
    vcpus,
    usage: int(r, 0, 90),
    pcpus,
    currentPcpu: Array.from({ length: vcpus }, () => pick(r, pcpus)),
    memoryMiB: pick(r, [256, 1024, 2048, 4096]),
    numaTune: r() < 0.05 ? null : tune,
    holds: r() < 0.05 ? [{ resource: 'numa-placement', untilMs: NOW_MS + 1000 }] : [],
  });
}

/** Host pCPU usage = background + the usage of the vCPUs that run there now (so the figures agree). */
function withUsage(h: HostView, vms: readonly VmView[], background: number[]): HostView {
  const busy = background.slice();
  for (const v of vms) for (const c of v.vcpus) busy[c.currentPcpu ?? 0] = (busy[c.currentPcpu ?? 0] ?? 0) + c.usagePercent;
  return { ...h, pcpus: h.pcpus.map((p) => ({ pcpu: p.pcpu, usagePercent: busy[p.pcpu] ?? 0 })) };
}

function randomCase(seed: number): { s: ClusterSnapshot; a: NumaPlacementArgs; background: Map<string, number[]> } {
  const r = mulberry32(seed);
  const background = new Map<string, number[]>();
  const hosts: HostView[] = [];
  const vms: VmView[] = [];
  const jobs: JobRecord[] = [];
  for (let i = 0; i < int(r, 1, 2); i++) {
    const cells = pick(r, [1, 2, 2, 4]);
    const h = cpuHost(`h${i}`, { pcpus: cells * int(r, 2, 4), cells, cellFreeGiB: Array.from({ length: cells }, () => int(r, 1, 8)), stale: r() < 0.05 });
    const mine = Array.from({ length: int(r, 0, 8) }, (_, k) => randomVm(r, h, k));
    background.set(h.hostId, Array.from({ length: h.pcpuCount }, () => int(r, 0, 60)));
    hosts.push(withUsage(h, mine, background.get(h.hostId) ?? []));
    vms.push(...mine);
    for (const v of mine) {
      if (r() >= 0.15) continue;
      const state = pick(r, ['queued', 'succeeded', 'failed'] as const);
      jobs.push(jobOf(v, { type: 'set-numa', cell: pick(r, h.numaCells).id, pinVcpus: true }, { inFlight: state === 'queued', state, enqueuedAtMs: NOW_MS - int(r, 1, 600) * 1000 }));
    }
  }
  const doc = {
    defaults: { memoryMode: pick(r, ['strict', 'preferred']) },
    groups: [{ match: { names: vms.filter(() => r() < 0.2).map((v) => v.name) }, automation: pick(r, ['off', 'recommend']) }],
    host: { maxMovesPerCycle: int(r, 0, 2), cooldownMs: pick(r, [60_000, 300_000]) },
  };
  const v = validateNumaPlacementArgs(doc);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return { s: cpuSnap(vms, hosts, { jobs }), a: v.args, background };
}

function checkJob(s: ClusterSnapshot, a: NumaPlacementArgs, j: PlannedJob): void {
  assert.ok(j.action.type === 'set-numa');
  if (j.action.type !== 'set-numa') return;
  const vm = s.vms.find((v) => v.uuid === j.vmUuid) as VmView;
  const host = s.hosts.find((h) => h.hostId === j.hostId) as HostView;
  const cell = host.numaCells.find((c) => c.id === (j.action.type === 'set-numa' ? j.action.cell : -1));
  const tune = vm.numaTune as NumaTune;
  assert.ok(cell && cell.cpus.length >= vm.vcpus.length, `${vm.name}: its vCPUs fit the cell's pCPUs`);
  assert.equal(knobsForVm(a, vm).knobs.automation, 'auto');
  assert.ok(!s.jobs.some((x) => x.inFlight && x.vmUuid === vm.uuid), `${vm.name}: not while a placement is in flight`);
  const last = lastPlacedAtMs(vm, s.jobs);
  assert.ok(last === undefined || s.nowMs - last >= withOverrides(a.host, a.hosts[host.hostId]).cooldownMs, `${vm.name}: not in its cool-down`);
  assert.ok(!host.stale && vm.holds.length === 0);
  // libvirt's live rules
  const bound = tune.nodeset.length === 1 && tune.nodeset[0] === cell.id;
  assert.ok(tune.nodeset.length === 0 || bound || tune.mode === 'restrictive', `${vm.name}: ${JSON.stringify(tune)} cannot move to ${cell.id} live`);
  assert.equal(j.action.memoryMode !== undefined, tune.nodeset.length === 0, `${vm.name}: a mode only for a first placement`);
  assert.equal(j.action.pinVcpus, true);
}

function checkHost(s: ClusterSnapshot, a: NumaPlacementArgs, p: NumaPlan, h: HostView): void {
  const vms = s.vms.filter((v) => v.hostId === h.hostId);
  const decisions = p.decisions.filter((d) => d.hostId === h.hostId);
  const jobs = p.jobs.filter((j) => j.hostId === h.hostId);
  if (h.numaCells.length <= 1) {
    assert.deepEqual([decisions.length, decisions[0]?.kind, decisions[0]?.vmUuid, jobs.length], [1, 'single-cell', undefined, 0]);
    return;
  }
  assert.equal(decisions.length, vms.length, 'one decision per VM');
  assert.ok(jobs.length <= withOverrides(a.host, a.hosts[h.hostId]).maxMovesPerCycle, 'moves per cycle');
  for (const j of jobs) checkJob(s, a, j);
  const signal = (p.signals?.[0]?.value ?? []) as NumaPlaced[];
  const planned = signal.filter((x) => x.hostId === h.hostId && x.state === 'planned').map((x) => `${x.vmUuid}@${x.cell}`);
  assert.deepEqual(planned, jobs.map((j) => `${j.vmUuid}@${j.action.type === 'set-numa' ? j.action.cell : -1}`), 'the signal names what moves');
  const flying = signal.filter((x) => x.hostId === h.hostId && x.state === 'in-flight').map((x) => x.vmUuid).sort();
  assert.deepEqual(flying, [...new Set(s.jobs.filter((j) => j.inFlight && j.hostId === h.hostId).map((j) => j.vmUuid))].sort());
}

/** The snapshot once the plan's placements have landed: numatune, affinity, where vCPUs run, cell memory. */
function landed(s: ClusterSnapshot, p: NumaPlan, background: Map<string, number[]>, nowMs: number): ClusterSnapshot {
  const hosts = s.hosts.map((h) => ({ ...h, numaCells: h.numaCells.map((c) => ({ ...c })) }));
  const applies = (v: VmView, j: { action: PlannedJob['action'] }): boolean =>
    j.action.type === 'set-numa' && v.numaTune !== undefined && liveJobApplies(v.numaTune, j.action);
  const vms = s.vms.map((v) => {
    const j = p.jobs.find((x) => x.vmUuid === v.uuid) ?? s.jobs.find((x) => x.inFlight && x.vmUuid === v.uuid && applies(v, x));
    if (!j || j.action.type !== 'set-numa') return v;
    const h = hosts.find((x) => x.hostId === v.hostId) as HostView;
    const cell = h.numaCells.find((c) => c.id === (j.action.type === 'set-numa' ? j.action.cell : -1)) as HostView['numaCells'][number];
    const tune = v.numaTune as NumaTune;
    const from = tune.nodeset.length === 1 ? h.numaCells.find((c) => c.id === tune.nodeset[0]) : undefined;
    const kib = v.balloon?.actualKiB ?? 0;
    if (from !== cell) {
      cell.freeKiB -= kib;
      if (from) from.freeKiB += kib;
    }
    const mode = j.action.memoryMode ?? tune.mode;
    const vcpus = v.vcpus.map((c, i) => ({ ...c, pcpus: cell.cpus, currentPcpu: cell.cpus[i % cell.cpus.length] as number }));
    const window = v.window.map((e) => ({ ...e, vcpuPcpu: vcpus.map((c) => c.currentPcpu) }));
    return { ...v, numaTune: { mode, nodeset: [cell.id] }, vcpus, window };
  });
  const withBusy = hosts.map((h) => withUsage(h, vms.filter((v) => v.hostId === h.hostId), background.get(h.hostId) ?? []));
  return cpuSnap(vms, withBusy, { nowMs });
}

test('property: moves, live rules, cool-down, in flight, signal, determinism; no bounce once placed', () => {
  let moved = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const { s, a, background } = randomCase(seed);
    const p = planNumaPlacement(s, a);
    for (const h of s.hosts) checkHost(s, a, p, h);
    assert.deepEqual(planNumaPlacement(s, a), p, `seed ${seed}: deterministic`);
    // no bounce: once landed, with the cool-down past and the jobs forgotten, nobody moved moves again
    const next = planNumaPlacement(landed(s, p, background, s.nowMs + 3_600_000), a);
    for (const j of p.jobs) {
      const d = next.decisions.find((x) => x.vmUuid === j.vmUuid);
      assert.equal(d?.kind, 'placed', `seed ${seed}: ${j.vmName} moved again: ${d?.reason}`);
      moved++;
    }
  }
  assert.ok(moved > 50, `the cases exercise placements (${moved})`);
});
