/**
 * What-if replay: a candidate policy document run over recorded reports, touching no host (docs/replay.md).
 *
 * A fresh ClusterState is fed the reports in time order (its clock is each report's receive time), and a
 * fresh PolicyCycle with the candidate runs every `cycleMs` on the grid fromMs + k·cycleMs, from the first
 * report to one cycle after the last. Its ports touch nothing: `enqueue` keeps the jobs, `outcomes` says
 * each job succeeded one cycle after it was made, there are no manual holds. The model is open-loop:
 * the reports do not change in response to replayed jobs, so the answer is what the candidate would
 * have decided on what was observed, not what the cluster would then have become.
 */
import { ClusterState, HoldBook, PolicyCycle, type CycleDecision, type PolicyConfigEntry } from '@ballast/cycle';
import { describeAction, type JobOutcome, type JobSpec, type PolicyRegistry } from '@ballast/domain';
import { ReplayTally, type ReplayMetrics } from './replay-metrics.js';
import type { RecordedSample } from './sample-reader.js';

export interface ReplayOptions {
  registry: PolicyRegistry;
  /** The candidate document, validated (validatePolicies). */
  policies: PolicyConfigEntry[];
  fromMs: number;
  toMs: number;
  cycleMs: number;
  windowSize: number;
  staleAfterIntervals: number;
  /** The replay stops (truncated) after this many cycles. */
  maxCycles: number;
  /** The replay stops (truncated) after running this long, ms; default no limit. */
  maxRunMs?: number;
  /** Decisions and jobs listed (the metrics count them all). */
  limit: number;
  /** List every decision; default only those that made or skipped a job. */
  allDecisions?: boolean;
  /** Longest the replay runs without yielding to the event loop (the engine keeps ingesting and serving), ms; default 20. */
  yieldMs?: number;
}

export interface ReplayJob {
  id: string;
  at: string;
  policy: string;
  type: string;
  hostId: string;
  vm: string | null;
  vmUuid: string | null;
  description: string;
  action: JobSpec['action'];
}

export interface ReplayDecision extends CycleDecision {
  at: string;
}

export interface ReplayResult {
  fromMs: number;
  toMs: number;
  cycleMs: number;
  /** True when maxCycles or maxRunMs stopped it before the end of the window. */
  truncated: boolean;
  metrics: ReplayMetrics;
  decisions: ReplayDecision[];
  jobs: ReplayJob[];
}

const SUCCEEDED: JobOutcome = { state: 'succeeded', attempts: 1, result: { message: 'replayed: assumed to succeed', alreadyThere: false } };

/** A decision worth listing by default: it made a job, or a job of it was not sent. */
const changes = (d: CycleDecision) => (d.jobs?.length ?? 0) > 0 || d.kind === 'skipped' || d.kind === 'conflict';

export async function replayPolicies(samples: AsyncIterable<RecordedSample> | Iterable<RecordedSample>, o: ReplayOptions): Promise<ReplayResult> {
  const clock = { t: o.fromMs };
  const state = new ClusterState({ windowSize: o.windowSize, staleAfterIntervals: o.staleAfterIntervals, now: () => clock.t });
  const tally = new ReplayTally();
  const out: ReplayResult = { fromMs: o.fromMs, toMs: o.toMs, cycleMs: o.cycleMs, truncated: false, metrics: tally.result(), decisions: [], jobs: [] };
  const madeIn = new Map<string, number>();
  let n = 0;
  const cycle = new PolicyCycle(o.registry, o.policies, {
    state,
    holds: new HoldBook(),
    enqueue: async (specs) => {
      const actual = new Map(state.vms().map((v) => [v.uuid, v.balloon ? v.balloon.actualKiB / 1024 : undefined]));
      for (const spec of specs) {
        madeIn.set(spec.id, tally.cycles);
        tally.job(spec, spec.vmUuid !== undefined ? actual.get(spec.vmUuid) : undefined);
        if (out.jobs.length < o.limit) out.jobs.push(jobJson(spec));
      }
    },
    outcomes: async (ids) => new Map(ids.flatMap((id) => ((madeIn.get(id) ?? Infinity) < tally.cycles ? [[id, SUCCEEDED] as const] : []))),
    newId: () => `replay-${++n}`,
  });

  const startedMs = performance.now();
  let yieldedMs = startedMs;
  const runCycle = async (atMs: number): Promise<boolean> => {
    if (tally.cycles >= o.maxCycles || performance.now() - startedMs > (o.maxRunMs ?? Infinity)) return (out.truncated = true), false;
    clock.t = atMs;
    const r = await cycle.run();
    tally.cycle(atMs, r.decisions);
    for (const d of r.decisions) if (out.decisions.length < o.limit && (o.allDecisions || changes(d))) out.decisions.push({ ...d, at: new Date(d.atMs).toISOString() });
    if (performance.now() - yieldedMs > (o.yieldMs ?? 20)) {
      await new Promise((resolve) => setImmediate(resolve));
      yieldedMs = performance.now();
    }
    return true;
  };

  let nextCycle: number | undefined;
  let lastSample: number | undefined;
  for await (const s of samples) {
    if (s.atMs < o.fromMs) continue;
    if (s.atMs > o.toMs) break;
    while (nextCycle !== undefined && nextCycle < s.atMs) {
      if (!(await runCycle(nextCycle))) return finish(out, tally);
      nextCycle += o.cycleMs;
    }
    clock.t = s.atMs;
    state.ingest(s.report);
    tally.sample(s.report.hostId, s.report.vms.map((v) => v.uuid));
    lastSample = s.atMs;
    nextCycle ??= o.fromMs + (Math.floor((s.atMs - o.fromMs) / o.cycleMs) + 1) * o.cycleMs;
  }
  const end = lastSample !== undefined ? Math.min(o.toMs, lastSample + o.cycleMs) : -Infinity;
  while (nextCycle !== undefined && nextCycle <= end) {
    if (!(await runCycle(nextCycle))) break;
    nextCycle += o.cycleMs;
  }
  return finish(out, tally);
}

function finish(out: ReplayResult, tally: ReplayTally): ReplayResult {
  out.metrics = tally.result();
  return out;
}

function jobJson(spec: JobSpec): ReplayJob {
  return {
    id: spec.id,
    at: new Date(spec.createdAtMs).toISOString(),
    policy: spec.policy ?? 'manual',
    type: spec.action.type,
    hostId: spec.hostId,
    vm: spec.vmName ?? null,
    vmUuid: spec.vmUuid ?? null,
    description: describeAction(spec.action),
    action: spec.action,
  };
}
