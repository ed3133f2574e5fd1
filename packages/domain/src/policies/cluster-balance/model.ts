/**
 * The cluster as the balancer sees it: each host's capacity, floor, budget, labels and state, and each VM's
 * entitlement (CPU and memory), size, reservation and what may move it. Built once per cycle from the
 * snapshot; migrations in flight count as done (the VM is where it is going), so the plan predicts the
 * state after them.
 */
import type { ClusterSnapshot, HostView, VmView } from '../../snapshot.js';
import { KIB_PER_MIB } from '../../units.js';
import { cpuEntitlementPercent, cpuLimitPercent } from '../cpu-entitlement/entitlement.js';
import { cpuBounds, memoryBounds, memoryEntitlementMiB, type CpuBound, type MemoryHostBound, type MemoryVmBound } from '../entitlement-signals.js';
import { readSignal } from '../policy-signals.js';
import { knobsForVm } from '../vm-groups.js';
import type { ClusterBalanceArgs } from './args.js';

export interface HostModel {
  id: string;
  /** pCPUs × 100 (% of a pCPU). */
  cpuCapacity: number;
  /** What memory load is measured against, MiB: the host's budget when set, else its memory. */
  memCapacityMiB: number;
  budgetMiB?: number;
  freeMiB: number;
  floorMiB: number;
  labels: Record<string, string>;
  maintenance: boolean;
  stale: boolean;
  migrationUri?: string;
  migrationDataUri?: string;
}

export interface VmModel {
  uuid: string;
  name: string;
  /** Where it runs, or where a migration in flight takes it. */
  hostId: string;
  vcpus: number;
  /** % of a pCPU: demand (use + run-queue wait) within reservation and limit. */
  cpuEnt: number;
  cpuReserved: number;
  /** MiB: demand within reservation and limit. */
  memEnt: number;
  /** MiB it holds of a host (its balloon): what a destination must have room for. */
  memSizeMiB: number;
  dirtyMiBPerSec: number;
  automation: 'off' | 'recommend' | 'auto';
  labels: Record<string, string>;
  /** A migration of it is in flight (it is not moved again). */
  migrating: boolean;
  /** Where it runs until a migration in flight switches over. */
  leavingHost?: string;
  /** Held after recent migrations until then (cool-down), if it is. */
  coolUntilMs?: number;
  /** How many times it migrated in the cool-down window. */
  recentMoves: number;
  /** Hosts an operator rejected moving it to (a recommendation rejected lately). */
  vetoedHosts?: Set<string>;
}

export interface ClusterModel {
  nowMs: number;
  hosts: HostModel[];
  vms: VmModel[];
  /** Migrations in flight per host (source or destination), and in all. */
  inFlightPerHost: Map<string, number>;
  inFlightTotal: number;
}

const MIB = KIB_PER_MIB;

export function buildModel(s: ClusterSnapshot, args: ClusterBalanceArgs): ClusterModel {
  const cpu = new Map((readSignal(s, cpuBounds) ?? []).map((b) => [b.vmUuid, b]));
  const mem = readSignal(s, memoryBounds);
  const memVm = new Map((mem?.vms ?? []).map((b) => [b.vmUuid, b]));
  const memHost = new Map((mem?.hosts ?? []).map((b) => [b.hostId, b]));
  const hosts = s.hosts.map((h) => hostModel(h, memHost.get(h.hostId), args));
  const moving = migrationsInFlight(s);
  const inFlightPerHost = new Map<string, number>();
  for (const m of moving.values()) for (const h of [m.from, m.to]) inFlightPerHost.set(h, (inFlightPerHost.get(h) ?? 0) + 1);
  const vms = s.vms
    .filter((v) => v.state === 'running' || v.state === 'blocked' || v.state === 'paused')
    .map((v) => vmModel(v, cpu.get(v.uuid), memVm.get(v.uuid), moving.get(v.uuid)?.to, s, args));
  for (const veto of s.vetoedMoves ?? []) {
    if (veto.untilMs <= s.nowMs) continue;
    const vm = vms.find((v) => v.uuid === veto.vmUuid);
    if (vm) (vm.vetoedHosts ??= new Set()).add(veto.toHost);
  }
  return { nowMs: s.nowMs, hosts, vms, inFlightPerHost, inFlightTotal: moving.size };
}

