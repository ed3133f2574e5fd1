/**
 * One policy cycle, generic: it knows no job type and no policy. Each cycle:
 *
 *   1. read the outcomes of the jobs still pending (the queue), and build the snapshot: hosts and VMs from
 *      the cluster state, plus every tracked job with `inFlight` by the rule of the policy that made it;
 *   2. run the enabled policies in order (Policy.order, then name); each sees the signals the policies
 *      before it published this cycle;
 *   3. decide each planned job (decide-job.ts): the first policy in order to set a key this cycle wins it
 *      (a later one's job is a `conflict` decision); a job is otherwise skipped — as a `skipped` decision
 *      with the reason — for a VM that does not run (crashed, shut off: NOT_RUNNING), in recommend mode, on
 *      a stale host, when a manual job holds the resource, when the same target is in flight, or while the
 *      same target backs off after failing twice or more;
 *   4. enqueue the rest at once, track them, and link each job to the decision that made it.
 *
 * Stop switches (stop-port.ts): a job for an opted-out VM, or any job while the cluster is paused, is a
 * `suppressed` decision instead: decided and recorded, never sent nor tracked.
 */
import {
  describeAction,
  jobKeyOf,
  JOB_SCHEMA_VERSION,
  type ClusterSnapshot,
  type Decision,
  type JobOutcome,
  type JobRecord,
  type JobResult,
  type JobSpec,
  type JobState,
  type PlannedJob,
  type Policy,
  type PolicyRegistry,
} from '@ballast/domain';
import { decideJob, type Verdict } from './decide-job.js';
import { policyJobId, type JobIdBasis } from './job-id.js';
import { JobTracker, type TrackedJob } from './job-tracker.js';
import type { StopPort } from './stop-port.js';
import { validatePolicies, type PolicyConfigEntry } from './validate-policies.js';
import { selects } from './vm-selector.js';
import { everyHostPolicies, ownedBy, type OwnedHosts, type PlanViews } from './plan-scope.js';
import { laps } from './laps.js';
import { ownParts, sharedView, sharingOf, type SharedSignalsPort, type Sharing } from './shared-signals.js';

/** What the cycle needs from its surroundings (the engine: Redis and the ingest stream; a bench: a simulator). */
export interface CyclePorts {
  state: { snapshot(): Pick<ClusterSnapshot, 'nowMs' | 'hosts' | 'vms'> & Partial<Pick<ClusterSnapshot, 'migrations' | 'vetoedMoves'>> };
  holds: { isHeld(targetKey: string, resource: string, nowMs: number): boolean };
  enqueue(specs: JobSpec[]): Promise<void>;
  outcomes(ids: readonly string[]): Promise<ReadonlyMap<string, JobOutcome>>;
  /**
   * A job's id; default policyJobId (job-id.ts): derived from the decision and its sample, so replicas
   * deciding the same thing enqueue one job. Tests and the replay name jobs their own way.
   */
  newId?: (basis: JobIdBasis) => string;
  /** The operator's stop switches (cluster pause, per-VM opt-outs); none when absent. */
  stops?: StopPort;
  /**
   * Where the tracked jobs are also kept (the engine's job journal in Redis), so the replica that takes a
   * host over knows the jobs in flight for it (adopt). Its calls never reject.
   */
  journal?: JobJournalPort;
  /**
   * Where replicas share the signals a cluster-wide policy reads (shared-signals.ts): without it, the replica
   * running that policy plans the per-host policies whose signals it reads on every host.
   */
  sharedSignals?: SharedSignalsPort;
}

export interface JobJournalPort {
  saved(jobs: readonly TrackedJob[]): Promise<void>;
  dropped(jobs: readonly JobSpec[]): Promise<void>;
}

/** A job a decision made, or would have made, and what became of it. */
export interface DecisionJob {
  key: string;
  type: string;
  description: string;
  /** Set when it was enqueued. */
  id?: string;
  /** Why it was not enqueued. */
  skipped?: string;
  state?: JobState;
  error?: string;
  result?: JobResult;
}

