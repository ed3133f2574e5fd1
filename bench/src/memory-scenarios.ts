/**
 * Memory traces for the memory-coordinator benchmark, after the lab's scenarios (DESIGN.md: guests start
 * at 512 MiB current / 2048 MiB maximum; one writes 20 MiB/s into tmpfs and later removes it).
 * VMs come in groups of four that replay the 4-VM lab scenario; with 50 or 200 VMs each group is shifted
 * by a seeded offset of 0-10 s so the groups do not move in lockstep.
 *
 * The simulated guest (what we chose, and why):
 *   - kernel + firmware overhead 64 MiB (not available to the guest: available = balloon − 64 MiB);
 *   - 80 MiB used at idle (init, shell, page tables), ±8 MiB of noise in 5 s steps;
 *   - 128 MiB of zram-like swap: demand beyond the balloon swaps (swap-in and major faults rise) before
 *     anything dies;
 *   - consumers write to tmpfs (lab-like: the OOM killer frees nothing, so demand beyond RAM + swap panics
 *     the guest, and inflating the balloon below used − swap panics it too), except in `all-past-budget`,
 *     whose consumers are ordinary anonymous memory (the OOM killer kills the consumer and the guest lives),
 *     since there the total demand is past the budget by design;
 *   - balloon stats every 2 s, 1 s out of phase with the control loop (so stats are 1 s old when read).
 */
import { constant, jitter, mib, ramp, steps, sum, type Signal } from '@ballast/sim';

export interface VmTrace {
  name: string;
  /** Used memory (KiB) over simulated time, excluding the kernel. */
  memory: Signal;
  tmpfs: boolean;
}

export interface Scenario {
  name: string;
  description: string;
  durationMs: number;
  vms(count: number, rnd: () => number): VmTrace[];
}

const IDLE_MIB = 80;

/** Writes `amountMiB` at `rateMiBPerSec` from startMs, holds it, removes it all at freeAtMs. */
function burst(startMs: number, rateMiBPerSec: number, amountMiB: number, freeAtMs: number): Signal {
  const doneMs = startMs + (amountMiB / rateMiBPerSec) * 1000;
  if (freeAtMs < doneMs) throw new RangeError(`burst frees at ${freeAtMs} ms before it is written (${doneMs} ms)`);
  return sum(ramp(0, mib(amountMiB), mib(rateMiBPerSec), startMs), steps([[0, 0], [freeAtMs, -mib(amountMiB)]]));
}

function idle(seed: number): Signal {
  return jitter(constant(mib(IDLE_MIB)), mib(8), seed, 5000);
}

function groups(count: number, rnd: () => number, role: (index: number, role: number, offsetMs: number, seed: number) => VmTrace): VmTrace[] {
  const out: VmTrace[] = [];
  let offsetMs = 0;
  for (let i = 0; i < count; i++) {
    if (i % 4 === 0) offsetMs = i === 0 ? 0 : Math.round(rnd() * 10) * 1000;
    out.push(role(i, i % 4, offsetMs, Math.floor(rnd() * 2 ** 31)));
  }
  return out;
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'one-consumer',
    description: 'per group of 4: one VM writes 20 MiB/s into tmpfs (1200 MiB), frees it, writes 600 MiB again, frees; 3 idle',
    durationMs: 240_000,
    vms: (count, rnd) =>
      groups(count, rnd, (i, role, off, seed) => ({
        name: `vm${i}`,
        tmpfs: true,
        memory:
          role === 0
            ? sum(idle(seed), burst(20_000 + off, 20, 1200, 120_000 + off), burst(150_000 + off, 20, 600, 210_000 + off))
            : idle(seed),
      })),
  },
  {
    name: 'all-past-budget',
    description: 'every VM allocates 680 MiB at 20/15/10/8 MiB/s (anonymous memory): demand exceeds the budget; frees at 150-180 s',
    durationMs: 240_000,
    vms: (count, rnd) =>
      groups(count, rnd, (i, role, off, seed) => ({
        name: `vm${i}`,
        tmpfs: false,
        memory: sum(idle(seed), burst(10_000 + off, [20, 15, 10, 8][role] ?? 10, 680, 150_000 + role * 10_000 + off)),
      })),
  },
  {
    name: 'half-free-half-consume',
    description: 'every VM writes 480 MiB into tmpfs at 20 MiB/s; at 60 s half free it, half keep writing 10 MiB/s (+540 MiB); all free at 180 s',
    durationMs: 240_000,
    vms: (count, rnd) =>
      groups(count, rnd, (i, role, off, seed) => ({
        name: `vm${i}`,
        tmpfs: true,
        memory:
          role % 2 === 0
            ? sum(idle(seed), burst(5_000 + off, 20, 480, 60_000 + off))
            : sum(idle(seed), burst(5_000 + off, 20, 480, 180_000 + off), burst(60_000 + off, 10, 540, 180_000 + off)),
      })),
  },
];
