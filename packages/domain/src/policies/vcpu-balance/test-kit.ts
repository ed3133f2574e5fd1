/** Builders and helpers of the vcpu-balance tests: snapshots of hosts, VMs with vCPU windows, runs. */
import type { PinRecord } from '../../host-report.js';
import type { ClusterSnapshot, HostView, JobRecord, VmView } from '../../snapshot.js';
import type { VcpuBalanceArgs } from './args.js';
import { planVcpuBalance, type VcpuBalancePlan } from './plan.js';
import { validateVcpuBalanceArgs } from './validate.js';

export const NOW_MS = 1_700_000_100_000;
export const INTERVAL_MS = 2000;

/** One sample of a VM: each vCPU's usage (%) and the pCPU it ran on. */
export interface CpuSample {
  usage: number[];
  on: number[];
}

export interface CpuVmOpts {
  /** Each vCPU's usage, % (every sample, unless `history`). */
  usage?: number[];
  /** The pCPU each vCPU runs on (every sample, unless `history`). */
  on?: number[];
  /** Oldest first; the last one is the current sample. */
  history?: CpuSample[];
  samples?: number;
  /** Affinity per vCPU; default every pCPU of a `hostPcpus`-pCPU host (unpinned). */
  affinity?: number[][];
  hostPcpus?: number;
  pins?: PinRecord[];
  hostId?: string;
  state?: VmView['state'];
  holds?: VmView['holds'];
  numaNodeset?: number[];
  labels?: Record<string, string>;
}

export function cpuVm(name: string, o: CpuVmOpts): VmView {
  const history = o.history ?? Array.from({ length: o.samples ?? 6 }, () => ({ usage: o.usage ?? [], on: o.on ?? [] }));
  const last = history[history.length - 1] ?? { usage: [], on: [] };
  const all = Array.from({ length: o.hostPcpus ?? 2 }, (_, p) => p);
  const n = history.length;
  return {
    uuid: `uuid-${name}`,
    name,
    state: o.state ?? 'running',
    cpuPercent: last.usage.reduce((s, x) => s + x, 0) / Math.max(1, last.usage.length),
    vcpus: last.usage.map((u, id) => ({ id, usagePercent: u, pcpus: o.affinity?.[id] ?? all, currentPcpu: last.on[id] ?? 0 })),
    config: { labels: o.labels ?? {}, memoryLocked: false, hugepages: false, hostdevCount: 0, balloonModel: 'virtio', deflateOnOom: false, pins: o.pins ?? [] },
    ...(o.numaNodeset ? { numaTune: { mode: 'strict' as const, nodeset: o.numaNodeset } } : {}),
    hostId: o.hostId ?? 'h1',
    window: history.map((s, i) => ({ takenAtMs: NOW_MS - (n - 1 - i) * INTERVAL_MS, cpuPercent: 0, vcpuPercent: [...s.usage], vcpuPcpu: [...s.on] })),
    holds: o.holds ?? [],
  };
}

/** A host with `pcpus` pCPUs in `cells` (default one cell of all of them). */
export function cpuHost(hostId = 'h1', pcpus = 2, cells: number[][] = [Array.from({ length: pcpus }, (_, p) => p)], over: Partial<HostView> = {}): HostView {
  return {
    hostId,
    hostname: hostId,
    pcpuCount: pcpus,
    memoryTotalKiB: 16 * 1024 * 1024,
    memoryFreeKiB: 8 * 1024 * 1024,
    pcpus: [],
    numaCells: cells.map((cpus, id) => ({ id, cpus, memoryKiB: 8 * 1024 * 1024, freeKiB: 4 * 1024 * 1024 })),
    lastSampleMs: NOW_MS,
    intervalMs: INTERVAL_MS,
    stale: false,
    ...over,
  };
}

export function snap(vms: VmView[], hosts: HostView[] = [cpuHost()], jobs: JobRecord[] = [], nowMs = NOW_MS): ClusterSnapshot {
  return { nowMs, hosts, vms, jobs, signals: {} };
}

