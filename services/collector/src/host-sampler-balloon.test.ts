// HostSampler with a per-VM balloon schedule, on the simulator, behind a hypervisor that honours balloonFor (as
// LibvirtHypervisor's per-domain read does).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Hypervisor } from '@ballast/hypervisor';
import { SimCluster, SimHypervisor, constant, gib, mib } from '@ballast/sim';

import { HostSampler } from './host-sampler.js';

function setup() {
  const sim = new SimCluster({ seed: 3 });
  sim.addHost({ id: 'h1', pcpus: 4, memoryKiB: gib(8) });
  const { uuid } = sim.createVm('h1', { name: 'web', vcpus: 1, maxMemoryKiB: gib(2), memoryKiB: mib(512), memory: constant(mib(100)), memStatsPeriodSec: 2 });
  const inner = new SimHypervisor(sim, 'sim://h1');
  const asked: boolean[] = [];
  const hv = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'collectStats') return Reflect.get(target, prop, receiver) as unknown;
      return async (opts: Parameters<Hypervisor['collectStats']>[0]) => {
        const stats = await target.collectStats(opts);
        return stats.map((s) => {
          const want = opts.balloon && (opts.balloonFor?.(s.uuid) ?? true);
          if (s.uuid === uuid) asked.push(want);
          if (want) return s;
          const { balloon: _, ...rest } = s;
          return rest;
        });
      };
    },
  }) as Hypervisor;
  const sampler = new HostSampler(hv, {
    hostId: 'h1',
    intervalMs: 2000,
    balloonEvery: 1,
    hostInfoEvery: 10,
    now: () => sim.wallClockMs,
    balloonSchedule: { steadyMs: 3000, movingKiB: 8192, settleMs: 4000 },
  });
  return { sim, sampler, uuid, asked };
}

test('a steady VM\'s balloon is read every other 2 s cycle (steadyMs 3 s), its figures repeated between; a balloon-change event reads it next cycle', async () => {
  const { sim, sampler, uuid, asked } = setup();
  const reports = [];
  for (let i = 0; i < 8; i++) {
    reports.push(await sampler.sample());
    sim.advance(2000);
  }
  // first read (counts as movement) → every cycle for settleMs (4 s), then every other cycle
  assert.deepEqual(asked, [true, true, true, false, true, false, true, false]);
  const balloons = reports.map((r) => r.vms.find((v) => v.uuid === uuid)?.balloon);
  assert.ok(balloons.every((b) => b !== undefined), 'every report has balloon figures');
  asked.forEach((read, i) => {
    if (!read) assert.deepEqual(balloons[i], balloons[i - 1], `cycle ${i} repeats the last figures`);
  });
  sampler.handleEvent({ kind: 'balloon-change', uuid, name: 'web', actualKiB: mib(512) });
  await sampler.sample();
  assert.equal(asked.at(-1), true);
});
