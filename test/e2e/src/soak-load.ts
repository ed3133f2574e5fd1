/**
 * The soak's changing load on the lab guests: at every step each guest gets a random CPU duty cycle and a random
 * memory move (consume some MiB at some rate into tmpfs, free it all, or hold), from a seeded generator so a run
 * can be repeated. What a guest holds is bounded (SOAK_MAX_HELD_MIB) so that the load stays what a guest survives
 * with the memory policy doing its job: a guest that dies anyway is what the soak is there to find.
 */
import { mulberry32 } from '@ballast/domain';
import { setLoad } from './cpu-lab.js';
import { consume, labMem } from './memory-lab.js';

/** The seeded generator loads are drawn from (so a run can be repeated). */
export const seededRandom = mulberry32;

export interface LoadLimits {
  /** Duty cycles (percent of one vCPU) a step picks from; 0 stops the CPU load. */
  dutiesPercent: number[];
  /** Most a guest holds in tmpfs at once, MiB. */
  maxHeldMiB: number;
  /** A consume step takes this many MiB at most (at least 20). */
  maxStepMiB: number;
  /** Its rate, MiB/s, picked between these. */
  rateMiBs: [number, number];
}

export const DEFAULT_LIMITS: LoadLimits = { dutiesPercent: [0, 0, 20, 40, 60, 80], maxHeldMiB: 300, maxStepMiB: 150, rateMiBs: [5, 25] };

/** One step's change of one guest, as applied (for the report). */
export interface LoadChange {
  vm: string;
  dutyPercent: number;
  memory: 'hold' | 'free' | { consumeMiB: number; rateMiBs: number };
  /** What the guest said it held before the step (MiB). */
  heldMiB: number;
  error?: string;
}

export class SoakLoad {
  private readonly rnd: () => number;

  constructor(
    private readonly vms: string[],
    seed: number,
    private readonly limits: LoadLimits = DEFAULT_LIMITS,
  ) {
    this.rnd = seededRandom(seed);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)] as T;
  }

  /** Draws and applies a new load for every guest. */
  async step(): Promise<LoadChange[]> {
    // draw every guest's change first, in guest order, so the sequence does not depend on I/O timing
    const plans = this.vms.map((vm) => ({ vm, duty: this.pick(this.limits.dutiesPercent), roll: this.rnd(), size: this.rnd(), rate: this.rnd() }));
    return Promise.all(plans.map((p) => this.apply(p.vm, p.duty, p.roll, p.size, p.rate)));
  }

  private async apply(vm: string, dutyPercent: number, roll: number, size: number, rate: number): Promise<LoadChange> {
    const change: LoadChange = { vm, dutyPercent, memory: 'hold', heldMiB: 0 };
    try {
      await setLoad(vm, dutyPercent);
      change.heldMiB = ((JSON.parse(await labMem(vm)) as { consumedMiB?: number }).consumedMiB ?? 0);
      const room = this.limits.maxHeldMiB - change.heldMiB;
      if (roll < 0.25 || room < 20) {
        await labMem(vm, '--free');
        change.memory = 'free';
      } else if (roll < 0.7) {
        const consumeMiB = Math.round(20 + size * (Math.min(room, this.limits.maxStepMiB) - 20));
        const [lo, hi] = this.limits.rateMiBs;
        const rateMiBs = Math.round(lo + rate * (hi - lo));
        await consume(vm, consumeMiB, rateMiBs);
        change.memory = { consumeMiB, rateMiBs };
      }
    } catch (e) {
      change.error = (e as Error).message.split('\n')[0];
    }
    return change;
  }

  /** Every guest without load: CPU stopped, memory freed (errors ignored: a guest may be gone). */
  async stop(): Promise<void> {
    await Promise.all(
      this.vms.map(async (vm) => {
        await setLoad(vm, 0).catch(() => undefined);
        await labMem(vm, '--free').catch(() => undefined);
      }),
    );
  }
}
