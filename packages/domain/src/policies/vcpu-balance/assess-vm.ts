/**
 * One VM before the host-wide search: its knobs (groups), its cell, each vCPU's load and owner, and
 * whether the balancer may move its vCPUs this cycle or leaves it as it is (and why). A VM left alone
 * still counts: its load stays on the pCPUs it is on.
 */
import { formatCpuList } from '../../cpu-list.js';
import type { VmView } from '../../snapshot.js';
import type { NumaPlaced } from '../numa-placement/placed-signal.js';
import { knobsForVm } from '../vm-groups.js';
import type { VcpuBalanceArgs, VcpuVmKnobs } from './args.js';
import type { PinJobs } from './in-flight.js';
import { vmDomain, type HostLayout, type VmDomain } from './layout.js';
import { ownerOf, type VcpuOwner } from './ownership.js';
import { countUsageEntries, vcpuLoads, type VcpuLoad } from './vcpu-load.js';

export interface AssessedVcpu extends VcpuLoad {
  owner: VcpuOwner;
}

/** Why a VM is left as it is this cycle. */
export interface LeftAlone {
  kind: 'unmanaged' | 'hold' | 'warmup';
  reason: string;
}

export interface AssessedVm {
  vm: VmView;
  knobs: VcpuVmKnobs;
  groups: string[];
  domain: VmDomain;
  vcpus: AssessedVcpu[];
  /** Moved with jobs ('auto'), moved in decisions only ('recommend'), or left alone. */
  standing: 'auto' | 'recommend' | LeftAlone;
}

export interface AssessContext {
  args: VcpuBalanceArgs;
  layout: HostLayout;
  nowMs: number;
  /** Pin jobs by VM UUID, then vCPU id. */
  pins: ReadonlyMap<string, ReadonlyMap<number, PinJobs>>;
  numaInFlight: ReadonlySet<string>;
  /** VM UUID → numa-placement's entry for it in this cycle's signal (placed this cycle, or in flight). */
  numaPlaced: ReadonlyMap<string, NumaPlaced>;
}

export function assessVm(vm: VmView, c: AssessContext): AssessedVm {
  const { knobs, groups } = knobsForVm(c.args, vm);
  const loads = vcpuLoads(vm, c.args.control.smoothingSamples, c.layout.pcpuCount, c.args.control.steadySamples);
  const domain = vmDomain(vm, c.layout, loads.map((l) => l.mainPcpu));
  const jobs = c.pins.get(vm.uuid);
  const vcpus = loads.map((l): AssessedVcpu => {
    const owner = ownerOf(vm, l.vcpu, l.affinity, domain.allowed, jobs?.get(l.vcpu));
    const v = l as AssessedVcpu; // the load is this call's own object: it becomes the assessed vCPU
    v.owner = owner;
    if (owner.kind === 'in-flight' && owner.pcpus.length > 0) {
      // a pin in flight counts as done: the load is where it goes
      v.place = owner.pcpus.map((p): [number, number] => [p, 1 / owner.pcpus.length]);
      v.mainPcpu = owner.pcpus[0] as number;
    }
    return v;
  });
  return { vm, knobs, groups, domain, vcpus, standing: standingOf(vm, knobs, vcpus, domain, c) };
}

function standingOf(vm: VmView, knobs: VcpuVmKnobs, vcpus: AssessedVcpu[], domain: VmDomain, c: AssessContext): AssessedVm['standing'] {
  if (knobs.automation === 'off') return { kind: 'unmanaged', reason: 'automation is off for this VM' };
  if (vm.state !== 'running' && vm.state !== 'blocked') return { kind: 'unmanaged', reason: `VM is ${vm.state}` };
  if (vcpus.length === 0) return { kind: 'warmup', reason: 'no vCPU figures yet' };
  if (vcpus.some((v) => v.affinity.length === 0)) return { kind: 'warmup', reason: 'its vCPU affinity is not read yet' };
  const foreign = vcpus.filter((v) => v.owner.kind === 'foreign');
  if (foreign.length > 0 && !c.args.adoptForeignPins) {
    const which = foreign.map((v) => `vCPU ${v.vcpu} on pCPUs ${formatCpuList(v.affinity)}`).join(', ');
    return {
      kind: 'unmanaged',
      reason: `pinned by someone else: ${which} — not all of its allowed pCPUs ${formatCpuList(domain.allowed)} and no matching Ballast pin record (adoptForeignPins is false)`,
    };
  }
  const held = vm.holds.find((h) => h.resource === 'vcpu-pinning' && h.untilMs > c.nowMs);
  if (held) return { kind: 'hold', reason: `vCPU pinning is held by a manual job until ${held.untilMs}` };
  const placed = c.numaPlaced.get(vm.uuid);
  if (placed && placed.hostId === vm.hostId) return { kind: 'hold', reason: `placed on NUMA cell ${placed.cell} by numa-placement this cycle` };
  if (c.numaInFlight.has(vm.uuid)) return { kind: 'hold', reason: 'a set-numa job is in flight for it: its cell may change' };
  const samples = countUsageEntries(vm, c.args.control.warmupSamples);
  if (samples < c.args.control.warmupSamples) {
    return { kind: 'warmup', reason: `${samples} sample(s) with vCPU usage, fewer than warmupSamples (${c.args.control.warmupSamples})` };
  }
  return knobs.automation;
}
