/**
 * The engine's loop around simulated hosts of one SimCluster, built from the production parts: a collector
 * HostSampler per host reads its SimHypervisor (re-reading a VM's pinning after its tunable event, as the
 * collector's main does; each host reports its migration URI sim://<hostId>), the engine's ClusterState
 * keeps the windows of the whole cluster, the engine's PolicyCycle plans with every policy given (in-flight
 * targets, repeats, back-off, outcomes), and the jobs it enqueues are applied at the next cycle, as the queue
 * and the actuator would:
 *
 *   set-memory  releases before grows (the actuator holds a grow that carries the host budget until the
 *               releases paying for it have landed);
 *   pin-vcpu    the pin, then its record in the domain's <metadata>, as the actuator records it;
 *   migrate     a live migration through the simulator (SimHypervisor.migrate to the job's destUri): the job
 *               is active while the VM still runs on the source, and succeeds (or fails) when the simulated
 *               migration ends — setup + balloon size / rate of simulated time later, at the switch-over.
 *
 * SimClusterLoop drives any number of hosts; SimLoop is the one-host form the memory and CPU benches use.
 */
import { ClusterState, HoldBook, PolicyCycle, type CycleResult, type SharedSignalsPort } from '@ballast/cycle';
import { HostSampler } from '@ballast/collector';
import { PolicyRegistry, mibToKib, type HostReport, type JobOutcome, type JobSpec, type Policy } from '@ballast/domain';
import { SimHypervisor, type SimCluster } from '@ballast/sim';

/** Called after each cycle (for debugging a run: what the cycle decided and the simulator after it). */
export type CycleHook = (c: { tMs: number; result: CycleResult; sim: SimCluster; budgetMiB: number }) => void;

/** A policy the loop runs (automation auto) with its args. */
export interface LoopPolicy {
  policy: Policy<unknown>;
  args: unknown;
}

/** A migration the loop started, and how it ended (while under way: no `endedAtMs`). */
export interface LoopMigration {
  jobId: string;
  vmName: string;
  from: string;
  to: string;
  startedAtMs: number;
  endedAtMs?: number;
  ok?: boolean;
  error?: string;
}

/** The migration URI each simulated host reports (HostReport.migrationUri); SimHypervisor.migrate reads it back. */
export const simMigrationUri = (hostId: string): string => `sim://${hostId}`;

interface LoopHost {
  hostId: string;
  hv: SimHypervisor;
  sampler: HostSampler;
}

/** What applying one job can touch. */
interface ApplyCtx {
  sim: SimCluster;
  host: LoopHost;
  /** Called by a job that ends later (a migration): its promise settles when the simulator finishes it. */
  later(job: JobSpec, settles: Promise<void>): void;
}

/** Applies one job to its simulated host, as the actuator's processor for its type would. */
type Apply = (c: ApplyCtx, job: JobSpec) => Promise<void>;

const APPLY: Partial<Record<JobSpec['action']['type'], Apply>> = {
  'set-memory': async ({ host }, job) => {
    if (job.action.type === 'set-memory' && job.vmUuid !== undefined) await host.hv.setMemory(job.vmUuid, mibToKib(job.action.memoryMiB));
  },
  'pin-vcpu': async ({ sim, host }, job) => {
    if (job.action.type !== 'pin-vcpu' || job.vmUuid === undefined) return;
    await host.hv.pinVcpu(job.vmUuid, job.action.vcpu, job.action.pcpus);
    const by = job.source === 'manual' ? 'manual' : `policy:${job.policy ?? '?'}`;
    sim.recordPin(host.hostId, job.vmUuid, { vcpu: job.action.vcpu, pcpus: job.action.pcpus, by, atMs: sim.wallClockMs });
  },
  migrate: async ({ host, later }, job) => {
    if (job.action.type !== 'migrate' || job.vmUuid === undefined) return;
    if (job.action.targetHost === host.hostId) return;
    // migrate() throws at once when the simulator refuses it (no such host or VM, no room there); else it
    // settles at the switch-over, a later advance() of the simulator
    const settles = host.hv.migrate(job.vmUuid, { destUri: job.action.destUri, live: true });
    later(job, settles);
  },
};

export class SimClusterLoop {
  private readonly hosts = new Map<string, LoopHost>();
  private readonly state: ClusterState;
  private readonly cycle: PolicyCycle;
  private readonly registry = new PolicyRegistry();
  private readonly entries: { name: string; args: unknown; automation: 'auto' }[];
  private readonly outcomes = new Map<string, JobOutcome>();
  private pending: JobSpec[] = [];
  jobsSent = 0;
  jobsRejected = 0;
  /** Jobs applied, by type (a migration counts when it starts). */
  readonly applied = new Map<string, number>();
  /** Every migration started, in order. */
  readonly migrations: LoopMigration[] = [];

  constructor(
    private readonly sim: SimCluster,
    hosts: readonly { hostId: string; hv?: SimHypervisor }[],
    intervalMs: number,
    policies: readonly LoopPolicy[],
    private readonly onCycle?: CycleHook,
    o: { sharedSignals?: SharedSignalsPort } = {},
  ) {
    const now = () => sim.wallClockMs;
    for (const h of hosts) this.hosts.set(h.hostId, this.watch(h.hostId, h.hv ?? new SimHypervisor(sim, h.hostId), intervalMs));
    this.state = new ClusterState({ windowSize: 30, staleAfterIntervals: 3, now });
    for (const p of policies) this.registry.register(p.policy);
    let n = 0;
    const entries = (this.entries = policies.map((p) => ({ name: p.policy.name, args: p.args, automation: 'auto' as const })));
    this.cycle = new PolicyCycle(this.registry, entries, {
      state: this.state,
      holds: new HoldBook(),
      enqueue: async (specs) => {
        this.pending.push(...specs);
        this.jobsSent += specs.length;
      },
      outcomes: async (ids) => new Map(ids.flatMap((id) => (this.outcomes.has(id) ? [[id, this.outcomes.get(id) as JobOutcome] as const] : []))),
      newId: () => `job-${++n}`,
      ...(o.sharedSignals ? { sharedSignals: o.sharedSignals } : {}),
    });
  }

