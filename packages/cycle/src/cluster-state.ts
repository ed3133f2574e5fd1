import { windowEntryFor, type ClusterSnapshot, type HostReport, type HostView, type MigrationRecord, type VmReport, type VmView, type WindowEntry } from '@ballast/domain';

/** Where the state reads the holds manual jobs put on a VM's resources (the engine's HoldStore). */
export interface HoldView {
  active(targetKey: string, nowMs: number): { resource: string; untilMs: number }[];
}

/** Which hosts are in maintenance (the engine's MaintenanceStore). */
export interface HostFlagsView {
  maintenance(hostId: string): boolean;
}

/** Moves between hosts are remembered this long (the cluster policy's cool-downs count them). */
export const MIGRATION_HISTORY_MS = 24 * 3_600_000;
/** A VM gone from one host's report and seen on another within this many of the first host's intervals moved. */
const LEFT_WITHIN_INTERVALS = 5;
/** ... and is forgotten after this long (a VM stopped or removed). */
const LEFT_FORGET_MS = 10 * 60_000;

export interface ClusterStateOptions {
  /** Samples kept per VM. */
  windowSize: number;
  /** A host whose last sample is older than this many of its intervals is stale. */
  staleAfterIntervals: number;
  now: () => number;
}

interface HostEntry {
  report: HostReport;
  receivedAtMs: number;
}

export type VmLookup =
  | { kind: 'found'; vm: VmView }
  | { kind: 'missing' }
  | { kind: 'ambiguous'; hosts: string[] };

/** What the policy engine knows of the cluster: the latest report of each host and a window per VM. */
export class ClusterState {
  private readonly hostsById = new Map<string, HostEntry>();
  /** VM uuid → host id that last reported it. */
  private readonly vmHost = new Map<string, string>();
  /** VM uuid → its window, frozen: a sample makes a new one, so vms() hands it out without copying it. */
  private readonly windows = new Map<string, readonly WindowEntry[]>();
  /** VMs seen moving between hosts, oldest first (the last MIGRATION_HISTORY_MS). */
  private readonly moves: MigrationRecord[] = [];
  /**
   * VMs that left a host's report, no other host having them: where they were and when. A migrated VM
   * whose source reports (without it) before its destination (with it) is thus still seen to move.
   */
  private readonly left = new Map<string, { hostId: string; atMs: number }>();
  /**
   * vms()'s order (by name, then host): each VM as its host and its index in that host's report. Sorting
   * 20,000 names each cycle cost more than the policies; the order changes only when a report's VMs do
   * (added, gone, renamed, reordered) or a VM changes host, so it is sorted again only then.
   */
  private order: { hostId: string; index: number }[] | undefined;

  constructor(
    private readonly opts: ClusterStateOptions,
    private readonly holds: HoldView = { active: () => [] },
    private readonly flags: HostFlagsView = { maintenance: () => false },
  ) {}

  /** Seeds the history of moves (e.g. read back from Redis at start). */
  rememberMigrations(records: readonly MigrationRecord[]): void {
    this.moves.push(...records);
    this.moves.sort((a, b) => a.atMs - b.atMs);
  }

  /** VMs seen moving between hosts in the last MIGRATION_HISTORY_MS, oldest first. */
  migrations(): MigrationRecord[] {
    const since = this.opts.now() - MIGRATION_HISTORY_MS;
    while (this.moves.length > 0 && (this.moves[0] as MigrationRecord).atMs < since) this.moves.shift();
    return [...this.moves];
  }

  /** Called with each move seen (to persist it). */
  onMigration?: (m: MigrationRecord) => void;

