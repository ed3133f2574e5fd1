/** A cycle wired to in-memory ports, for the cycle's own tests. */
import type { JobOutcome, JobSpec, Policy } from '@ballast/domain';
import { PolicyRegistry } from '@ballast/domain';
import { ClusterState } from './cluster-state.js';
import { HoldBook } from './hold-book.js';
import { PolicyCycle } from './policy-cycle.js';
import type { StopPort } from './stop-port.js';
import type { PolicyConfigEntry } from './validate-policies.js';

export interface Kit {
  now: { t: number };
  holds: HoldBook;
  state: ClusterState;
  enqueued: JobSpec[];
  /** What the fake queue answers for each job id (default: queued). */
  outcomes: Map<string, JobOutcome>;
  cycle: PolicyCycle;
}

/** `derivedIds`: the engine's job ids (job-id.ts) instead of job-1, job-2, … */
export function kit(policies: Policy<unknown>[], entries: PolicyConfigEntry[], stops?: StopPort, o: { derivedIds?: boolean; enqueueDelayMs?: number } = {}): Kit {
  const now = { t: 1_000_000 };
  const holds = new HoldBook();
  const state = new ClusterState({ windowSize: 5, staleAfterIntervals: 3, now: () => now.t }, holds);
  const enqueued: JobSpec[] = [];
  const outcomes = new Map<string, JobOutcome>();
  const registry = new PolicyRegistry();
  for (const p of policies) registry.register(p);
  let n = 0;
  const cycle = new PolicyCycle(registry, entries, {
    state,
    holds,
    enqueue: async (specs) => {
      if (o.enqueueDelayMs) await new Promise((r) => setTimeout(r, o.enqueueDelayMs));
      enqueued.push(...specs);
    },
    outcomes: async (ids) => new Map(ids.flatMap((id) => (outcomes.has(id) ? [[id, outcomes.get(id) as JobOutcome] as const] : []))),
    ...(o.derivedIds ? {} : { newId: () => `job-${++n}` }),
    ...(stops ? { stops } : {}),
  });
  return { now, holds, state, enqueued, outcomes, cycle };
}

export const failed = (error: string): JobOutcome => ({ state: 'failed', error, attempts: 1 });
export const succeeded: JobOutcome = { state: 'succeeded', attempts: 1, result: { message: 'done', alreadyThere: false } };