export interface CycleDecision extends Decision {
  policy: string;
  atMs: number;
  jobs?: DecisionJob[];
}

export interface CycleResult {
  atMs: number;
  enqueued: JobSpec[];
  /** The policies' decisions (with their jobs), then a `skipped`, `conflict` or `suppressed` decision per job not sent. */
  decisions: CycleDecision[];
  /** Job outcomes that changed since the last cycle, by job id (for decision logs). */
  outcomes: Map<string, JobOutcome>;
  /** What the policies published this cycle (e.g. resource bounds, for placement advice between cycles). */
  signals: Readonly<Record<string, unknown>>;
  /** How long each step of the cycle took, ms: job outcomes read, policies planned and jobs decided, enqueue, journal. */
  phasesMs: CyclePhasesMs;
  /**
   * Signal parts (shared-signals.ts): the hosts whose parts this replica shared, and those whose parts it merged
   * (the replica running a cluster-wide policy); absent when nothing is shared.
   */
  signalParts?: { shared: number; merged: number };
}

/** The steps of PolicyCycle.run, ms (for the engine's ballast_policy_cycle_phase_seconds). */
export interface CyclePhasesMs {
  outcomes: number;
  /** Signal parts read from the other replicas (on the cluster-wide policy's replica), or shared with them. */
  signals: number;
  plan: number;
  enqueue: number;
  journal: number;
}

interface Planned {
  policy: string;
  job: PlannedJob;
  key: string;
  decision: CycleDecision;
}

export class PolicyCycle {
  readonly tracker = new JobTracker();
  private entries: PolicyConfigEntry[] = [];

  constructor(
    private readonly registry: PolicyRegistry,
    policies: PolicyConfigEntry[],
    private readonly ports: CyclePorts,
  ) {
    this.replacePolicies(policies);
  }

  /**
   * Swaps the policy document (hot reload): validated whole first (PolicyDocumentError, and the old one
   * stays), then the next run uses it. The job tracker stays: jobs in flight are still seen as such.
   */
  replacePolicies(policies: PolicyConfigEntry[]): void {
    validatePolicies(this.registry, policies);
    const order = this.registry.runOrder();
    this.entries = [...policies].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  }

  /** The policy entries in force, in run order (args with their defaults filled in). */
  get policies(): readonly PolicyConfigEntry[] {
    return this.entries;
  }

  /** The enabled policies in the order they run. */
  get runOrder(): string[] {
    return this.entries.filter((e) => e.automation !== 'off').map((e) => e.name);
  }

  /** Tracks a job enqueued outside the cycle (a manual job), so policies see it and its outcome. */
  track(spec: JobSpec, nowMs: number): void {
    this.tracker.add(spec, nowMs);
    const e = this.tracker.entry(spec.id);
    if (e) void this.ports.journal?.saved([e]);
  }

  /** Stops tracking a job that was cancelled while queued (it never runs, so it is not in flight). */
  untrack(id: string): void {
    const spec = this.tracker.spec(id);
    this.tracker.forget(id);
    if (spec) void this.ports.journal?.dropped([spec]);
  }

  /** Tracks the jobs another replica sent for hosts this one takes over (from the journal); returns how many were new here. */
  adopt(jobs: readonly TrackedJob[]): number {
    return this.tracker.adopt(jobs);
  }

