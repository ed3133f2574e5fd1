/**
 * What the placement needs of one VM: its vCPUs' recent CPU demand, its memory, where its vCPUs run and
 * its memory is bound now, whether it sits on one cell already, and whether the policy may place it.
 */
import type { NumaCell } from '../../model.js';
import type { HostView, VmView } from '../../snapshot.js';
import { KIB_PER_MIB } from '../../units.js';
import { setNumaJob } from '../../jobs/types/set-numa.js';
import { pinVcpuJob } from '../../jobs/types/pin-vcpu.js';
import { knobsForVm } from '../vm-groups.js';
import type { NumaPlacementArgs, NumaVmKnobs } from './args.js';

export type LeftAloneKind = 'unmanaged' | 'stale' | 'not-collected' | 'hold';

export interface PlacementVm {
  vm: VmView;
  knobs: NumaVmKnobs;
  groups: string[];
  vcpus: number;
  /** Σ of its vCPUs' mean usage over the last demandSamples samples, % of a pCPU. */
  demandPercent: number;
  /** Its balloon size, MiB (0 when not collected: then leftAlone says so). */
  memoryMiB: number;
  /** Cell id → % of a pCPU its vCPUs use there now (each vCPU's mean usage, on the cell of the pCPU it last ran on). */
  useByCell: Map<number, number>;
  /** The cell its memory is bound to: a numatune nodeset of one cell. */
  memoryCell?: number;
  /** Memory and every vCPU's affinity on this one cell. */
  placedCell?: number;
  leftAlone?: { kind: LeftAloneKind; reason: string };
}

/** The one cell a VM's memory and (with `vcpusToo`) every vCPU's affinity are on, if any. */
export function placedCellOf(vm: VmView, cells: readonly NumaCell[], vcpusToo = true): number | undefined {
  const nodeset = vm.numaTune?.nodeset ?? [];
  if (nodeset.length !== 1) return undefined;
  const cell = cells.find((c) => c.id === nodeset[0]);
  if (!cell) return undefined;
  const inCell = (p: number): boolean => cell.cpus.includes(p);
  if (vcpusToo && !vm.vcpus.every((v) => v.pcpus.length > 0 && v.pcpus.every(inCell))) return undefined;
  return cell.id;
}

/** Each vCPU's mean usage over the last `samples` window entries that carry it (else its latest usage), % of a pCPU. */
function vcpuDemand(vm: VmView, samples: number): number[] {
  const entries = vm.window.filter((e) => e.vcpuPercent !== undefined).slice(-samples);
  return vm.vcpus.map((v, i) => {
    if (entries.length === 0) return v.usagePercent;
    return entries.reduce((acc, e) => acc + (e.vcpuPercent?.[i] ?? 0), 0) / entries.length;
  });
}

export function placementFacts(vm: VmView, host: HostView, args: NumaPlacementArgs, nowMs: number): PlacementVm {
  const { knobs, groups } = knobsForVm(args, vm);
  const demand = vcpuDemand(vm, args.control.demandSamples);
  const useByCell = new Map<number, number>();
  vm.vcpus.forEach((v, i) => {
    const cell = host.numaCells.find((c) => v.currentPcpu !== undefined && c.cpus.includes(v.currentPcpu));
    if (cell) useByCell.set(cell.id, (useByCell.get(cell.id) ?? 0) + (demand[i] ?? 0));
  });
  const f: PlacementVm = {
    vm,
    knobs,
    groups,
    vcpus: vm.vcpus.length,
    demandPercent: demand.reduce((a, b) => a + b, 0),
    memoryMiB: (vm.balloon?.actualKiB ?? 0) / KIB_PER_MIB,
    useByCell,
  };
  const memoryCell = placedCellOf(vm, host.numaCells, false);
  if (memoryCell !== undefined) f.memoryCell = memoryCell;
  const placed = placedCellOf(vm, host.numaCells);
  if (placed !== undefined) f.placedCell = placed;
  const why = leftAlone(vm, host, knobs, nowMs);
  if (why) f.leftAlone = why;
  return f;
}

/** The first reason, in this order, to leave the VM where it is; undefined when the policy may place it. */
function leftAlone(vm: VmView, host: HostView, k: NumaVmKnobs, nowMs: number): PlacementVm['leftAlone'] {
  if (k.automation === 'off') return { kind: 'unmanaged', reason: 'automation is off for this VM' };
  if (vm.state !== 'running' && vm.state !== 'blocked') return { kind: 'unmanaged', reason: `VM is ${vm.state}` };
  if (host.stale) return { kind: 'stale', reason: `host ${host.hostId} is stale (no sample since ${host.lastSampleMs})` };
  if (!vm.numaTune) return { kind: 'not-collected', reason: 'its numatune is not collected yet: cannot tell what libvirt lets change live' };
  if (vm.vcpus.length === 0) return { kind: 'not-collected', reason: 'no vCPU figures collected yet' };
  if (!vm.balloon) return { kind: 'not-collected', reason: 'its memory size is not collected yet (no balloon figures)' };
  const resources = [setNumaJob.resource, pinVcpuJob.resource];
  const held = vm.holds.find((h) => resources.includes(h.resource) && h.untilMs > nowMs);
  if (held) return { kind: 'hold', reason: `${held.resource} is held by a manual job until ${held.untilMs}` };
  return undefined;
}
