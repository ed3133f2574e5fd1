/**
 * Recommendations of the cluster policy (moves it would make where a VM's or the policy's automation is
 * `recommend`), kept in Redis so they survive an engine restart; approved (the move is enqueued as a
 * migrate job) or rejected over the API. Each carries the imbalance before, the imbalance predicted after,
 * and once applied the imbalance observed after (the next cycle's, with the VM seen on its destination).
 *
 * Life: pending → approved → applied | failed; pending → rejected; pending → expired (the policy stopped
 * recommending it for `expireMs`, or recommends another host for the VM). A rejected move is not
 * recommended again for `rejectHoldMs`.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ActionOf, JobOutcome } from '@ballast/domain';
import type { CycleDecision } from '@ballast/cycle';

const KEY = 'ballast:recommendations';

export type RecommendationState = 'pending' | 'approved' | 'rejected' | 'applied' | 'failed' | 'expired';

export interface Recommendation {
  id: string;
  policy: string;
  vmUuid: string;
  vmName: string;
  from: string;
  to: string;
  /** What kind of move: balance, maintenance, rule, pressure, should. */
  move: string;
  priority: number;
  reason: string;
  imbalanceBefore: number;
  predictedAfter: number;
  observedAfter?: number;
  action: ActionOf<'migrate'>;
  state: RecommendationState;
  createdAtMs: number;
  updatedAtMs: number;
  decidedAtMs?: number;
  note?: string;
  jobId?: string;
  appliedAtMs?: number;
  error?: string;
}

export interface RecommendationOptions {
  now: () => number;
  /** A pending recommendation the policy has not repeated for this long expires (default 60 s). */
  expireMs?: number;
  /** A rejected move is not recommended again for this long (default 1 h). */
  rejectHoldMs?: number;
  /** Finished recommendations are kept this long (default 24 h). */
  keepMs?: number;
}

interface Inputs {
  move?: string;
  priority?: number;
  imbalanceBefore?: number;
  imbalanceAfter?: number;
  to?: string;
  from?: string;
  vm?: string;
  action?: ActionOf<'migrate'>;
}

/** A cluster policy decision that is a recommendation: kind recommend, or a move whose job was not sent because automation is recommend. */
function asRecommendation(d: CycleDecision): Inputs | undefined {
  const i = d.inputs as Inputs | undefined;
  if (!i?.action || i.action.type !== 'migrate' || d.vmUuid === undefined) return undefined;
  if (d.kind === 'recommend') return i;
  if (d.kind === 'move' && (d.jobs ?? []).some((j) => j.skipped?.startsWith('automation is recommend'))) return i;
  return undefined;
}

export class RecommendationStore {
  private readonly recs = new Map<string, Recommendation>();
  private readonly o: Required<RecommendationOptions>;
  /** Called with each recommendation saved (new or changed), e.g. to publish events. */
  onSaved?: (r: Recommendation) => void;

  constructor(
    private readonly redis: Redis,
    o: RecommendationOptions,
  ) {
    this.o = { expireMs: 60_000, rejectHoldMs: 3_600_000, keepMs: 24 * 3_600_000, ...o };
  }

  async load(): Promise<void> {
    for (const v of Object.values(await this.redis.hgetall(KEY))) {
      const r = JSON.parse(v) as Recommendation;
      this.recs.set(r.id, r);
    }
  }

  /** Moves rejected lately: the cluster policy does not plan them again until the hold ends (so it recommends something else). */
  vetoes(): { vmUuid: string; toHost: string; untilMs: number }[] {
    const now = this.o.now();
    return [...this.recs.values()]
      .filter((r) => r.state === 'rejected' && (r.decidedAtMs ?? 0) + this.o.rejectHoldMs > now)
      .map((r) => ({ vmUuid: r.vmUuid, toHost: r.to, untilMs: (r.decidedAtMs ?? 0) + this.o.rejectHoldMs }));
  }

  list(filter: { state?: RecommendationState } = {}): Recommendation[] {
    return [...this.recs.values()].filter((r) => !filter.state || r.state === filter.state).sort((a, b) => a.priority - b.priority || b.createdAtMs - a.createdAtMs);
  }

  get(id: string): Recommendation | undefined {
    return this.recs.get(id);
  }

  private async save(changed: Iterable<Recommendation>): Promise<void> {
    const list = [...changed];
    if (list.length === 0) return;
    await this.redis.hset(KEY, Object.fromEntries(list.map((r) => [r.id, JSON.stringify(r)])));
    for (const r of list) this.onSaved?.(r);
  }