  /**
   * One cycle. `skip`: policies not to run this time (e.g. cluster-wide ones on an engine without the cluster
   * lease). `owned`: the hosts this engine replica decides for (host leases); the other hosts' jobs and
   * decisions are left to their owners, except those of the policies in `owned.except` (cluster-wide ones).
   */
  async run(opts: { skip?: ReadonlySet<string>; owned?: OwnedHosts } = {}): Promise<CycleResult> {
    const lap = laps();
    const base = this.ports.state.snapshot();
    const outcomes = this.tracker.update(await this.ports.outcomes(this.tracker.pendingIds()), base.nowMs);
    const outcomesMs = lap();
    const records = this.tracker.records(base, (p) => (p !== undefined ? this.registry.get(p)?.inFlight : undefined));
    const sharing = await sharingOf(this.ports.sharedSignals, this.enabledPolicies(), base.hosts, opts);
    const signalsMs = lap();
    const { decisions, planned, signals } = this.planAll(this.views({ ...base, jobs: records, signals: {} }, opts, sharing), opts.skip, opts.owned);
    // the sample's own time (not when this replica received it): two replicas deciding on it make the same job id
    const sampleMs = new Map(base.hosts.map((h) => [h.hostId, h.sampleTakenAtMs || h.lastSampleMs]));
    // a job to send gets its id now; one this engine sent already (the same decision on the same sample) is not sent again
    const specs = this.decideAll(planned, base, records).map((v, i): { v: Verdict; spec?: JobSpec } => {
      const p = planned[i] as Planned;
      if (!v.send) return { v };
      const spec = this.toSpec(p, base.nowMs, sampleMs.get(p.job.hostId) ?? base.nowMs);
      return this.tracker.spec(spec.id) ? { v: skip(`the same job (this decision on the same sample) was sent already: ${spec.id}`) } : { v, spec };
    });
    const enqueued = specs.flatMap((s) => (s.spec ? [s.spec] : []));
    const planMs = lap();
    await this.ports.enqueue(enqueued);
    const enqueueMs = lap();
    planned.forEach((p, i) => {
      const s = specs[i];
      if (!s) return;
      if (s.spec) this.tracker.add(s.spec, base.nowMs, p.key);
      linkJob(p, s.v, s.spec);
      if (!s.v.send) decisions.push(skipDecision(p, s.v, base.nowMs));
    });
    let sharedMs = signalsMs;
    if (sharing?.publish && opts.owned && opts.owned.hosts.size > 0) {
      lap();
      await this.ports.sharedSignals?.publish(ownParts(signals, sharing.shared, opts.owned.hosts));
      sharedMs += lap();
    }
    await this.ports.journal?.saved(enqueued.flatMap((j) => this.tracker.entry(j.id) ?? []));
    const gone = this.tracker.prune(base.nowMs);
    if (gone.length > 0) await this.ports.journal?.dropped(gone);
    const signalParts = sharing ? { shared: sharing.publish ? (opts.owned?.hosts.size ?? 0) : 0, merged: sharing.covered?.size ?? 0 } : undefined;
    const phasesMs = { outcomes: outcomesMs, signals: sharedMs, plan: planMs, enqueue: enqueueMs, journal: lap() };
    return { atMs: base.nowMs, enqueued, decisions, outcomes, signals, phasesMs, ...(signalParts ? { signalParts } : {}) };
  }

  /**
   * What each policy plans from. An engine replica that runs no cluster-wide policy this cycle plans its own
   * hosts only (each host's plan needs only that host: the cost of a cycle is split among the replicas). The one
   * running a cluster-wide policy plans it on every host, and the per-host policies whose signals it reads
   * (Policy.reads and publishes, followed back through the policies before them); the other per-host policies
   * on its own hosts only, as the other replicas do (their jobs and decisions are only those of its own hosts in
   * any case). A policy that does not declare what it publishes counts as read; one that does not declare what
   * it reads, as reading everything. With signals the other replicas shared (shared-signals.ts), those per-host
   * policies are planned on the hosts no shared part covers only (and the owned ones), the parts merged in.
   */
  private views(snapshot: ClusterSnapshot, opts: { skip?: ReadonlySet<string>; owned?: OwnedHosts }, sharing: Sharing | undefined): PlanViews {
    const owned = opts.owned;
    if (!owned) return { own: snapshot, full: snapshot, everyHost: new Set() };
    const own = { ...snapshot, hosts: snapshot.hosts.filter((h) => owned.hosts.has(h.hostId)), vms: snapshot.vms.filter((v) => owned.hosts.has(v.hostId)) };
    const everyHost = everyHostPolicies(this.enabledPolicies().filter((p) => !opts.skip?.has(p.name)), owned.except);
    const shared = sharing ? sharedView(snapshot, sharing) : undefined;
    return { own, full: snapshot, everyHost, ...(shared ? { shared } : {}) };
  }

