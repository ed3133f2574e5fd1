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

  /**
   * Decisions of one VM (by UUID), or of everything, newest first, at most `limit`. `latest`: only each
   * VM's newest decision of each policy (what stands now); `kind`: only decisions of that kind.
   */
  list(opts: { vmUuid?: string; limit?: number; kind?: string; latest?: boolean } = {}): LoggedDecision[] {
    const limit = opts.limit ?? 100;
    let src = opts.vmUuid !== undefined ? (this.byKey.get(opts.vmUuid) ?? []) : [...this.byKey.values()].flat();
    if (opts.latest) {
      const newest = new Map<string, LoggedDecision>();
      for (const d of src) {
        const k = `${d.vmUuid ?? `host:${d.hostId ?? '-'}`}|${d.policy}`;
        const cur = newest.get(k);
        if (!cur || d.atMs >= cur.atMs) newest.set(k, d);
      }
      src = [...newest.values()];
    }
    if (opts.kind !== undefined) src = src.filter((d) => d.kind === opts.kind);
    return [...src].sort((a, b) => b.atMs - a.atMs).slice(0, limit);
  }

  /** Drop VMs no longer reported. */
  retain(live: Set<string>): void {
    for (const key of this.byKey.keys()) if (!key.startsWith('host:') && !live.has(key)) this.byKey.delete(key);
  }
}
