/**
 * CPU traces for the vCPU balance benchmark, after the GT CS6210 vCPU scheduler's tests: 1-vCPU guests
 * running duty-cycled busy loops (DESIGN.md: a 2-vCPU TCG guest keeps both loops on one vCPU), ±3 points
 * of noise a second, duty cycles that change during the run.
 */
import { clamp, jitter, steps, type Signal } from '@ballast/sim';

export interface CpuScenario {
  name: string;
  description: string;
  pcpus: number;
  durationMs: number;
  /** Each VM's duty cycle over time, [atMs, fraction] points (a 1-vCPU VM each). */
  vms: (readonly [number, number])[][];
}

const NOISE = 0.03;

/** The VM's demand signal: its duty cycle steps with noise (seeded per VM and run). */
export function dutySignal(points: readonly (readonly [number, number])[], seed: number): Signal {
  return clamp(jitter(steps(points), NOISE, seed), 0, 1);
}

export const CPU_SCENARIOS: CpuScenario[] = [
  {
    name: 'gt-4vm-2pcpu',
    description: 'two heavy (~65 %) and two light (~21 %) guests on 2 pCPUs; at 120 s heavy and light trade places, at 240 s they trade again the other way',
    pcpus: 2,
    durationMs: 360_000,
    vms: [
      [[0, 0.65], [120_000, 0.22], [240_000, 0.65]],
      [[0, 0.22], [120_000, 0.65], [240_000, 0.67]],
      [[0, 0.67], [120_000, 0.2], [240_000, 0.22]],
      [[0, 0.2], [120_000, 0.67], [240_000, 0.2]],
    ],
  },
  {
    name: '8vm-4pcpu',
    description: 'eight guests (vCPUs > pCPUs), 3.85 pCPUs of demand; at 180 s four of them change duty cycle',
    pcpus: 4,
    durationMs: 360_000,
    vms: [
      [[0, 0.7], [180_000, 0.3]],
      [[0, 0.3], [180_000, 0.7]],
      [[0, 0.6]],
      [[0, 0.4]],
      [[0, 0.5], [180_000, 0.65]],
      [[0, 0.5]],
      [[0, 0.65], [180_000, 0.5]],
      [[0, 0.2]],
    ],
  },
  {
    name: '3vm-4pcpu',
    description: 'three guests on 4 pCPUs (vCPUs < pCPUs): 80/60/30 %, at 180 s 30/80/60 %',
    pcpus: 4,
    durationMs: 360_000,
    vms: [
      [[0, 0.8], [180_000, 0.3]],
      [[0, 0.6], [180_000, 0.8]],
      [[0, 0.3], [180_000, 0.6]],
    ],
  },
];