  /** Runs the enabled policies in order, each seeing the signals of those before it. */
  private planAll(views: PlanViews, skip?: ReadonlySet<string>, owned?: OwnedHosts): { decisions: CycleDecision[]; planned: Planned[]; signals: Record<string, unknown> } {
    const decisions: CycleDecision[] = [];
    const planned: Planned[] = [];
    let signals: Record<string, unknown> = {};
    const snapshot = views.full;
    const hostOf = new Map(snapshot.vms.map((v) => [v.uuid, v.hostId]));
    for (const entry of this.entries) {
      const policy = this.registry.get(entry.name);
      if (entry.automation === 'off' || !policy || skip?.has(entry.name)) continue;
      const plan = policy.plan({ ...this.viewFor(entry.name, views, owned), signals }, entry.args);
      const selected = actsOn(entry, snapshot.vms);
      const mine = owned && !owned.except?.has(entry.name) ? ownedBy(owned.hosts, hostOf) : undefined;
      const acts = mine ? (x: { vmUuid?: string; hostId?: string }) => selected(x) && mine(x) : selected;
      const own = plan.decisions.filter(acts).map((d): CycleDecision => ({ ...d, policy: entry.name, atMs: snapshot.nowMs }));
      decisions.push(...own);
      const ownIndex = new OwnDecisions(own);
      for (const job of plan.jobs.filter(acts)) {
        planned.push({ policy: entry.name, job, key: repeatKey(policy, job), decision: decisionFor(job, ownIndex, decisions, entry.name, snapshot.nowMs) });
      }
      signals = { ...signals, ...Object.fromEntries((plan.signals ?? []).map((s) => [s.name, s.value])) };
      if (views.shared && views.everyHost.has(entry.name)) signals = views.shared.merge(signals, (policy.publishes ?? []).map((s) => s.name));
    }
    return { decisions, planned, signals };
  }

  private enabledPolicies(): Policy<unknown>[] {
    return this.entries.flatMap((e) => {
      const p = e.automation !== 'off' ? this.registry.get(e.name) : undefined;
      return p ? [p] : [];
    });
  }

  /** Own hosts, every host (cluster-wide policies and those they read from), or the hosts no shared signal part covers. */
  private viewFor(name: string, views: PlanViews, owned: OwnedHosts | undefined): ClusterSnapshot {
    if (!views.everyHost.has(name)) return views.own;
    return views.shared && !owned?.except?.has(name) ? views.shared.view : views.full;
  }

  private decideAll(planned: Planned[], base: Pick<ClusterSnapshot, 'nowMs' | 'hosts' | 'vms'>, records: JobRecord[]): Verdict[] {
    const staleHosts = new Set(base.hosts.filter((h) => h.stale).map((h) => h.hostId));
    const claimed = new Map<string, string>();
    const automation = new Map(this.entries.map((e) => [e.name, e.automation]));
    const stops = this.ports.stops;
    const paused = stops?.paused(base.nowMs);
    const vms = new Map(base.vms.map((v) => [v.uuid, v]));
    const optedOut = stops ? (job: PlannedJob) => (job.vmUuid !== undefined ? stops.optedOut(vms.get(job.vmUuid) ?? { uuid: job.vmUuid, name: job.vmName ?? job.vmUuid }) : undefined) : undefined;
    return planned.map((p) =>
      decideJob(p, {
        nowMs: base.nowMs,
        automation: automation.get(p.policy) ?? 'off',
        staleHosts,
        claimed,
        records,
        tracker: this.tracker,
        holds: this.ports.holds,
        ...(paused !== undefined ? { paused } : {}),
        ...(optedOut ? { optedOut } : {}),
        vmState: (job) => (job.vmUuid !== undefined ? vms.get(job.vmUuid)?.state : undefined),
      }),
    );
  }

