/**
 * Which happenings become events, and their shapes (pure). Decisions are many — every policy decides about
 * every VM every cycle — so a decision is an event only when it sent a job, or when what its policy
 * decided about that VM (or host) changed since the previous cycle: the set of its decision kinds differs
 * (a VM that turns `stale`, a balloon that goes from `hold` to `grow`). A decision repeated cycle after
 * cycle is one event, not one per cycle; nothing is an event on its first sighting after a start.
 */
import type { JobOutcome, JobSpec } from '@ballast/domain';
import type { CycleDecision } from '@ballast/cycle';
import type { Recommendation, RecommendationState } from '../cluster/recommendation-store.js';
import { recommendationJson } from '../cluster/cluster-routes.js';
import { decisionJson } from '../http/api-views.js';
import type { EventInput, JobAction, RecommendationAction } from './event-types.js';

const subjectOf = (d: CycleDecision) => `${d.vmUuid ?? `host:${d.hostId ?? '-'}`}|${d.policy}`;

/** Picks the decisions of each cycle that are events (see the file's comment). */
export class DecisionEventFilter {
  /** Subject|policy → the sorted kinds of its decisions in the previous cycle. */
  private last = new Map<string, string>();

  pick(decisions: readonly CycleDecision[]): CycleDecision[] {
    const groups = new Map<string, CycleDecision[]>();
    for (const d of decisions) groups.set(subjectOf(d), [...(groups.get(subjectOf(d)) ?? []), d]);
    const next = new Map<string, string>();
    const out: CycleDecision[] = [];
    for (const [subject, list] of groups) {
      const kinds = [...new Set(list.map((d) => d.kind))].sort().join(',');
      next.set(subject, kinds);
      const before = this.last.get(subject);
      const changed = before !== undefined && before !== kinds;
      for (const d of list) if (changed || sentJob(d)) out.push(d);
    }
    this.last = next;
    return out;
  }
}

function sentJob(d: CycleDecision): boolean {
  return (d.jobs ?? []).some((j) => j.id !== undefined);
}

export function decisionEvent(d: CycleDecision): EventInput {
  return { type: 'decision', action: d.kind, atMs: d.atMs, ...subject(d.vmUuid, d.hostId), data: decisionJson(d) as unknown as Record<string, unknown> };
}

/** A job event: the job's id, type, VM, host and source, with its error or result message once finished. */
export function jobEvent(spec: JobSpec, action: JobAction, atMs: number, outcome?: JobOutcome): EventInput {
  const data = {
    id: spec.id,
    type: spec.action.type,
    ...(spec.vmName !== undefined ? { vm: spec.vmName, vmUuid: spec.vmUuid } : {}),
    host: spec.hostId,
    source: spec.source,
    ...(spec.policy !== undefined ? { policy: spec.policy } : {}),
    state: action === 'submitted' ? 'queued' : action,
    ...(outcome?.error !== undefined ? { error: outcome.error } : {}),
    ...(outcome?.result !== undefined ? { result: outcome.result.message } : {}),
    ...(outcome?.attempts !== undefined ? { attempts: outcome.attempts } : {}),
  };
  return { type: 'job', action, atMs, ...subject(spec.vmUuid, spec.hostId), data };
}

/** What a cycle adds to the bus: its event-worthy decisions, the jobs it enqueued, the jobs that finished. */
export function cycleEvents(
  r: { atMs: number; decisions: readonly CycleDecision[]; enqueued: readonly JobSpec[]; outcomes: ReadonlyMap<string, JobOutcome> },
  filter: DecisionEventFilter,
  specOf: (jobId: string) => JobSpec | undefined,
): EventInput[] {
  const out = filter.pick(r.decisions).map(decisionEvent);
  for (const spec of r.enqueued) out.push(jobEvent(spec, 'submitted', r.atMs));
  for (const [id, o] of r.outcomes) {
    const spec = specOf(id);
    if (spec && (o.state === 'succeeded' || o.state === 'failed')) out.push(jobEvent(spec, o.state, o.finishedAtMs ?? r.atMs, o));
  }
  return out;
}

/**
 * Turns saved recommendations into events when their state changed: `new` when one appears pending, then
 * approved, rejected, applied, failed or expired. A pending one refreshed by the next cycle is no event.
 */
export class RecommendationEventFilter {
  private readonly states = new Map<string, RecommendationState>();

  /** The states already known (at start), so a restart does not announce them again. */
  seed(recs: readonly Recommendation[]): void {
    for (const r of recs) this.states.set(r.id, r.state);
  }

  changed(r: Recommendation, atMs: number): EventInput | undefined {
    const before = this.states.get(r.id);
    this.states.set(r.id, r.state);
    if (before === r.state) return undefined;
    const action: RecommendationAction = r.state === 'pending' ? 'new' : r.state;
    this.prune();
    return { type: 'recommendation', action, atMs, vmUuid: r.vmUuid, hostId: r.from, data: recommendationJson(r) };
  }

  /** Bounds the map: finished recommendations leave it once it is large. */
  private prune(): void {
    if (this.states.size < 10_000) return;
    for (const [id, s] of this.states) if (s !== 'pending' && s !== 'approved') this.states.delete(id);
  }
}

function subject(vmUuid: string | undefined, hostId: string | undefined): { vmUuid?: string; hostId?: string } {
  return { ...(vmUuid !== undefined ? { vmUuid } : {}), ...(hostId !== undefined ? { hostId } : {}) };
}
