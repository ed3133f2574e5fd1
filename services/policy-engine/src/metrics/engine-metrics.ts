/**
 * The policy engine's metrics (docs/metrics.md): counters of samples, decisions, enqueued jobs and job
 * outcomes, the cycle's duration, plus the cluster gauges (cluster-gauges.ts) and the queue gauges
 * (queue-gauges.ts) read at scrape time. No label is per job: job types, policies and decision kinds are
 * small fixed sets; hosts and VMs are what the cluster has.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { HostView, JobSpec, VmView } from '@ballast/domain';
import type { CycleResult } from '@ballast/cycle';
import type { QueueBacklog } from '@ballast/queue';
import { registerClusterGauges, type PlacedVm } from './cluster-gauges.js';
import { registerQueueGauges } from './queue-gauges.js';

export interface EngineMetricsDeps {
  /** The cluster (ClusterState fits). */
  state: { hosts(): HostView[]; vms(): VmView[]; placedVms?(): PlacedVm[] };
  /** Many hosts' queues now, in one read (JobQueues.backlogs fits); a host not readable maps to its Error. */
  backlogs(hostIds: readonly string[], nowMs: number): Promise<Map<string, QueueBacklog | Error>>;
  /**
   * The hosts whose queue gauges this engine shows; absent: every host reporting (what main.ts does: showing
   * only the owned hosts' would leave a replica that has not yet taken its hosts' leases without any).
   */
  queueHosts?: () => Iterable<string>;
  /** The spec of a job the cycle tracks (PolicyCycle.tracker.spec fits): tells an outcome's job type. */
  specOf(jobId: string): JobSpec | undefined;
  /** Whether this engine holds the cluster lease (runs the cluster-wide policies). */
  leaseHeld(): boolean;
  /** How many hosts this replica decides for (its host leases); absent: not shown. */
  hostsOwned?: () => number;
  /** Host leases lost so far (HostLeases.lost). */
  hostLeasesLost?: () => number;
  /** When the collector took a host's latest sample (ClusterState.hostReport(h)?.takenAtMs); absent: no sample-to-job figure. */
  sampleTakenAtMs?: (hostId: string) => number | undefined;
  now(): number;
  log?: { warn(obj: object, msg?: string): void };
}

const terminal = new Set(['succeeded', 'failed']);

/** Fine enough around 1 s for a p99 read from two scrapes (make bench scale, docs/scale.md). */
const CYCLE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 0.9, 1, 1.25, 1.5, 2, 2.5, 5, 10];

export class EngineMetrics {
  private readonly samples: Counter<'host'>;
  private readonly crashes: Counter<'host'>;
  /** Per host, each VM's state in its last report (a VM turning crashed is counted once). */
  private readonly lastStates = new Map<string, Map<string, string>>();
  private readonly decisions: Counter<'policy' | 'kind'>;
  private readonly enqueued: Counter<'policy' | 'type'>;
  private readonly outcomes: Counter<'type' | 'state'>;
  private readonly cycleSeconds: Histogram;
  private readonly cyclePhaseSeconds: Histogram<'phase'>;
  private readonly signalParts: Gauge<'role'>;
  private readonly sampleToJobSeconds: Histogram;
  /** VM uuid → the last set-memory target sent for it, KiB. */
  private readonly targets = new Map<string, number>();

  constructor(registry: Registry, private readonly deps: EngineMetricsDeps) {
    this.samples = new Counter({ name: 'ballast_samples_received_total', help: 'Host samples received from collectors', labelNames: ['host'], registers: [registry] });
    this.crashes = new Counter({
      name: 'ballast_vm_crashes_total',
      help: 'VMs seen turning crashed in their host\'s reports (a guest panic), by host; a VM first seen already crashed counts once',
      labelNames: ['host'],
      registers: [registry],
    });
    this.decisions = new Counter({
      name: 'ballast_decisions_total',
      help: 'Decisions the policies made (and skipped or conflicting jobs), by policy and kind',
      labelNames: ['policy', 'kind'],
      registers: [registry],
    });
    this.enqueued = new Counter({ name: 'ballast_policy_jobs_enqueued_total', help: 'Jobs enqueued by policies, by policy and job type', labelNames: ['policy', 'type'], registers: [registry] });
    this.outcomes = new Counter({
      name: 'ballast_job_outcomes_total',
      help: 'Jobs this engine enqueued (policy and manual) seen finished, by job type and final state (succeeded, failed)',
      labelNames: ['type', 'state'],
      registers: [registry],
    });
    this.cycleSeconds = new Histogram({
      name: 'ballast_policy_cycle_seconds',
      help: 'Time of one policy cycle (outcomes read, policies run, jobs enqueued)',
      buckets: CYCLE_BUCKETS,
      registers: [registry],
    });
    this.cyclePhaseSeconds = new Histogram({
      name: 'ballast_policy_cycle_phase_seconds',
      help: 'Time of each step of a policy cycle, by phase (docs/metrics.md); "after" (events, decision log, decisions saved) is outside ballast_policy_cycle_seconds',
      labelNames: ['phase'],
      buckets: CYCLE_BUCKETS,
      registers: [registry],
    });
    this.signalParts = new Gauge({
      name: 'ballast_signal_parts_hosts',
      help: 'Hosts whose signal parts this replica shared (role "shared") or merged instead of planning them (role "merged", the cluster lease holder) in its last cycle (docs/replicas.md)',
      labelNames: ['role'],
      registers: [registry],
    });
    this.sampleToJobSeconds = new Histogram({
      name: 'ballast_sample_to_job_seconds',
      help: "Time from the collector taking a host's latest sample to a policy job for that host enqueued",
      buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
      registers: [registry],
    });
    const state = deps.state;
    registerEngineGauges(registry, deps);
    registerClusterGauges(registry, {
      hosts: () => state.hosts(),
      // the reports as they are (no window or holds per VM: ClusterState.vms() copies 20,000 VMs a call)
      vms: () => (state.placedVms ? state.placedVms() : state.vms().map((vm) => ({ hostId: vm.hostId, vm }))),
      balloonTargetKiB: (uuid) => this.targets.get(uuid),
      now: deps.now,
    });
    const { backlogs, queueHosts } = deps;
    registerQueueGauges(registry, {
      hostIds: queueHosts ?? (() => state.hosts().map((h) => h.hostId)),
      backlogs: (hosts, nowMs) => backlogs(hosts, nowMs),
      now: deps.now,
      onError: (host, err) => deps.log?.warn({ host, err: err.message }, 'metrics: cannot read the host\'s queue'),
    });
  }

