/**
 * Args of the `cluster-balance` policy: where each VM should run across the cluster (plan.ts).
 *
 *   {
 *     "level": 3,
 *     "defaults": { "automation": "auto" },
 *     "groups": [ { "match": { "labels": { "tier": "db" } }, "automation": "recommend" } ],
 *     "hostGroups": { "rack-a": { "labels": { "rack": "a" } }, "big": { "hosts": ["h1", "h2"] } },
 *     "rules": [
 *       { "name": "web-apart", "kind": "anti-affinity", "vms": { "labels": { "app": "web" } } },
 *       { "kind": "affinity", "vms": { "names": ["app1", "db1"] } },
 *       { "kind": "vm-host", "vms": { "labels": { "tier": "db" } }, "hostGroup": "rack-a", "mode": "must" }
 *     ],
 *     "cooldown": { "minMs": 900000, "maxMs": 21600000 },
 *     "limits": { "movesPerCycle": 2, "perHost": 1, "cluster": 2 },
 *     "gate": { "horizonSec": 600, "bandwidthMiBPerSec": 125 }
 *   }
 *
 * | knob                      | default   | meaning                                                                     |
 * |---------------------------|-----------|-----------------------------------------------------------------------------|
 * | level                     | 3         | migration threshold 1–5 (1: mandatory moves only; 5: act on slight imbalance)|
 * | defaults.automation       | 'auto'    | per VM (groups override): 'off' never moved, 'recommend', 'auto'             |
 * | cooldown.minMs / maxMs    | 15 min/6 h| a VM's hold after a migration: min · 2^(n−1) for its n-th move in windowMs  |
 * | cooldown.windowMs         | 24 h      | the window migrations are counted in                                        |
 * | limits.movesPerCycle      | 2         | moves planned per cycle (mandatory ones included)                           |
 * | limits.perHost            | 1         | migrations in flight per host (as source or destination)                    |
 * | limits.cluster            | 2         | migrations in flight in the cluster                                         |
 * | gate.horizonSec           | 600       | how long a move's gain is counted to hold                                   |
 * | gate.bandwidthMiBPerSec   | 125       | migration bandwidth assumed (1 Gbit/s)                                      |
 * | gate.costFactor           | 1         | imbalance-seconds one second of migration costs                             |
 * | gate.maxDirtyFraction     | 0.8       | a VM dirtying memory faster than this share of the bandwidth is not moved   |
 * | host.hostFreeFloorMiB     | 512       | a move never takes a host's free memory below this (memory-balloon's wins)  |
 * | host.cpuHeadroomPercent   | 0         | reservations may fill this much less than a host's pCPUs                    |
 * | memory.minUnusedMiB       | 100       | memory demand = guest use + this, for VMs memory-balloon does not manage    |
 *
 * Levels map to a target imbalance (DRS's): target(L) = (5 − L) · 0.1 · √hosts; balance moves are made
 * while the imbalance is above it (level 1: never), so a move's priority, 6 − ceil(imbalance / (0.1 · √hosts)),
 * is at most the level. Mandatory moves (maintenance, `must` rules, anti-affinity) have priority 1.
 */
import type { Automation, GroupMatch, VmGroup } from '../vm-groups.js';

export type Level = 1 | 2 | 3 | 4 | 5;

export interface HostGroup {
  /** Host ids. */
  hosts?: string[];
  /** Labels a host must all carry (its collector's BALLAST_HOST_LABELS). */
  labels?: Record<string, string>;
}

export type VmHostMode = 'must' | 'should' | 'must-not' | 'should-not';

export type Rule =
  | { name?: string; kind: 'affinity' | 'anti-affinity'; vms: GroupMatch }
  | { name?: string; kind: 'vm-host'; vms: GroupMatch; hostGroup: string; mode: VmHostMode };

export interface VmKnobs {
  automation: Automation;
}

export interface ClusterBalanceArgs {
  level: Level;
  defaults: VmKnobs;
  groups: VmGroup<VmKnobs>[];
  labels: Record<string, Record<string, string>>;
  hostGroups: Record<string, HostGroup>;
  rules: Rule[];
  cooldown: { minMs: number; maxMs: number; windowMs: number };
  limits: { movesPerCycle: number; perHost: number; cluster: number };
  gate: { horizonSec: number; bandwidthMiBPerSec: number; costFactor: number; maxDirtyFraction: number };
  host: { hostFreeFloorMiB: number; cpuHeadroomPercent: number };
  memory: { minUnusedMiB: number };
}

export function defaultClusterBalanceArgs(): ClusterBalanceArgs {
  return {
    level: 3,
    defaults: { automation: 'auto' },
    groups: [],
    labels: {},
    hostGroups: {},
    rules: [],
    cooldown: { minMs: 15 * 60_000, maxMs: 6 * 3_600_000, windowMs: 24 * 3_600_000 },
    limits: { movesPerCycle: 2, perHost: 1, cluster: 2 },
    gate: { horizonSec: 600, bandwidthMiBPerSec: 125, costFactor: 1, maxDirtyFraction: 0.8 },
    host: { hostFreeFloorMiB: 512, cpuHeadroomPercent: 0 },
    memory: { minUnusedMiB: 100 },
  };
}

/** The imbalance a level aims below: (5 − level) · 0.1 · √hosts (level 1: none is acted on). */
export function targetImbalance(level: Level, hosts: number): number {
  return level === 1 ? Infinity : (5 - level) * 0.1 * Math.sqrt(Math.max(1, hosts));
}

/** DRS's priority of a balance move at this imbalance: 6 − ceil(imbalance / (0.1 · √hosts)), within 2–5 (1 is for mandatory moves). */
export function balancePriority(imbalance: number, hosts: number): number {
  const p = 6 - Math.ceil(imbalance / (0.1 * Math.sqrt(Math.max(1, hosts))) - 1e-9);
  return Math.min(5, Math.max(2, p));
}
