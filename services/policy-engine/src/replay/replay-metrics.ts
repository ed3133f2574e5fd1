/** What a replay counts while it runs (replay-run.ts): jobs, decisions, balloon changes, cluster imbalance. */
import type { JobSpec } from '@ballast/domain';
import type { CycleDecision } from '@ballast/cycle';

export interface ReplayMetrics {
  cycles: number;
  /** Reports fed to the state. */
  samples: number;
  hosts: number;
  vms: number;
  firstCycleAt: string | null;
  lastCycleAt: string | null;
  /** `targets`: distinct (type, VM or host) the jobs were for — open-loop, a policy may propose the same change again. */
  jobs: { total: number; targets: number; byType: Record<string, number>; byPolicy: Record<string, number> };
  decisions: { total: number; byKind: Record<string, number>; byPolicy: Record<string, number> };
  /**
   * set-memory jobs, and the balloon change they propose: for each VM, its last target against its balloon
   * when its first job was made (a policy that steps a balloon down over cycles counts once, at its end),
   * summed as MiB up, down, and the net.
   */
  memory: { setMemoryJobs: number; growMiB: number; shrinkMiB: number; netMiB: number };
  /** From cluster-balance's `cluster` decisions (null when it did not run): imbalance as observed, and its own prediction. */
  cluster: { imbalanceFirst: number; imbalanceLast: number; imbalanceMax: number; predictedImbalanceLast: number | null } | null;
}

const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

export class ReplayTally {
  cycles = 0;
  samples = 0;
  private readonly hosts = new Set<string>();
  private readonly vms = new Set<string>();
  private firstCycleMs: number | undefined;
  private lastCycleMs: number | undefined;
  private readonly targets = new Set<string>();
  private readonly jobs = { total: 0, byType: {} as Record<string, number>, byPolicy: {} as Record<string, number> };
  private readonly decisions = { total: 0, byKind: {} as Record<string, number>, byPolicy: {} as Record<string, number> };
  private setMemoryJobs = 0;
  /** VM → its balloon when its first set-memory job was made, and its last target (MiB). */
  private readonly balloons = new Map<string, { fromMiB: number; toMiB: number }>();
  private cluster: NonNullable<ReplayMetrics['cluster']> | null = null;

  sample(hostId: string, vmUuids: readonly string[]): void {
    this.samples++;
    this.hosts.add(hostId);
    for (const u of vmUuids) this.vms.add(u);
  }

  cycle(atMs: number, decisions: readonly CycleDecision[]): void {
    this.cycles++;
    this.firstCycleMs ??= atMs;
    this.lastCycleMs = atMs;
    for (const d of decisions) {
      this.decisions.total++;
      bump(this.decisions.byKind, d.kind);
      bump(this.decisions.byPolicy, d.policy);
      if (d.kind === 'cluster') this.imbalance(d.inputs);
    }
  }

  /** A job the cycle would have enqueued; `actualMiB`: its VM's balloon then (set-memory). */
  job(spec: JobSpec, actualMiB: number | undefined): void {
    this.jobs.total++;
    this.targets.add(`${spec.action.type}:${spec.vmUuid ?? `host:${spec.hostId}`}`);
    bump(this.jobs.byType, spec.action.type);
    bump(this.jobs.byPolicy, spec.policy ?? 'manual');
    if (spec.action.type !== 'set-memory') return;
    this.setMemoryJobs++;
    if (actualMiB === undefined || spec.vmUuid === undefined) return;
    const b = this.balloons.get(spec.vmUuid) ?? { fromMiB: actualMiB, toMiB: actualMiB };
    b.toMiB = spec.action.memoryMiB;
    this.balloons.set(spec.vmUuid, b);
  }

  private memory(): ReplayMetrics['memory'] {
    let growMiB = 0;
    let shrinkMiB = 0;
    for (const { fromMiB, toMiB } of this.balloons.values()) {
      if (toMiB > fromMiB) growMiB += toMiB - fromMiB;
      else shrinkMiB += fromMiB - toMiB;
    }
    return { setMemoryJobs: this.setMemoryJobs, growMiB: Math.round(growMiB), shrinkMiB: Math.round(shrinkMiB), netMiB: Math.round(growMiB - shrinkMiB) };
  }

  private imbalance(inputs: Record<string, unknown> | undefined): void {
    const now = inputs?.imbalance;
    if (typeof now !== 'number') return;
    const predicted = typeof inputs?.predictedImbalance === 'number' ? inputs.predictedImbalance : null;
    const c = (this.cluster ??= { imbalanceFirst: now, imbalanceLast: now, imbalanceMax: now, predictedImbalanceLast: predicted });
    c.imbalanceLast = now;
    c.imbalanceMax = Math.max(c.imbalanceMax, now);
    c.predictedImbalanceLast = predicted;
  }

  result(): ReplayMetrics {
    const iso = (ms: number | undefined) => (ms !== undefined ? new Date(ms).toISOString() : null);
    return {
      cycles: this.cycles,
      samples: this.samples,
      hosts: this.hosts.size,
      vms: this.vms.size,
      firstCycleAt: iso(this.firstCycleMs),
      lastCycleAt: iso(this.lastCycleMs),
      jobs: { total: this.jobs.total, targets: this.targets.size, byType: this.jobs.byType, byPolicy: this.jobs.byPolicy },
      decisions: this.decisions,
      memory: this.memory(),
      cluster: this.cluster,
    };
  }
}