  /**
   * A host's report. `receivedAtMs`: when it reached the engines (a report read back from Redis, e.g. by
   * another replica, was received before now); default now.
   */
  ingest(report: HostReport, receivedAtMs = this.opts.now()): void {
    const prev = this.hostsById.get(report.hostId);
    if (!prev || !sameLayout(prev.report.vms, report.vms)) this.order = undefined;
    this.hostsById.set(report.hostId, { report, receivedAtMs });
    const seen = new Set<string>();
    for (const vm of report.vms) {
      seen.add(vm.uuid);
      const was = this.vmHost.get(vm.uuid) ?? this.leftFrom(vm.uuid);
      if (was !== undefined && was !== report.hostId) {
        // Both hosts report it while it migrates: it stays where it runs until the copy here runs instead
        // (else it would flip host each cycle, and an aborted migration would leave it on the destination).
        if (!this.movesHere(vm, was)) continue;
        // A VM now on another host (migrated) starts a new window: its policies watch it for a warm-up again.
        this.windows.delete(vm.uuid);
        const m: MigrationRecord = { vmUuid: vm.uuid, vmName: vm.name, fromHost: was, toHost: report.hostId, atMs: this.opts.now() };
        this.moves.push(m);
        this.onMigration?.(m);
      }
      if (this.vmHost.get(vm.uuid) !== report.hostId) this.order = undefined;
      this.vmHost.set(vm.uuid, report.hostId);
      this.pushWindow(vm, report.takenAtMs);
    }
    // VMs this host no longer reports (stopped, migrated away) leave the state unless another host has them.
    for (const vm of prev?.report.vms ?? []) {
      if (!seen.has(vm.uuid) && this.vmHost.get(vm.uuid) === report.hostId) {
        this.vmHost.delete(vm.uuid);
        this.windows.delete(vm.uuid);
        this.order = undefined;
        this.left.set(vm.uuid, { hostId: report.hostId, atMs: this.opts.now() });
      }
    }
    for (const [uuid, l] of this.left) if (this.opts.now() - l.atMs > LEFT_FORGET_MS) this.left.delete(uuid);
  }

  /** The host a VM left lately (within a few of that host's intervals, as a migration's switch-over takes), if it did. */
  private leftFrom(uuid: string): string | undefined {
    const l = this.left.get(uuid);
    if (!l) return undefined;
    this.left.delete(uuid);
    const intervalMs = Math.max(this.hostsById.get(l.hostId)?.report.intervalMs ?? 0, 1);
    return this.opts.now() - l.atMs <= LEFT_WITHIN_INTERVALS * intervalMs ? l.hostId : undefined;
  }

  /** A VM reported here that `was` on another host: it moves here unless it still runs there and not here. */
  private movesHere(vm: VmReport, was: string): boolean {
    const there = this.hostsById.get(was)?.report.vms.find((v) => v.uuid === vm.uuid);
    return !(there && isRunning(there.state) && !isRunning(vm.state));
  }

  private pushWindow(vm: VmReport, takenAtMs: number): void {
    const w = this.windows.get(vm.uuid) ?? [];
    const next = w.slice(Math.max(0, w.length + 1 - this.opts.windowSize));
    next.push(windowEntryFor(vm, takenAtMs));
    this.windows.set(vm.uuid, Object.freeze(next));
  }

  /** Whether a report is newer than the host's latest one here (a report read back twice, or late, is not). */
  isNewer(report: Pick<HostReport, 'hostId' | 'takenAtMs'>): boolean {
    const prev = this.hostsById.get(report.hostId)?.report;
    return prev === undefined || report.takenAtMs > prev.takenAtMs;
  }

  hostReport(hostId: string): HostReport | undefined {
    return this.hostsById.get(hostId)?.report;
  }

