#!/usr/bin/env node
// What reading each vCPU's current pCPU (placementEvery) costs the collector, on a real host: the same
// HostSampler code with placement every cycle and never, alternating cycles in one run (N each, 250 ms apart),
// the wall time of sample() and of the placement reads alone; medians in ms. Read-only. After `make build`:
//   UV_THREADPOOL_SIZE=16 node services/collector/scripts/placement-cost.mjs      (LIBVIRT_URI, N=30)
import { LibvirtHypervisor } from '../../../packages/hypervisor/dist/index.js';
import { HostSampler } from '../dist/host-sampler.js';
import { withPlacement } from '../dist/vcpu-placement.js';

const N = Number(process.env.N ?? 30);
const hv = await LibvirtHypervisor.open(process.env.LIBVIRT_URI ?? 'qemu:///system', { readOnly: true });
const base = { hostId: 'cost', intervalMs: 2000, balloonEvery: 1, hostInfoEvery: 100000, configEvery: 100000, now: () => Date.now() };
const withIt = new HostSampler(hv, { ...base, placementEvery: 1 });
const without = new HostSampler(hv, { ...base, placementEvery: 0 });
const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return +(s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2).toFixed(2);
};
async function timed(sampler, into) {
  const t0 = process.hrtime.bigint();
  await sampler.sample();
  into.push(msSince(t0));
  await new Promise((r) => setTimeout(r, 250));
}

for (let i = 0; i < 3; i++) for (const s of [withIt, without]) await s.sample(); // first reads: XML, tune, host info
const cycleWith = [], cycleWithout = [], readsOnly = [];
for (let i = 0; i < N; i++) {
  const order = i % 2 === 0 ? [[withIt, cycleWith], [without, cycleWithout]] : [[without, cycleWithout], [withIt, cycleWith]];
  for (const [sampler, into] of order) await timed(sampler, into);
  const stats = await hv.collectStats({ balloon: false, vcpu: true });
  const t0 = process.hrtime.bigint();
  await withPlacement(hv, stats);
  readsOnly.push(msSince(t0));
}
const vms = (await hv.listVms()).filter((v) => v.state === 'running').length;
console.log(JSON.stringify({ runningVms: vms, cyclesEach: N, medianCycleMsWith: median(cycleWith), medianCycleMsWithout: median(cycleWithout), medianPlacementReadsMs: median(readsOnly) }));
await hv.close();
