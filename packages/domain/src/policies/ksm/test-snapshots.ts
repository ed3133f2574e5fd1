/** Builders of snapshots for the ksm policy's tests (pure data, no I/O). */
import assert from 'node:assert/strict';
import type { HostKsm } from '../../host-report.js';
import type { ClusterSnapshot, HostView, JobRecord, VmView } from '../../snapshot.js';
import type { KsmArgs } from './args.js';
import type { SetKsmAction } from './host-jobs.js';
import { planKsm, type KsmDecision, type KsmPlan } from './plan.js';
import { validateKsmArgs } from './validate.js';

export const NOW_MS = 1_700_000_000_000;
export const INTERVAL_MS = 2000;
/** 16 GiB hosts: 1 % is 163.84 MiB; the default on line (20 %) is 3276.8 MiB, the off line (25 %) 4096 MiB. */
export const TOTAL_MIB = 16384;

export interface HostOpts {
  hostId?: string;
  totalMiB?: number;
  freeMiB?: number;
  /** null: the collector reports no KSM. */
  ksm?: Partial<HostKsm> | null;
}

export function ksmHost(o: HostOpts = {}): HostView {
  const totalMiB = o.totalMiB ?? TOTAL_MIB;
  const h: HostView = {
    hostId: o.hostId ?? 'h1',
    hostname: o.hostId ?? 'h1',
    pcpuCount: 4,
    memoryTotalKiB: totalMiB * 1024,
    memoryFreeKiB: (o.freeMiB ?? totalMiB / 2) * 1024,
    pcpus: [],
    numaCells: [],
    lastSampleMs: NOW_MS,
    intervalMs: INTERVAL_MS,
    stale: false,
  };
  if (o.ksm !== null) {
    h.ksm = { run: 'stop', pagesToScan: 100, sleepMillisecs: 20, pagesShared: 0, pagesSharing: 0, pagesUnshared: 0, pagesVolatile: 0, fullScans: 0, ksmdCpuPercent: 0, ...o.ksm };
  }
  return h;
}

/** A running VM on `hostId` whose balloon holds `actualMiB`. */
export function guest(name: string, actualMiB: number, hostId = 'h1'): VmView {
  return {
    uuid: `uuid-${name}`,
    name,
    hostId,
    state: 'running',
    cpuPercent: 1,
    vcpus: [],
    window: [],
    holds: [],
    balloon: { actualKiB: actualMiB * 1024, maximumKiB: actualMiB * 1024, hasGuestStats: false, unusedKiB: 0, availableKiB: 0, usableKiB: 0, majorFaults: 0, swapInKiB: 0, lastUpdateSec: 0 },
  };
}

export interface JobOpts {
  id?: string;
  hostId?: string;
  action: Omit<SetKsmAction, 'type'>;
  state?: JobRecord['state'];
  /** 'manual' for a job by hand; else the ksm policy's. */
  source?: 'manual' | 'policy';
  /** How long before NOW_MS it finished (it was enqueued 1 s earlier). */
  agoMs?: number;
  inFlight?: boolean;
  /** The counters the actuator observed after applying it. */
  observed?: { run: string; pagesSharing: number; fullScans: number };
}

export function ksmJob(o: JobOpts): JobRecord {
  const hostId = o.hostId ?? 'h1';
  const finishedAtMs = NOW_MS - (o.agoMs ?? 1000);
  const state = o.state ?? 'succeeded';
  const r: JobRecord = {
    id: o.id ?? `job-${finishedAtMs}`,
    source: o.source ?? 'policy',
    ...(o.source === 'manual' ? {} : { policy: 'ksm' }),
    hostId,
    key: `host:${hostId}/ksm`,
    action: { type: 'set-ksm', ...o.action },
    enqueuedAtMs: finishedAtMs - 1000,
    state,
    attempts: 1,
    inFlight: o.inFlight ?? false,
  };
  if (state === 'succeeded' || state === 'failed') r.finishedAtMs = finishedAtMs;
  if (o.observed) {
    const { run, pagesSharing, fullScans } = o.observed;
    r.result = { message: 'KSM set', alreadyThere: false, observed: { run, pagesToScan: 100, sleepMillisecs: 20, counters: { pagesShared: 1, pagesSharing, pagesUnshared: 0, pagesVolatile: 0, fullScans } } };
  }
  return r;
}

export function snap(hosts: HostView[], jobs: JobRecord[] = [], vms: VmView[] = []): ClusterSnapshot {
  return { nowMs: NOW_MS, hosts, vms, jobs, signals: {} };
}

/** Valid args from a raw document (fails the test with the issues otherwise). */
export function ksmArgs(raw: unknown = {}): KsmArgs {
  const v = validateKsmArgs(raw);
  assert.ok(v.ok, JSON.stringify(v.ok ? '' : v.issues));
  return v.args;
}

/** Plans one snapshot; returns the plan and the decision of `hostId`. */
export function planFor(s: ClusterSnapshot, raw: unknown = {}, hostId = 'h1'): { plan: KsmPlan; d: KsmDecision } {
  const plan = planKsm(s, ksmArgs(raw));
  const d = plan.decisions.find((x) => x.hostId === hostId);
  assert.ok(d, `no decision for ${hostId}`);
  return { plan, d };
}