  /**
   * Another engine replica's cycle on the same cluster state and policies (its jobs are dropped: the bench and
   * tests run it for what it shares through `sharedSignals`, or to compare with this loop's).
   */
  peer(sharedSignals?: SharedSignalsPort): PolicyCycle {
    let n = 0;
    return new PolicyCycle(this.registry, this.entries, {
      state: this.state,
      holds: new HoldBook(),
      enqueue: async () => undefined,
      outcomes: async () => new Map(),
      newId: () => `peer-job-${++n}`,
      ...(sharedSignals ? { sharedSignals } : {}),
    });
  }

  /** A host's sampler, re-reading pinning and configuration after the events that change them. */
  private watch(hostId: string, hv: SimHypervisor, intervalMs: number): LoopHost {
    const sim = this.sim;
    const sampler = new HostSampler(hv, {
      hostId,
      intervalMs,
      balloonEvery: 1,
      hostInfoEvery: 5,
      migrationUri: simMigrationUri(hostId),
      now: () => sim.wallClockMs,
      monotonicNs: () => BigInt(sim.wallClockMs) * 1_000_000n,
    });
    hv.onEvent((ev) => {
      if (ev.kind === 'tunable') sampler.invalidatePinning(ev.uuid);
      else if (ev.kind === 'lifecycle') {
        sampler.invalidatePinning(ev.uuid);
        sampler.invalidateConfig(ev.uuid);
      }
    });
    return { hostId, hv, sampler };
  }

  /** Migrations under way now. */
  get migrationsInFlight(): number {
    return this.migrations.filter((m) => m.endedAtMs === undefined).length;
  }

  /** Applies the jobs enqueued last cycle, releases first, and records their outcomes. */
  async applyPending(): Promise<void> {
    const grows = (j: JobSpec): number => (j.action.type === 'set-memory' && j.action.hostBudgetMiB !== undefined ? 1 : 0);
    for (const job of [...this.pending].sort((a, b) => grows(a) - grows(b))) {
      const apply = APPLY[job.action.type];
      const host = this.hosts.get(job.hostId);
      if (!apply) continue;
      try {
        if (!host) throw new Error(`no host ${job.hostId} in this loop`);
        let deferred = false;
        await apply({ sim: this.sim, host, later: (j, p) => ((deferred = true), this.track(j, p)) }, job);
        this.applied.set(job.action.type, (this.applied.get(job.action.type) ?? 0) + 1);
        if (!deferred) this.outcomes.set(job.id, { state: 'succeeded', attempts: 1, finishedAtMs: this.sim.wallClockMs });
      } catch (e) {
        this.fail(job, e);
      }
    }
    this.pending = [];
  }

  /** A job that ends later: active until its promise settles, then succeeded or failed. */
  private track(job: JobSpec, settles: Promise<void>): void {
    const m: LoopMigration = { jobId: job.id, vmName: job.vmName ?? job.vmUuid ?? '?', from: job.hostId, to: job.action.type === 'migrate' ? job.action.targetHost : '?', startedAtMs: this.sim.wallClockMs };
    this.migrations.push(m);
    this.outcomes.set(job.id, { state: 'active', attempts: 1 });
    settles.then(
      () => {
        Object.assign(m, { endedAtMs: this.sim.wallClockMs, ok: true });
        this.outcomes.set(job.id, { state: 'succeeded', attempts: 1, finishedAtMs: this.sim.wallClockMs });
      },
      (e: unknown) => {
        Object.assign(m, { endedAtMs: this.sim.wallClockMs, ok: false, error: (e as Error).message });
        this.fail(job, e);
      },
    );
  }

  private fail(job: JobSpec, e: unknown): void {
    this.jobsRejected++;
    this.outcomes.set(job.id, { state: 'failed', attempts: 1, error: (e as Error).message, finishedAtMs: this.sim.wallClockMs });
  }

  /** One collection: each host's sampler reads it, the state ingests the reports; returns them. */
  async sampleAll(): Promise<HostReport[]> {
    const reports: HostReport[] = [];
    for (const h of this.hosts.values()) {
      const report = await h.sampler.sample();
      this.state.ingest(report);
      reports.push(report);
    }
    return reports;
  }

  /** One cycle; `run`: as an engine replica runs it (its owned hosts, the policies skipped), default every host. */
  async plan(tMs: number, budgetMiB: number, run?: Parameters<PolicyCycle['run']>[0]): Promise<CycleResult> {
    const result = await this.cycle.run(run);
    this.onCycle?.({ tMs, result, sim: this.sim, budgetMiB });
    return result;
  }
}

/** The loop around one simulated host, with one policy. */
export class SimLoop extends SimClusterLoop {
  constructor(sim: SimCluster, hv: SimHypervisor, hostId: string, intervalMs: number, side: LoopPolicy, onCycle?: CycleHook) {
    super(sim, [{ hostId, hv }], intervalMs, [side], onCycle);
  }

  /** One collection of the host; returns its report. */
  async sample(): Promise<HostReport> {
    return (await this.sampleAll())[0] as HostReport;
  }
}