  private toSpec(p: Planned, nowMs: number, sampleMs: number): JobSpec {
    const basis: JobIdBasis = { policy: p.policy, job: p.job, sampleMs };
    return {
      schemaVersion: JOB_SCHEMA_VERSION,
      id: (this.ports.newId ?? policyJobId)(basis),
      hostId: p.job.hostId,
      ...(p.job.vmUuid !== undefined ? { vmUuid: p.job.vmUuid } : {}),
      ...(p.job.vmName !== undefined ? { vmName: p.job.vmName } : {}),
      source: 'policy',
      policy: p.policy,
      createdAtMs: nowMs,
      action: p.job.action,
    };
  }
}

/**
 * What a policy entry's selector lets it act on: its jobs and decisions about the VMs it selects, and those
 * about no VM (a host's). The policy still plans from the whole snapshot, so what it computes over every VM
 * of a host (pCPU load, host memory, cluster balance) stays right; it only acts on its own VMs.
 */
function actsOn(entry: PolicyConfigEntry, vms: readonly { uuid: string; config?: { labels: Record<string, string> } }[]): (x: { vmUuid?: string }) => boolean {
  if (!entry.selector) return () => true;
  const selected = new Set(vms.filter((v) => selects(entry.selector, v)).map((v) => v.uuid));
  return (x) => x.vmUuid === undefined || selected.has(x.vmUuid);
}

function skip(why: string): Verdict {
  return { send: false, kind: 'skipped', why };
}

function repeatKey(policy: Policy<unknown>, job: PlannedJob): string {
  return policy.repeatKey?.(job) ?? jobKeyOf(job);
}

/** The decision of the same policy about the job's target (its VM, or its host), or a new one for the job. */
function decisionFor(job: PlannedJob, own: OwnDecisions, all: CycleDecision[], policy: string, atMs: number): CycleDecision {
  const found = own.latest.get(targetOf(job));
  if (found) return found;
  const made: CycleDecision = { ...(job.vmUuid !== undefined ? { vmUuid: job.vmUuid } : {}), hostId: job.hostId, kind: 'job', reason: job.reason, policy, atMs };
  own.add(made);
  all.push(made);
  return made;
}

/** What a decision or a job is about: its VM, or its host (a host-scoped one). */
function targetOf(x: { vmUuid?: string | undefined; hostId?: string | undefined }): string {
  return x.vmUuid !== undefined ? `vm\u0000${x.vmUuid}` : `host\u0000${x.hostId ?? ''}`;
}

/**
 * One policy's decisions of a cycle, with the latest about each target at hand: looking each job's up by
 * scanning them all (a copy, reversed, per job) was quadratic in the VMs at 20,000 of them.
 */
class OwnDecisions {
  readonly latest = new Map<string, CycleDecision>();
  constructor(decisions: readonly CycleDecision[]) {
    for (const d of decisions) this.add(d);
  }
  add(d: CycleDecision): void {
    // a host-scoped job matches a decision about its host only when that decision is about no VM
    if (d.vmUuid !== undefined || d.hostId !== undefined) this.latest.set(targetOf(d), d);
  }
}

function linkJob(p: Planned, v: Verdict, spec: JobSpec | undefined): void {
  const ref: DecisionJob = { key: p.key, type: p.job.action.type, description: describeAction(p.job.action) };
  if (spec) {
    ref.id = spec.id;
    ref.state = 'queued';
  } else if (!v.send) ref.skipped = v.why;
  p.decision.jobs = [...(p.decision.jobs ?? []), ref];
}

function skipDecision(p: Planned, v: Verdict & { send: false }, atMs: number): CycleDecision {
  return {
    ...(p.job.vmUuid !== undefined ? { vmUuid: p.job.vmUuid } : {}),
    hostId: p.job.hostId,
    kind: v.kind,
    reason: `${describeAction(p.job.action)}: not sent — ${v.why}`,
    inputs: { key: p.key, action: p.job.action, decidedAs: p.decision.kind, ...(v.kind === 'suppressed' ? { stop: v.stop } : {}) },
    policy: p.policy,
    atMs,
  };
}
