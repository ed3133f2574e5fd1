/**
 * The engine's loop around a simulated host, built from the production parts: the collector's
 * HostSampler reads the SimHypervisor, the engine's ClusterState keeps the windows, the engine's
 * PolicyCycle plans (in-flight targets, repeats, back-off, outcomes), and the jobs it enqueues are applied
 * at the next cycle, as the queue and the actuator would (releases before grows: the actuator holds a grow
 * that carries the host budget until the releases paying for it have landed).
 */
import { ClusterState, HoldBook, PolicyCycle, type CycleResult } from '@ballast/cycle';
import { HostSampler } from '@ballast/collector';
import { PolicyRegistry, mibToKib, type JobOutcome, type JobSpec, type Policy } from '@ballast/domain';
import type { SimCluster, SimHypervisor } from '@ballast/sim';

/** Called after each cycle (for debugging a run: what the cycle decided and the simulator after it). */
export type CycleHook = (c: { tMs: number; result: CycleResult; sim: SimCluster; budgetMiB: number }) => void;

export class SimLoop {
  private readonly sampler: HostSampler;
  private readonly state: ClusterState;
  private readonly cycle: PolicyCycle;
  private readonly outcomes = new Map<string, JobOutcome>();
  private pending: JobSpec[] = [];
  jobsSent = 0;
  jobsRejected = 0;

  constructor(
    private readonly sim: SimCluster,
    private readonly hv: SimHypervisor,
    hostId: string,
    intervalMs: number,
    side: { policy: Policy<unknown>; args: unknown },
    private readonly onCycle?: CycleHook,
  ) {
    const now = () => sim.wallClockMs;
    this.sampler = new HostSampler(hv, { hostId, intervalMs, balloonEvery: 1, hostInfoEvery: 5, now, monotonicNs: () => BigInt(sim.wallClockMs) * 1_000_000n });
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
      if (job.action.type !== 'set-memory' || job.vmUuid === undefined) continue;
      try {
        await this.hv.setMemory(job.vmUuid, mibToKib(job.action.memoryMiB));
        this.outcomes.set(job.id, { state: 'succeeded', attempts: 1, finishedAtMs: this.sim.wallClockMs });
      } catch (e) {
        this.jobsRejected++;
        this.outcomes.set(job.id, { state: 'failed', attempts: 1, error: (e as Error).message, finishedAtMs: this.sim.wallClockMs });
      }
    }
    this.pending = [];
  }

  /** One collection: the sampler reads the simulated host, the state ingests it. */
  async sample(): Promise<void> {
    this.state.ingest(await this.sampler.sample());
  }

  async plan(tMs: number, budgetMiB: number): Promise<CycleResult> {
    const result = await this.cycle.run();
    this.onCycle?.({ tMs, result, sim: this.sim, budgetMiB });
    return result;
  }
}