/** A pin record as the actuator writes it. */
/** A 1-vCPU VM's options for being pinned to `on` by Ballast (affinity and record). */
export function owned(on: number): Pick<CpuVmOpts, 'affinity' | 'pins'> {
  return { affinity: [[on]], pins: [pinRecord(0, [on])] };
}

export function pinRecord(vcpu: number, pcpus: number[], by = 'policy:vcpu-balance'): PinRecord {
  return { vcpu, pcpus, by, atMs: NOW_MS - 600_000 };
}

/** A pin-vcpu job record as the cycle shows it to policies. */
export function pinJobRecord(vm: VmView, vcpu: number, pcpus: number[], o: Partial<JobRecord> = {}): JobRecord {
  return {
    id: `job-${vm.name}-${vcpu}-${pcpus.join('.')}`,
    source: 'policy',
    policy: 'vcpu-balance',
    hostId: vm.hostId,
    vmUuid: vm.uuid,
    key: `${vm.uuid}/vcpu-pinning/vcpu${vcpu}`,
    action: { type: 'pin-vcpu', vcpu, pcpus },
    enqueuedAtMs: NOW_MS - 1000,
    state: 'queued',
    attempts: 0,
    inFlight: true,
    ...o,
  };
}

/** Args from a partial document (validated, so the defaults are filled as in production). */
export function args(doc: unknown = {}): VcpuBalanceArgs {
  const v = validateVcpuBalanceArgs(doc);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.args;
}

export function run(s: ClusterSnapshot, a: VcpuBalanceArgs = args()): VcpuBalancePlan {
  return planVcpuBalance(s, a);
}

/** The jobs of a plan as `vm/vcpu→pcpus` lines, sorted. */
export function pinLines(p: VcpuBalancePlan): string[] {
  return p.jobs.map((j) => `${j.vmName}/${j.action.type === 'pin-vcpu' ? `${j.action.vcpu}→${j.action.pcpus.join(',')}` : j.action.type}`).sort();
}

export function hostDecision(p: VcpuBalancePlan, hostId = 'h1') {
  const d = p.decisions.find((x) => x.hostId === hostId && x.vmUuid === undefined);
  if (!d) throw new Error(`no decision for host ${hostId}`);
  return d;
}

export function vmDecision(p: VcpuBalancePlan, name: string) {
  return p.decisions.find((x) => x.vmUuid === `uuid-${name}`);
}

/**
 * The next cycle's VMs after the plan's jobs landed (as the actuator would: affinity set, a pin record
 * written) with one more sample each: `usage(vm, vcpu)` gives its usage, a pinned vCPU runs where it is
 * pinned, an unpinned one where it ran last.
 */
export function nextCycle(vms: VmView[], p: VcpuBalancePlan, usage: (vm: VmView, vcpu: number) => number, window = 10): VmView[] {
  return vms.map((vm) => {
    const vcpus = vm.vcpus.map((c) => {
      const job = p.jobs.find((j) => j.vmUuid === vm.uuid && j.action.type === 'pin-vcpu' && j.action.vcpu === c.id);
      const pcpus = job && job.action.type === 'pin-vcpu' ? job.action.pcpus : c.pcpus;
      const on = pcpus.length === 1 ? (pcpus[0] as number) : (c.currentPcpu ?? 0);
      return { ...c, pcpus, currentPcpu: on, usagePercent: usage(vm, c.id) };
    });
    const pins = [...(vm.config?.pins ?? [])];
    for (const j of p.jobs) {
      if (j.vmUuid !== vm.uuid || j.action.type !== 'pin-vcpu') continue;
      const vcpu = j.action.vcpu;
      pins.splice(0, pins.length, ...pins.filter((r) => r.vcpu !== vcpu), pinRecord(vcpu, j.action.pcpus));
    }
    const entry = { takenAtMs: NOW_MS, cpuPercent: 0, vcpuPercent: vcpus.map((c) => c.usagePercent), vcpuPcpu: vcpus.map((c) => c.currentPcpu) };
    const shifted = vm.window.map((e) => ({ ...e, takenAtMs: e.takenAtMs - INTERVAL_MS }));
    return { ...vm, vcpus, config: vm.config ? { ...vm.config, pins } : vm.config, window: [...shifted, entry].slice(-window) } as VmView;
  });
}
