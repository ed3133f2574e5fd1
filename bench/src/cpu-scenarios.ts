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
  /** From each phase's start (ms), every VM's duty cycle (a 1-vCPU VM each, fraction of a pCPU). */
  phases: (readonly [atMs: number, duty: readonly number[]])[];
}

const NOISE = 0.03;

/** VM i's demand signal: its duty cycle phase by phase, with noise (seeded per VM and run). */
export function dutySignal(sc: CpuScenario, i: number, seed: number): Signal {
  return clamp(jitter(steps(sc.phases.map(([atMs, duty]) => [atMs, duty[i] ?? 0] as const)), NOISE, seed), 0, 1);
}

export const CPU_SCENARIOS: CpuScenario[] = [
  {
    name: 'gt-4vm-2pcpu',
    description: 'two heavy (~65 %) and two light (~21 %) guests on 2 pCPUs; at 120 s and at 240 s other guests become the heavy ones',
    pcpus: 2,
    durationMs: 360_000,
    phases: [
      [0, [0.65, 0.22, 0.67, 0.2]],
      [120_000, [0.22, 0.65, 0.2, 0.67]],
      [240_000, [0.65, 0.67, 0.22, 0.2]],
    ],
  },
  {
    name: '8vm-4pcpu',
    description: 'eight guests (vCPUs > pCPUs), 3.85 pCPUs of demand; at 180 s four of them change duty cycle',
    pcpus: 4,
    durationMs: 360_000,
    phases: [
      [0, [0.7, 0.3, 0.6, 0.4, 0.5, 0.5, 0.65, 0.2]],
      [180_000, [0.3, 0.7, 0.6, 0.4, 0.65, 0.5, 0.5, 0.2]],
    ],
  },
  {
    name: '3vm-4pcpu',
    description: 'three guests on 4 pCPUs (vCPUs < pCPUs): 80/60/30 %, at 180 s 30/80/60 %',
    pcpus: 4,
    durationMs: 360_000,
    phases: [
      [0, [0.8, 0.6, 0.3]],
      [180_000, [0.3, 0.8, 0.6]],
    ],
  },
];
