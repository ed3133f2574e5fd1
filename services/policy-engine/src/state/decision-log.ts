import type { Decision } from '@ballast/domain';

export interface LoggedDecision extends Decision {
  policy: string;
  atMs: number;
}

/** The last decisions of each VM (and of hosts), newest last, bounded in memory. */
export class DecisionLog {
  private readonly byKey = new Map<string, LoggedDecision[]>();

  constructor(private readonly perKey = 100) {}

  add(list: LoggedDecision[]): void {
    for (const d of list) {
      const key = d.vmUuid ?? `host:${d.hostId ?? '-'}`;
      const arr = this.byKey.get(key) ?? [];
      arr.push(d);
      if (arr.length > this.perKey) arr.splice(0, arr.length - this.perKey);
      this.byKey.set(key, arr);
    }
  }

  /** Decisions of one VM (by UUID), or of everything, newest first, at most `limit`. */
  list(opts: { vmUuid?: string; limit?: number } = {}): LoggedDecision[] {
    const limit = opts.limit ?? 100;
    const src = opts.vmUuid !== undefined ? (this.byKey.get(opts.vmUuid) ?? []) : [...this.byKey.values()].flat();
    return [...src].sort((a, b) => b.atMs - a.atMs).slice(0, limit);
  }

  /** Drop VMs no longer reported. */
  retain(live: Set<string>): void {
    for (const key of this.byKey.keys()) if (!key.startsWith('host:') && !live.has(key)) this.byKey.delete(key);
  }
}
