import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimCluster, SimHypervisor, constant, gib, mib } from '@ballast/sim';
import type { JobSpec } from '@ballast/domain';
import { JobRouter } from '../job-router.js';
import { TEST_PROCESSOR_CONFIG } from './test-config.js';
import { PermanentJobError, type ProcessorContext } from './processor-context.js';

const CONFIG = { ...TEST_PROCESSOR_CONFIG, budgetWaitMs: 5000 };

/** A host with guests of the given balloon sizes (MiB, 100 MiB used each); Σ balloons is checked after every change. */
function setup(sizesMiB: number[]) {
  const sim = new SimCluster({ seed: 5 });
  sim.addHost({ id: 'h1', pcpus: 4, memoryKiB: gib(16) });
  const vms = sizesMiB.map((m, i) =>
    sim.createVm('h1', { name: `g${i + 1}`, vcpus: 1, maxMemoryKiB: gib(2), memoryKiB: mib(m), cpu: constant(0.1), memory: constant(mib(100)), memStatsPeriodSec: 1 }),
  );
  const hv = new SimHypervisor(sim, 'sim://h1');
  let maxSumMiB = 0;
  const sumMiB = () => vms.reduce((a, v) => a + Math.max(sim.inspect(v.uuid).currentKiB, sim.inspect(v.uuid).targetKiB) / 1024, 0);
  const watched = Object.create(hv) as SimHypervisor;
  watched.setMemory = async (uuid, kib) => {
    await hv.setMemory(uuid, kib);
    maxSumMiB = Math.max(maxSumMiB, sumMiB());
  };
  const ctx: ProcessorContext = {
    hv: watched,
    config: CONFIG,
    now: () => sim.wallClockMs,
    sleep: async (ms) => sim.advance(ms),
    balloonChangedAtMs: new Map(),
    budgetGrows: new Map(),
  };
  sim.advance(3000); // guest stats
  const router = new JobRouter(ctx, 'h1');
  let n = 0;
  const job = (vm: number, memoryMiB: number, hostBudgetMiB?: number): JobSpec => ({
    schemaVersion: 1,
    id: `job-${++n}`,
    hostId: 'h1',
    vmUuid: vms[vm]?.uuid ?? '',
    vmName: `g${vm + 1}`,
    source: 'policy',
    createdAtMs: 0,
    action: { type: 'set-memory', memoryMiB, ...(hostBudgetMiB !== undefined ? { hostBudgetMiB } : {}) },
  });
  return { sim, vms, router, job, maxSum: () => maxSumMiB, size: (i: number) => sim.inspect(vms[i]?.uuid ?? '').currentKiB / 1024 };
}

test('a grow paid for by a release in flight waits until the release has landed: Σ balloons never above the budget', async () => {
  const s = setup([512, 800]); // Σ 1312, budget 1400
  // g1 needs 188 MiB and the budget has 88: 100 must come from g2's release, started alongside
  const [g, r] = await Promise.all([s.router.handle(s.job(0, 700, 1400)), s.router.handle(s.job(1, 700))]);
  assert.match(r.message, /balloon at 700 MiB/);
  assert.match(g.message, /^balloon at 700 MiB/);
  assert.ok(Number(g.observed?.['budgetWaitMs']) > 0, JSON.stringify(g.observed));
  assert.ok(s.maxSum() <= 1400, `Σ reached ${s.maxSum()} MiB`);
  assert.equal(s.size(0), 700);
});

test('nothing released within budgetWaitMs: the grow fails permanently, naming the budget, and changes nothing', async () => {
  const s = setup([512, 888]); // Σ 1400 = budget
  await assert.rejects(s.router.handle(s.job(0, 600, 1400)), (e: Error) => e instanceof PermanentJobError && /host budget of 1400 MiB is taken: the other VMs hold 888 MiB/.test(e.message));
  assert.equal(s.size(0), 512);
});

test('part of the grow fits after the wait: it grows that far and says so', async () => {
  const s = setup([512, 800]); // room 88
  const r = await s.router.handle(s.job(0, 700, 1400));
  assert.match(r.message, /balloon at 600 MiB \(700 MiB asked; the host budget of 1400 MiB allowed this much\)/);
  assert.equal(s.size(0), 600);
});

test('two grows competing for the same room are admitted one after the other, never together past the budget', async () => {
  const s = setup([512, 512, 800]); // Σ 1824, budget 2000: room 176
  const [a, b] = await Promise.all([s.router.handle(s.job(0, 600, 2000)), s.router.handle(s.job(1, 650, 2000))]);
  assert.match(a.message, /balloon at 600 MiB/);
  assert.match(b.message, /balloon at 600 MiB \(650 MiB asked/);
  assert.ok(s.maxSum() <= 2000, `Σ reached ${s.maxSum()} MiB`);
  // without a budget a grow does not wait
  const c = await s.router.handle(s.job(2, 900));
  assert.match(c.message, /^balloon at 900 MiB$/);
});
