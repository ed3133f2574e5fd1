/**
 * The parts of the policy engine's JSON answers the tables show (services/policy-engine/src/http/api-views.ts
 * and cluster/cluster-routes.ts have the whole shapes; `-o json` prints them as they come).
 */

export interface HostJson {
  hostId: string;
  hostname: string;
  pcpuCount: number;
  memoryTotalMiB: number;
  memoryFreeMiB: number;
  vmCount: number;
  pcpus: { pcpu: number; usagePercent: number }[];
  lastSampleAt: string;
  stale: boolean;
  labels: Record<string, string>;
  maintenance: boolean;
}

export interface VmJson {
  name: string;
  uuid: string;
  host: string;
  state: string;
  cpuPercent: number;
  vcpus: { id: number }[];
  balloon: { actualMiB: number; maximumMiB: number; unusedMiB: number | null } | null;
  holds: { resource: string; until: string }[];
}

export interface JobJson {
  id: string;
  state: 'queued' | 'active' | 'succeeded' | 'failed';
  type: string;
  vm?: string;
  vmUuid?: string;
  host: string;
  source: string;
  policy?: string;
  params: Record<string, unknown>;
  createdAt: string;
  attempts: number;
  result?: { message?: string; alreadyThere?: boolean };
  error?: string;
  finishedAt?: string;
  progress?: Record<string, unknown>;
}

export interface DecisionJson {
  policy: string;
  at: string;
  kind: string;
  reason: string;
  vmUuid?: string;
  hostId?: string;
  jobs?: { id?: string; type: string; description: string; state?: string; skipped?: string; error?: string }[];
}

export interface RecommendationJson {
  id: string;
  state: string;
  vm: string;
  from: string;
  to: string;
  priority: number;
  reason: string;
  imbalanceBefore: number;
  predictedAfter: number;
  observedAfter: number | null;
  createdAt: string | null;
  note: string | null;
  jobId: string | null;
  error: string | null;
}

export interface PlacementJson {
  imbalance: number;
  hosts: { hostId: string; rank: number; fits: boolean; reason: string; imbalanceAfter?: number; cpuLoadAfter: number; memoryLoadAfter: number }[];
}

export interface PolicyJson {
  name: string;
  automation: string;
  args: unknown;
}