  /** A host sample came in; `vms`: its VMs, whose turning crashed is counted. */
  sampleReceived(hostId: string, vms: readonly { uuid: string; state: string }[] = []): void {
    this.samples.inc({ host: hostId });
    const before = this.lastStates.get(hostId);
    for (const v of vms) if (v.state === 'crashed' && before?.get(v.uuid) !== 'crashed') this.crashes.inc({ host: hostId });
    this.lastStates.set(hostId, new Map(vms.map((v) => [v.uuid, v.state])));
  }

  /** A job was sent outside the cycle (a manual job): its balloon target, if any, is remembered. */
  jobSubmitted(spec: JobSpec): void {
    this.noteTarget(spec);
  }

  /** Counts a cycle's decisions, enqueued jobs and finished outcomes, and its duration. */
  /** One step of a cycle took `ms`. */
  phaseDone(phase: string, ms: number): void {
    this.cyclePhaseSeconds.observe({ phase }, ms / 1000);
  }

  /** A cycle ended after `seconds`; `phasesMs`: its steps' times, ms, by phase. */
  cycleDone(r: Pick<CycleResult, 'decisions' | 'enqueued' | 'outcomes' | 'signalParts'>, seconds: number, phasesMs: Readonly<Record<string, number>> = {}): void {
    this.cycleSeconds.observe(seconds);
    this.signalParts.set({ role: 'shared' }, r.signalParts?.shared ?? 0);
    this.signalParts.set({ role: 'merged' }, r.signalParts?.merged ?? 0);
    for (const [phase, ms] of Object.entries(phasesMs)) this.phaseDone(phase, ms);
    for (const d of r.decisions) this.decisions.inc({ policy: d.policy, kind: d.kind });
    const nowMs = this.deps.now();
    for (const spec of r.enqueued) {
      this.enqueued.inc({ policy: spec.policy ?? 'none', type: spec.action.type });
      const takenAtMs = this.deps.sampleTakenAtMs?.(spec.hostId);
      if (takenAtMs !== undefined) this.sampleToJobSeconds.observe(Math.max(0, nowMs - takenAtMs) / 1000);
      this.noteTarget(spec);
    }
    for (const [id, o] of r.outcomes) {
      if (terminal.has(o.state)) this.outcomes.inc({ type: this.deps.specOf(id)?.action.type ?? 'unknown', state: o.state });
    }
    // targets of VMs the cluster no longer has go with them
    if (this.targets.size > 0) {
      const st = this.deps.state;
      const present = new Set(st.placedVms ? st.placedVms().map((p) => p.vm.uuid) : st.vms().map((v) => v.uuid));
      for (const uuid of this.targets.keys()) if (!present.has(uuid)) this.targets.delete(uuid);
    }
  }

  private noteTarget(spec: JobSpec): void {
    if (spec.action.type === 'set-memory' && spec.vmUuid !== undefined) this.targets.set(spec.vmUuid, spec.action.memoryMiB * 1024);
  }
}

/** The engine's own gauges: VMs reported, the cluster lease held, the hosts owned (replicas). */
function registerEngineGauges(registry: Registry, deps: EngineMetricsDeps): void {
  const state = deps.state;
  new Gauge({
    name: 'ballast_vms',
    help: 'VMs reported by collectors',
    registers: [registry],
    collect() {
      this.set(state.placedVms ? state.placedVms().length : state.vms().length);
    },
  });
  new Gauge({
    name: 'ballast_cluster_lease_held',
    help: 'Whether this engine holds the cluster lease and runs the cluster-wide policies (1)',
    registers: [registry],
    collect() {
      this.set(deps.leaseHeld() ? 1 : 0);
    },
  });
  const owned = deps.hostsOwned;
  if (owned) {
    new Gauge({
      name: 'ballast_hosts_owned',
      help: 'Hosts this engine replica decides for (the host leases it holds)',
      registers: [registry],
      collect() {
        this.set(owned());
      },
    });
  }
  const lost = deps.hostLeasesLost;
  if (lost) {
    let counted = 0;
    new Counter({
      name: 'ballast_host_leases_lost_total',
      help: 'Host leases this engine replica lost (not refreshed within the TTL, e.g. its event loop held too long)',
      registers: [registry],
      collect() {
        const n = lost();
        if (n > counted) this.inc(n - counted);
        counted = n;
      },
    });
  }
}
