/**
 * The spread as the GT monitor measures it, from the window: in each of the latest samples, every vCPU's
 * usage credited to the pCPU it ran on in that sample (where it is pinned, for a pinned one; its place when
 * the sample does not say), the spread of that sample; their mean. Unpinned vCPUs that the kernel keeps
 * moving make this high even when their average place looks even — which is why the balancer pins them
 * when it is above the trigger (unpinned.ts).
 */
import type { WindowEntry } from '../../snapshot.js';
import type { AssessedVm } from './assess-vm.js';
import type { HostLayout } from './layout.js';
import { Spread } from './spread.js';
import { usageEntries } from './vcpu-load.js';

export function measuredSpread(vms: readonly AssessedVm[], layout: HostLayout, samples: number): number {
  const perSample: Spread[] = Array.from({ length: samples }, () => new Spread(layout));
  let seen = 0;
  for (const a of vms) {
    const entries = usageEntries(a.vm, samples);
    seen = Math.max(seen, entries.length);
    // the k-th latest sample of every VM is one sample of the host
    entries.forEach((e, j) => creditSample(perSample[samples - entries.length + j] as Spread, a, e, layout));
  }
  const used = perSample.slice(samples - seen);
  return used.length === 0 ? 0 : used.reduce((s, x) => s + x.stdDev(), 0) / used.length;
}

function creditSample(spread: Spread, a: AssessedVm, e: WindowEntry, layout: HostLayout): void {
  a.vcpus.forEach((v, i) => {
    const u = Math.max(0, e.vcpuPercent?.[i] ?? 0);
    if (!(u > 0)) return;
    const on = v.affinity.length === 1 ? (v.affinity[0] as number) : (e.vcpuPcpu?.[i] ?? -1);
    if (on >= 0 && on < layout.pcpuCount) spread.add(on, u);
    else for (const [p, share] of v.place) spread.add(p, u * share);
  });
}