  hosts(): HostView[] {
    const now = this.opts.now();
    return [...this.hostsById.values()]
      .map(({ report: r, receivedAtMs }) => ({
        hostId: r.hostId,
        hostname: r.hostname,
        pcpuCount: r.pcpuCount,
        memoryTotalKiB: r.memoryTotalKiB,
        memoryFreeKiB: r.memoryFreeKiB,
        pcpus: r.pcpus,
        numaCells: r.numaCells,
        ...(r.ksm ? { ksm: r.ksm } : {}),
        ...(r.labels ? { labels: r.labels } : {}),
        ...(r.migrationUri ? { migrationUri: r.migrationUri } : {}),
        ...(r.migrationDataUri ? { migrationDataUri: r.migrationDataUri } : {}),
        ...(this.flags.maintenance(r.hostId) ? { maintenance: true } : {}),
        lastSampleMs: receivedAtMs,
        sampleTakenAtMs: r.takenAtMs,
        intervalMs: r.intervalMs,
        stale: now - receivedAtMs > this.opts.staleAfterIntervals * Math.max(r.intervalMs, 1),
      }))
      .sort((a, b) => a.hostId.localeCompare(b.hostId));
  }

  vms(hostId?: string): VmView[] {
    const now = this.opts.now();
    const order = hostId === undefined ? (this.order ??= this.sortedOrder()) : this.sortedOrder(hostId);
    return order.map(({ hostId: h, index }) => {
      const vm = (this.hostsById.get(h) as HostEntry).report.vms[index] as VmReport;
      // the window as it is (frozen; the next sample makes a new one): 20,000 copies of it a call cost more than the policies
      return { ...vm, hostId: h, window: (this.windows.get(vm.uuid) ?? NO_WINDOW) as WindowEntry[], holds: this.holds.active(vm.uuid, now) };
    });
  }

  /**
   * Every VM's latest report and its host, in vms()'s order, without its window or holds (no copy of the
   * report: for readers that want only what the collectors reported, e.g. the metrics at each scrape).
   */
  placedVms(): { hostId: string; vm: VmReport }[] {
    const order = (this.order ??= this.sortedOrder());
    return order.map(({ hostId, index }) => ({ hostId, vm: (this.hostsById.get(hostId) as HostEntry).report.vms[index] as VmReport }));
  }

  /** The VMs each host runs (of one host, or all), sorted by name then host. */
  private sortedOrder(hostId?: string): { hostId: string; index: number }[] {
    const out: { hostId: string; index: number; name: string }[] = [];
    for (const { report } of this.hostsById.values()) {
      if (hostId !== undefined && report.hostId !== hostId) continue;
      report.vms.forEach((vm, index) => {
        if (this.vmHost.get(vm.uuid) === report.hostId) out.push({ hostId: report.hostId, index, name: vm.name });
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.hostId.localeCompare(b.hostId)).map(({ hostId: h, index }) => ({ hostId: h, index }));
  }

  /** Finds a running VM by name (or UUID). A name reported by two hosts is ambiguous. */
  lookup(nameOrUuid: string): VmLookup {
    const matches = this.vms().filter((v) => v.name === nameOrUuid || v.uuid === nameOrUuid);
    const first = matches[0];
    if (!first) return { kind: 'missing' };
    if (matches.length > 1) return { kind: 'ambiguous', hosts: matches.map((m) => m.hostId) };
    return { kind: 'found', vm: first };
  }

  /** Hosts and VMs as they are now; the cycle adds the jobs and the signals. */
  snapshot(): Pick<ClusterSnapshot, 'nowMs' | 'hosts' | 'vms' | 'migrations'> {
    return { nowMs: this.opts.now(), hosts: this.hosts(), vms: this.vms(), migrations: this.migrations() };
  }
}

function isRunning(state: VmReport['state']): boolean {
  return state === 'running' || state === 'blocked';
}

const NO_WINDOW: readonly WindowEntry[] = Object.freeze([]);

/** Whether two reports of a host list the same VMs (uuid and name) in the same order. */
function sameLayout(a: readonly VmReport[], b: readonly VmReport[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i] as VmReport).uuid !== (b[i] as VmReport).uuid || (a[i] as VmReport).name !== (b[i] as VmReport).name) return false;
  return true;
}
