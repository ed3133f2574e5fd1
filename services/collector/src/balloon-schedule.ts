import type { VmReport } from '@ballast/domain';

type Balloon = NonNullable<VmReport['balloon']>;

export interface BalloonScheduleOptions {
  /** A VM whose guest-used memory moved by at least this much since its previous read is "moving". */
  movingKiB: number;
  /** A moving VM is read every cycle until it has been steady for this long. */
  settleMs: number;
  /** A steady VM is read at least this often (the policy never sees figures older than this plus one interval). */
  steadyMs: number;
}

export const DEFAULT_BALLOON_SCHEDULE: BalloonScheduleOptions = { movingKiB: 8192, settleMs: 10_000, steadyMs: 3_000 };

interface VmState {
  lastReadMs: number;
  lastMovedMs: number;
  usedKiB: number | undefined;
  due: boolean;
}

/** Guest-used memory (the balloon's actual size less what the guest leaves unused), when the guest reports it. */
function usedKiB(b: Balloon): number | undefined {
  return b.hasGuestStats ? b.actualKiB - b.unusedKiB : undefined;
}

/**
 * When to read each VM's balloon stats (the costly part of a cycle: a QEMU monitor round trip per VM): every cycle
 * while its memory use moves (and for settleMs after), every steadyMs while it is steady, at once after a
 * balloon-change event (the actuator or the guest moved the balloon), and on a VM's first cycle. Pure: the clock
 * comes in with each call.
 */
export class BalloonSchedule {
  private readonly vms = new Map<string, VmState>();

  constructor(private readonly opts: BalloonScheduleOptions = DEFAULT_BALLOON_SCHEDULE) {}

  /** Whether to read this VM's balloon in the cycle at nowMs. */
  wants(uuid: string, nowMs: number): boolean {
    const s = this.vms.get(uuid);
    if (!s || s.due) return true;
    if (nowMs - s.lastMovedMs < this.opts.settleMs) return true;
    return nowMs - s.lastReadMs >= this.opts.steadyMs;
  }

  /** Records a read at nowMs. */
  read(uuid: string, balloon: Balloon, nowMs: number): void {
    const used = usedKiB(balloon);
    const prev = this.vms.get(uuid);
    const moved = !prev || prev.usedKiB === undefined || used === undefined || Math.abs(used - prev.usedKiB) >= this.opts.movingKiB;
    this.vms.set(uuid, { lastReadMs: nowMs, lastMovedMs: moved ? nowMs : (prev?.lastMovedMs ?? nowMs), usedKiB: used, due: false });
  }

  /** A balloon-change event: read this VM in the next cycle. */
  changed(uuid: string): void {
    const s = this.vms.get(uuid);
    if (s) s.due = true;
  }

  retain(live: Set<string>): void {
    for (const uuid of this.vms.keys()) if (!live.has(uuid)) this.vms.delete(uuid);
  }
}
