/**
 * The engine's loop around a simulated host, built from the production parts: the collector's
 * HostSampler reads the SimHypervisor (re-reading a VM's pinning after its tunable event, as the
 * collector's main does), the engine's ClusterState keeps the windows, the engine's PolicyCycle plans
 * (in-flight targets, repeats, back-off, outcomes), and the jobs it enqueues are applied at the next cycle,
 * as the queue and the actuator would: set-memory (releases before grows: the actuator holds a grow that
 * carries the host budget until the releases paying for it have landed) and pin-vcpu (the pin, then its
 * record in the domain's <metadata>, as the actuator records it).
 */
import { ClusterState, HoldBook, PolicyCycle, type CycleResult } from '@ballast/cycle';
import { HostSampler } from '@ballast/collector';
import { PolicyRegistry, mibToKib, type HostReport, type JobOutcome, type JobSpec, type Policy } from '@ballast/domain';
import type { SimCluster, SimHypervisor } from '@ballast/sim';

/** Called after each cycle (for debugging a run: what the cycle decided and the simulator after it). */
export type CycleHook = (c: { tMs: number; result: CycleResult; sim: SimCluster; budgetMiB: number }) => void;

/** Applies one job to the simulated host, as the actuator's processor for its type would. */
type Apply = (loop: { sim: SimCluster; hv: SimHypervisor; hostId: string }, job: JobSpec) => Promise<void>;

const APPLY: Partial<Record<JobSpec['action']['type'], Apply>> = {
  'set-memory': async ({ hv }, job) => {
    if (job.action.type === 'set-memory' && job.vmUuid !== undefined) await hv.setMemory(job.vmUuid, mibToKib(job.action.memoryMiB));
  },
  'pin-vcpu': async ({ sim, hv, hostId }, job) => {
    if (job.action.type !== 'pin-vcpu' || job.vmUuid === undefined) return;
    await hv.pinVcpu(job.vmUuid, job.action.vcpu, job.action.pcpus);
    const by = job.source === 'manual' ? 'manual' : `policy:${job.policy ?? '?'}`;
    sim.recordPin(hostId, job.vmUuid, { vcpu: job.action.vcpu, pcpus: job.action.pcpus, by, atMs: sim.wallClockMs });
  },
};

export class SimLoop {
  private readonly sampler: HostSampler;
  private readonly state: ClusterState;
  private readonly cycle: PolicyCycle;
  private readonly outcomes = new Map<string, JobOutcome>();
  private pending: JobSpec[] = [];
  jobsSent = 0;
  jobsRejected = 0;
  /** Jobs applied, by type. */
  readonly applied = new Map<string, number>();

  constructor(
    private readonly sim: SimCluster,
    private readonly hv: SimHypervisor,
    private readonly hostId: string,
    intervalMs: number,
    side: { policy: Policy<unknown>; args: unknown },
    private readonly onCycle?: CycleHook,
  ) {
    const now = () => sim.wallClockMs;
    this.sampler = new HostSampler(hv, { hostId, intervalMs, balloonEvery: 1, hostInfoEvery: 5, now, monotonicNs: () => BigInt(sim.wallClockMs) * 1_000_000n });
    hv.onEvent((ev) => {
      if (ev.kind === 'tunable') this.sampler.invalidatePinning(ev.uuid);
      else if (ev.kind === 'lifecycle') {
        this.sampler.invalidatePinning(ev.uuid);
        this.sampler.invalidateConfig(ev.uuid);
      }
    });
    this.state = new ClusterState({ windowSize: 30, staleAfterIntervals: 3, now });
    let n = 0;
    this.cycle = new PolicyCycle(new PolicyRegistry().register(side.policy), [{ name: side.policy.name, args: side.args, automation: 'auto' }], {
      state: this.state,
      holds: new HoldBook(),
      enqueue: async (specs) => {
        this.pending.push(...specs);
        this.jobsSent += specs.length;
      },
      outcomes: async (ids) => new Map(ids.flatMap((id) => (this.outcomes.has(id) ? [[id, this.outcomes.get(id) as JobOutcome] as const] : []))),
      newId: () => `job-${++n}`,
    });
  }

  /** Applies the jobs enqueued last cycle, releases first, and records their outcomes. */
  async applyPending(): Promise<void> {
    const grows = (j: JobSpec): number => (j.action.type === 'set-memory' && j.action.hostBudgetMiB !== undefined ? 1 : 0);
    for (const job of [...this.pending].sort((a, b) => grows(a) - grows(b))) {
      const apply = APPLY[job.action.type];
      if (!apply) continue;
      try {
        await apply({ sim: this.sim, hv: this.hv, hostId: this.hostId }, job);
        this.applied.set(job.action.type, (this.applied.get(job.action.type) ?? 0) + 1);
        this.outcomes.set(job.id, { state: 'succeeded', attempts: 1, finishedAtMs: this.sim.wallClockMs });
      } catch (e) {
        this.jobsRejected++;
        this.outcomes.set(job.id, { state: 'failed', attempts: 1, error: (e as Error).message, finishedAtMs: this.sim.wallClockMs });
      }
    }
    this.pending = [];
  }

  /** One collection: the sampler reads the simulated host, the state ingests it; returns the report. */
  async sample(): Promise<HostReport> {
    const report = await this.sampler.sample();
    this.state.ingest(report);
    return report;
  }

  async plan(tMs: number, budgetMiB: number): Promise<CycleResult> {
    const result = await this.cycle.run();
    this.onCycle?.({ tMs, result, sim: this.sim, budgetMiB });
    return result;
  }
}
