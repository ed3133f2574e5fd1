/**
 * How much of a host's steady spread noise alone could make: the standard error of each pCPU's steady load,
 * from its vCPUs' samples (the k-th latest sample of every VM taken together as one sample of the host),
 * as the root mean square over the pCPUs, in points. A host is out of balance only when its spread
 * exceeds the threshold by a margin of these (args: control.noiseMarginStdErrors), so that a balanced host
 * whose guests' usage jitters is not re-pinned each time the jitter happens to line up.
 */
import type { VcpuLoad } from './vcpu-load.js';

type Sampled = Pick<VcpuLoad, 'steadySamplesPercent' | 'steadyPercent' | 'place'>;

/** `vms`: each with its vCPUs. */
export function loadNoise(vms: readonly { vcpus: readonly Sampled[] }[], pcpuCount: number): number {
  let samples = 0;
  for (const vm of vms) for (const v of vm.vcpus) samples = Math.max(samples, v.steadySamplesPercent.length);
  if (samples < 2 || pcpuCount === 0) return 0;
  // load[p · samples + k]: pCPU p's load in the k-th latest sample
  const load = new Float64Array(pcpuCount * samples);
  for (const vm of vms) for (const v of vm.vcpus) addSamples(load, samples, v);
  let sumSe2 = 0;
  for (let p = 0; p < pcpuCount; p++) {
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < samples; k++) {
      const x = load[p * samples + k] as number;
      s += x;
      s2 += x * x;
    }
    const variance = Math.max(0, (s2 - (s * s) / samples) / (samples - 1));
    sumSe2 += variance / samples;
  }
  return Math.sqrt(sumSe2 / pcpuCount);
}

/** Adds one vCPU's samples (its mean where it has fewer) to the pCPUs its load is on. */
function addSamples(load: Float64Array, samples: number, v: Sampled): void {
  const m = v.steadySamplesPercent.length;
  for (let j = 0; j < v.place.length; j++) {
    const p = v.place[j]?.[0] as number;
    const share = v.place[j]?.[1] as number;
    for (let k = 0; k < samples; k++) {
      const u = k < m ? (v.steadySamplesPercent[m - 1 - k] as number) : v.steadyPercent;
      load[p * samples + k] = (load[p * samples + k] as number) + u * share;
    }
  }
}