  /**
   * After a cycle: record its recommendations, expire those no longer made, follow approved ones to their
   * job's outcome and observe the imbalance after an applied one. `imbalance`: this cycle's, before its moves.
   */
  async afterCycle(
    decisions: readonly CycleDecision[],
    imbalance: number | undefined,
    outcomes: (ids: string[]) => Promise<ReadonlyMap<string, JobOutcome>>,
    hostOf: (vmUuid: string) => string | undefined,
  ): Promise<void> {
    const now = this.o.now();
    const changed = new Set<Recommendation>();
    const seen = new Set<string>();
    for (const d of decisions) {
      const i = asRecommendation(d);
      if (i) this.record(d, i, now, seen, changed);
    }
    for (const r of this.recs.values()) {
      if (r.state === 'pending' && !seen.has(r.id) && now - r.updatedAtMs > this.o.expireMs) {
        Object.assign(r, { state: 'expired', updatedAtMs: now, note: 'the policy no longer recommends it' });
        changed.add(r);
      }
    }
    await this.follow(outcomes, hostOf, imbalance, now, changed);
    await this.save(changed);
    await this.prune(now);
  }

  private record(d: CycleDecision, i: Inputs, now: number, seen: Set<string>, changed: Set<Recommendation>): void {
    const vmUuid = d.vmUuid as string;
    const to = (i.action as ActionOf<'migrate'>).targetHost;
    const rejected = [...this.recs.values()].find((r) => r.vmUuid === vmUuid && r.to === to && r.state === 'rejected' && now - (r.decidedAtMs ?? 0) < this.o.rejectHoldMs);
    if (rejected) return;
    const open = [...this.recs.values()].find((r) => r.vmUuid === vmUuid && (r.state === 'pending' || r.state === 'approved'));
    if (open?.state === 'approved') return;
    const fields = {
      move: i.move ?? 'balance',
      priority: i.priority ?? 5,
      reason: d.reason,
      imbalanceBefore: i.imbalanceBefore ?? 0,
      predictedAfter: i.imbalanceAfter ?? 0,
      action: i.action as ActionOf<'migrate'>,
      from: i.from ?? d.hostId ?? '',
      updatedAtMs: now,
    };
    if (open && open.to === to) {
      Object.assign(open, fields);
      seen.add(open.id);
      changed.add(open);
      return;
    }
    if (open) {
      Object.assign(open, { state: 'expired', updatedAtMs: now, note: `superseded: the policy now recommends ${to}` });
      changed.add(open);
    }
    const r: Recommendation = { id: randomUUID(), policy: d.policy, vmUuid, vmName: i.vm ?? vmUuid, to, state: 'pending', createdAtMs: now, ...fields };
    this.recs.set(r.id, r);
    seen.add(r.id);
    changed.add(r);
  }

  private async follow(
    outcomes: (ids: string[]) => Promise<ReadonlyMap<string, JobOutcome>>,
    hostOf: (vmUuid: string) => string | undefined,
    imbalance: number | undefined,
    now: number,
    changed: Set<Recommendation>,
  ): Promise<void> {
    const approved = [...this.recs.values()].filter((r) => r.state === 'approved' && r.jobId);
    const out = approved.length > 0 ? await outcomes(approved.map((r) => r.jobId as string)) : new Map<string, JobOutcome>();
    for (const r of approved) {
      const o = out.get(r.jobId as string);
      if (o?.state === 'succeeded') Object.assign(r, { state: 'applied', appliedAtMs: now, updatedAtMs: now });
      else if (o?.state === 'failed') Object.assign(r, { state: 'failed', error: o.error ?? 'the job failed', updatedAtMs: now });
      else continue;
      changed.add(r);
    }
    for (const r of this.recs.values()) {
      if (r.state !== 'applied' || r.observedAfter !== undefined || imbalance === undefined) continue;
      if (hostOf(r.vmUuid) !== r.to || now <= (r.appliedAtMs ?? now)) continue;
      r.observedAfter = imbalance;
      r.updatedAtMs = now;
      changed.add(r);
    }
  }

  private async prune(now: number): Promise<void> {
    const old = [...this.recs.values()].filter((r) => r.state !== 'pending' && r.state !== 'approved' && now - r.updatedAtMs > this.o.keepMs);
    for (const r of old) this.recs.delete(r.id);
    if (old.length > 0) await this.redis.hdel(KEY, ...old.map((r) => r.id));
  }

  /** Approves a pending recommendation: `submit` enqueues its move and returns the job id. */
  async approve(id: string, submit: (r: Recommendation) => Promise<string>, note?: string): Promise<Recommendation | { error: string; state?: RecommendationState }> {
    const r = this.recs.get(id);
    if (!r) return { error: 'not_found' };
    if (r.state !== 'pending') return { error: 'not_pending', state: r.state };
    const jobId = await submit(r);
    const now = this.o.now();
    Object.assign(r, { state: 'approved', jobId, decidedAtMs: now, updatedAtMs: now, ...(note ? { note } : {}) });
    await this.save([r]);
    return r;
  }

  async reject(id: string, note?: string): Promise<Recommendation | { error: string; state?: RecommendationState }> {
    const r = this.recs.get(id);
    if (!r) return { error: 'not_found' };
    if (r.state !== 'pending') return { error: 'not_pending', state: r.state };
    const now = this.o.now();
    Object.assign(r, { state: 'rejected', decidedAtMs: now, updatedAtMs: now, ...(note ? { note } : {}) });
    await this.save([r]);
    return r;
  }
}
