import type { JobOutcome } from '@ballast/domain';
import type { CycleDecision, DecisionJob } from '@ballast/cycle';

/** A decision as logged: `engine`, the engine replica that made it. */
export type LoggedDecision = CycleDecision & { engine?: string };

/**
 * Decisions kept per VM (and host) and policy by default (BALLAST_DECISIONS_KEPT). Each costs ~1.1 KB of heap: at
 * 200 hosts a replica deciding for 1,340 VMs held 599 MiB of decisions at 100 kept, and a full GC of its heap took
 * 1.7 s; at 20, 171 MiB and 0.6 s (docs/scale.md "Engine memory").
 */
export const DECISIONS_KEPT = 20;

/**
 * The last decisions of each VM (and of hosts), newest last, bounded in memory per VM and policy (so a
 * policy that decides rarely, like a migration, is not pushed out by one that decides every cycle). Each
 * decision carries the jobs it made; their outcomes are filled in as the cycle reads them from the queue.
 */
export class DecisionLog {
  /** VM uuid (or host:<id>) → policy → decisions. */
  private readonly byKey = new Map<string, Map<string, LoggedDecision[]>>();
  /** Job id → the job entry of the decision that made it (updated in place with its outcome). */
  private readonly jobs = new Map<string, DecisionJob>();

  constructor(private readonly perKey = DECISIONS_KEPT) {}

  add(list: LoggedDecision[]): void {
    for (const d of list) {
      const key = d.vmUuid ?? `host:${d.hostId ?? '-'}`;
      const policies = this.byKey.get(key) ?? new Map<string, LoggedDecision[]>();
      const arr = policies.get(d.policy) ?? [];
      arr.push(d);
      for (const j of d.jobs ?? []) if (j.id !== undefined) this.jobs.set(j.id, j);
      if (arr.length > this.perKey) this.forget(arr.splice(0, arr.length - this.perKey));
      policies.set(d.policy, arr);
      this.byKey.set(key, policies);
    }
  }

  /** Records job outcomes against the decisions that made the jobs. */
  applyOutcomes(outcomes: ReadonlyMap<string, JobOutcome>): void {
    for (const [id, o] of outcomes) {
      const j = this.jobs.get(id);
      if (!j) continue;
      j.state = o.state;
      if (o.error !== undefined) j.error = o.error;
      if (o.result !== undefined) j.result = o.result;
    }
  }

  /**
   * Decisions of one VM (by UUID), or of everything, newest first, at most `limit`. `latest`: only what
   * stands now — for each VM and policy, the decisions of its newest cycle (the policy's decision and any
   * job it could not send); `kind`: only decisions of that kind.
   */
  list(opts: { vmUuid?: string; limit?: number; kind?: string; latest?: boolean } = {}): LoggedDecision[] {
    const limit = opts.limit ?? 100;
    const of = (m: Map<string, LoggedDecision[]> | undefined) => [...(m?.values() ?? [])].flat();
    let src = opts.vmUuid !== undefined ? of(this.byKey.get(opts.vmUuid)) : [...this.byKey.values()].flatMap(of);
    if (opts.latest) {
      const newest = new Map<string, number>();
      const keyOf = (d: LoggedDecision) => `${d.vmUuid ?? `host:${d.hostId ?? '-'}`}|${d.policy}`;
      for (const d of src) newest.set(keyOf(d), Math.max(newest.get(keyOf(d)) ?? -Infinity, d.atMs));
      src = src.filter((d) => d.atMs === newest.get(keyOf(d)));
    }
    if (opts.kind !== undefined) src = src.filter((d) => d.kind === opts.kind);
    return [...src].sort((a, b) => b.atMs - a.atMs).slice(0, limit);
  }

  /**
   * The newest `perPolicy` decisions of each of these subjects (VM UUIDs, `host:<id>`) and policy, oldest first:
   * what is saved for the replica that takes a host over (decision-store.ts).
   */
  snapshot(subjects: readonly string[], perPolicy: number): LoggedDecision[] {
    const out: LoggedDecision[] = [];
    for (const key of subjects) for (const arr of this.byKey.get(key)?.values() ?? []) out.push(...arr.slice(-perPolicy));
    return out.sort((a, b) => a.atMs - b.atMs);
  }

  /** Decisions made elsewhere (a host taken over): those of subjects and policies with nothing here are added. */
  restore(list: readonly LoggedDecision[]): number {
    const fresh = list.filter((d) => (this.byKey.get(d.vmUuid ?? `host:${d.hostId ?? '-'}`)?.get(d.policy)?.length ?? 0) === 0);
    this.add([...fresh].sort((a, b) => a.atMs - b.atMs));
    return fresh.length;
  }

  /** Drop VMs no longer reported. */
  retain(live: Set<string>): void {
    for (const [key, policies] of this.byKey) {
      if (key.startsWith('host:') || live.has(key)) continue;
      for (const arr of policies.values()) this.forget(arr);
      this.byKey.delete(key);
    }
  }

  private forget(dropped: LoggedDecision[]): void {
    for (const d of dropped) for (const j of d.jobs ?? []) if (j.id !== undefined) this.jobs.delete(j.id);
  }
}
