/**
 * The first step of a host's plan: every VM of the host as the CPU arithmetic sees it — the pCPUs it may
 * run on, its vCPUs and the cpu_shares it has now — and, for the VMs the policy sets this cycle, their
 * knobs; for the others, why they are left as they are.
 */
import type { HostView, VmView } from '../../snapshot.js';
import { setCpuTuneJob } from '../../jobs/types/set-cpu-tune.js';
import { knobsForVm } from '../vm-groups.js';
import type { CpuEntitlementArgs, CpuHostKnobs, CpuVmKnobs } from './args.js';
import { cpuSharesFor, reservedCpuPercent } from './entitlement.js';

/** Why a VM's tune is not set this cycle. */
export type LeftAloneKind = 'unmanaged' | 'stale' | 'not-collected' | 'hold';

/** A VM of the host: what it competes with, and whether the policy sets its tune. */
export interface Contender {
  vm: VmView;
  /** Runs (running or blocked): it competes for its pCPUs. */
  running: boolean;
  vcpus: number;
  /** pCPUs any of its vCPUs may run on, ascending (all of the host's when unknown). */
  pcpus: number[];
  /** cpu_shares now: as collected, or the host's assumedShares while not collected. */
  currentShares: number;
  knobs: CpuVmKnobs;
  groups: string[];
  /** cpu_shares from its `shares` knob. */
  baseShares: number;
  /** Its reservation, % of a pCPU (vCPUs × reservationPercent, at most vCPUs × limitPercent). */
  reservedPercent: number;
  /** Set when the policy leaves its tune as it is this cycle. */
  leftAlone?: { kind: LeftAloneKind; reason: string };
}

/** The pCPU ids of a host: 0 … pcpuCount − 1. */
export function hostPcpus(host: HostView): number[] {
  return Array.from({ length: Math.max(0, host.pcpuCount) }, (_, i) => i);
}

/** Every VM of the host (sorted by name) as a Contender. */
export function contendersOf(vms: readonly VmView[], host: HostView | undefined, knobs: CpuHostKnobs, args: CpuEntitlementArgs, nowMs: number): Contender[] {
  const all = host ? hostPcpus(host) : [];
  return vms.map((vm) => {
    const { knobs: k, groups } = knobsForVm(args, vm);
    const vcpus = Math.max(1, vm.vcpus.length);
    const c: Contender = {
      vm,
      running: vm.state === 'running' || vm.state === 'blocked',
      vcpus,
      pcpus: allowedPcpus(vm.vcpus, all),
      currentShares: vm.cpuTune?.shares ?? knobs.assumedShares,
      knobs: k,
      groups,
      baseShares: cpuSharesFor(k.shares, vcpus, knobs.maxShares),
      // a reservation above the limit (two groups combined) is held only up to the limit
      reservedPercent: reservedCpuPercent(Math.min(k.reservationPercent, k.limitPercent ?? 100), vcpus),
    };
    const why = leftAlone(vm, host, k, nowMs);
    if (why) c.leftAlone = why;
    return c;
  });
}

/**
 * The pCPUs of the host (`all`: 0 … n − 1) any of these vCPUs may run on, ascending; `all` itself when they name
 * none of them or every one (read-only: shared by the VMs of the host). One pass over the vCPUs' affinities, marking
 * a pCPU at a time: this runs for every VM of every host each cycle (the lease holder's plan covers every host), where
 * a Set of the flattened lists and a sort was the policy's largest cost at 150 hosts.
 */
export function allowedPcpus(vcpus: readonly { pcpus: readonly number[] }[], all: number[]): number[] {
  const n = all.length;
  const seen = new Uint8Array(n);
  let count = 0;
  for (const v of vcpus) {
    for (const p of v.pcpus) {
      if (p >= 0 && p < n && seen[p] === 0) {
        seen[p] = 1;
        count++;
      }
    }
  }
  if (count === 0 || count === n) return all;
  const out = new Array<number>(count);
  for (let p = 0, j = 0; p < n; p++) if (seen[p] === 1) out[j++] = p;
  return out;
}

/** The first reason, in this order, to leave the VM's tune as it is; undefined when the policy sets it. */
function leftAlone(vm: VmView, host: HostView | undefined, k: CpuVmKnobs, nowMs: number): Contender['leftAlone'] {
  if (k.automation === 'off') return { kind: 'unmanaged', reason: 'automation is off for this VM' };
  if (vm.state !== 'running' && vm.state !== 'blocked') return { kind: 'unmanaged', reason: `VM is ${vm.state}` };
  if (!host) return { kind: 'stale', reason: `host ${vm.hostId} is not in the snapshot` };
  if (host.stale) return { kind: 'stale', reason: `host ${host.hostId} is stale (no sample since ${host.lastSampleMs})` };
  if (host.pcpuCount <= 0) return { kind: 'not-collected', reason: `host ${host.hostId} reports no pCPUs yet` };
  if (vm.vcpus.length === 0) return { kind: 'not-collected', reason: 'no vCPU figures collected yet: cannot size shares per vCPU' };
  if (!vm.cpuTune) {
    return { kind: 'not-collected', reason: 'its cpu tune (cpu_shares, vcpu_quota/period) is not collected yet: no job until it is (its reservation is considered then)' };
  }
  const held = vm.holds.find((h) => h.resource === setCpuTuneJob.resource && h.untilMs > nowMs);
  if (held) return { kind: 'hold', reason: `cpu tune is held by a manual job until ${held.untilMs}` };
  return undefined;
}
