/**
 * Holds: a manual job holds its target's resource (a VM's memory, a host's KSM) against policies for a
 * while. In memory; the engine's HoldStore persists it to Redis.
 */
export interface Hold {
  resource: string;
  untilMs: number;
  jobId?: string;
}

export class HoldBook {
  private readonly holds = new Map<string, Hold>();

  /** `targetKey`: a VM's UUID, or `host:<id>` (targetKeyOf). */
  set(targetKey: string, hold: Hold): string {
    const field = `${targetKey}/${hold.resource}`;
    this.holds.set(field, hold);
    return field;
  }

  /** The holds on a target that have not ended, by resource. */
  active(targetKey: string, nowMs: number): { resource: string; untilMs: number }[] {
    const out: { resource: string; untilMs: number }[] = [];
    for (const [field, h] of this.holds) {
      if (field.startsWith(`${targetKey}/`) && h.untilMs > nowMs) out.push({ resource: h.resource, untilMs: h.untilMs });
    }
    return out.sort((a, b) => a.resource.localeCompare(b.resource));
  }

  isHeld(targetKey: string, resource: string, nowMs: number): boolean {
    const h = this.holds.get(`${targetKey}/${resource}`);
    return h !== undefined && h.untilMs > nowMs;
  }

  /**
   * Ends the hold a job put on a target's resource (its job was cancelled); returns its field, or undefined
   * when that hold is not there or belongs to another job now (a later manual job replaced it).
   */
  release(targetKey: string, resource: string, jobId: string): string | undefined {
    const field = `${targetKey}/${resource}`;
    if (this.holds.get(field)?.jobId !== jobId) return undefined;
    this.holds.delete(field);
    return field;
  }

  /** Forgets holds that ended; returns their fields. */
  expire(nowMs: number): string[] {
    const gone: string[] = [];
    for (const [field, h] of this.holds) {
      if (h.untilMs <= nowMs) {
        this.holds.delete(field);
        gone.push(field);
      }
    }
    return gone;
  }

  /** Forgets every hold (before the book is read back whole from storage). */
  protected clear(): void {
    this.holds.clear();
  }

  /** Restores a hold read back from storage under its field. */
  restore(field: string, hold: Hold): void {
    this.holds.set(field, hold);
  }
}