function hostModel(h: HostView, mb: MemoryHostBound | undefined, args: ClusterBalanceArgs): HostModel {
  const totalMiB = h.memoryTotalKiB / MIB;
  const budgetMiB = mb?.budgetMiB;
  return {
    id: h.hostId,
    cpuCapacity: Math.max(1, h.pcpuCount) * 100,
    memCapacityMiB: Math.max(1, budgetMiB !== undefined ? Math.min(budgetMiB, totalMiB) : totalMiB),
    ...(budgetMiB !== undefined ? { budgetMiB } : {}),
    freeMiB: h.memoryFreeKiB / MIB,
    floorMiB: Math.max(mb?.hostFreeFloorMiB ?? 0, args.host.hostFreeFloorMiB),
    labels: h.labels ?? {},
    maintenance: h.maintenance === true,
    stale: h.stale,
    ...(h.migrationUri ? { migrationUri: h.migrationUri } : {}),
    ...(h.migrationDataUri ? { migrationDataUri: h.migrationDataUri } : {}),
  };
}

/** VM uuid → the migration of it in flight (a migrate job queued, active, or done but not yet seen there). */
export function migrationsInFlight(s: ClusterSnapshot): Map<string, { from: string; to: string; jobId: string }> {
  const out = new Map<string, { from: string; to: string; jobId: string }>();
  for (const j of s.jobs) {
    if (!j.inFlight || j.action.type !== 'migrate' || j.vmUuid === undefined) continue;
    out.set(j.vmUuid, { from: j.hostId, to: j.action.targetHost, jobId: j.id });
  }
  return out;
}

function vmModel(v: VmView, cb: CpuBound | undefined, mb: MemoryVmBound | undefined, movingTo: string | undefined, s: ClusterSnapshot, args: ClusterBalanceArgs): VmModel {
  const vcpus = Math.max(1, v.vcpus.length);
  const cpuDemand = Math.min(vcpus * 100, v.cpuPercent + v.vcpus.reduce((a, c) => a + (c.waitPercent ?? 0), 0));
  const cpuBound = cb ?? { reservedPercent: 0, limitPercent: cpuLimitPercent(undefined, vcpus) };
  const sizeMiB = v.balloon ? v.balloon.actualKiB / MIB : 0;
  const { knobs } = knobsForVm(args, v);
  const cool = coolDown(v.uuid, s, args);
  return {
    uuid: v.uuid,
    name: v.name,
    hostId: movingTo ?? v.hostId,
    vcpus,
    cpuEnt: cpuEntitlementPercent(cpuDemand, cpuBound),
    cpuReserved: cpuBound.reservedPercent,
    memEnt: mb ? memoryEntitlementMiB(mb.demandMiB, mb) : memoryDemandUnmanaged(v, sizeMiB, args),
    memSizeMiB: Math.max(sizeMiB, mb?.committedMiB ?? 0),
    dirtyMiBPerSec: v.dirtyRateMiBPerSec ?? 0,
    automation: knobs.automation,
    labels: { ...(v.config?.labels ?? {}), ...(args.labels[v.uuid] ?? {}), ...(args.labels[v.name] ?? {}) },
    migrating: movingTo !== undefined,
    ...(movingTo !== undefined ? { leavingHost: v.hostId } : {}),
    ...(cool.untilMs !== undefined ? { coolUntilMs: cool.untilMs } : {}),
    recentMoves: cool.moves,
  };
}

/** Guest use + minUnused for a VM memory-balloon does not manage (its balloon without guest stats), within its balloon's maximum. */
function memoryDemandUnmanaged(v: VmView, sizeMiB: number, args: ClusterBalanceArgs): number {
  const b = v.balloon;
  if (!b) return 0;
  if (!b.hasGuestStats) return sizeMiB;
  return memoryEntitlementMiB(Math.max(0, b.actualKiB - b.unusedKiB) / MIB + args.memory.minUnusedMiB, { reservationMiB: 0, limitMiB: b.maximumKiB / MIB });
}

/**
 * The cool-down after a VM's migrations: its n-th move within the window holds it for min · 2^(n−1), at
 * most max, from its last move.
 */
export function coolDown(vmUuid: string, s: Pick<ClusterSnapshot, 'migrations' | 'nowMs'>, args: Pick<ClusterBalanceArgs, 'cooldown'>): { untilMs?: number; moves: number } {
  const { minMs, maxMs, windowMs } = args.cooldown;
  const mine = (s.migrations ?? []).filter((m) => m.vmUuid === vmUuid && m.atMs > s.nowMs - windowMs);
  const last = mine.at(-1);
  if (!last) return { moves: 0 };
  const holdMs = Math.min(maxMs, minMs * 2 ** (mine.length - 1));
  const untilMs = last.atMs + holdMs;
  return untilMs > s.nowMs ? { untilMs, moves: mine.length } : { moves: mine.length };
}
