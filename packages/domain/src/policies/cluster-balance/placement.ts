/**
 * Placement advice (DRS's "partial" automation): for a VM about to be created elsewhere, every host ranked
 * by the imbalance the cluster would have with the VM there, honouring fit (budget, free memory above the
 * floor, CPU reservations) and the rules its labels or name bring it under. Hosts it cannot go to come
 * last, each with why.
 */
import type { ClusterSnapshot } from '../../snapshot.js';
import type { ClusterBalanceArgs } from './args.js';
import { whyNotFit } from './fit.js';
import { buildModel, type VmModel } from './model.js';
import { PlacementState } from './placement-state.js';
import { ruleBook } from './rules.js';
import { r3 } from '../format.js';

export interface PlacementRequest {
  /** For rules that name VMs. */
  name?: string;
  vcpus: number;
  memoryMiB: number;
  labels?: Record<string, string>;
  /** Expected CPU demand, % of a pCPU (default: half of its vCPUs busy). */
  cpuPercent?: number;
  /** CPU reservation, % of a pCPU (default 0). */
  cpuReservedPercent?: number;
}

export interface PlacementAdvice {
  hostId: string;
  rank: number;
  fits: boolean;
  reason: string;
  /** The cluster's imbalance with the VM there (fitting hosts only). */
  imbalanceAfter?: number;
  cpuLoadAfter: number;
  memoryLoadAfter: number;
}

export function placeVm(s: ClusterSnapshot, args: ClusterBalanceArgs, req: PlacementRequest): { imbalance: number; hosts: PlacementAdvice[] } {
  const model = buildModel(s, args);
  const vm: VmModel = {
    uuid: '',
    name: req.name ?? '(new VM)',
    hostId: '',
    vcpus: req.vcpus,
    cpuEnt: req.cpuPercent ?? req.vcpus * 50,
    cpuReserved: req.cpuReservedPercent ?? 0,
    memEnt: req.memoryMiB,
    memSizeMiB: req.memoryMiB,
    dirtyMiBPerSec: 0,
    automation: 'auto',
    labels: req.labels ?? {},
    migrating: false,
    recentMoves: 0,
  };
  model.vms.push(vm);
  const st = new PlacementState(model);
  const book = ruleBook(args, model.vms);
  const v = model.vms.length - 1;
  const imbalance = st.imbalance();
  const advice = st.hosts.map((h, i): PlacementAdvice => {
    const no = whyNotFit(st, book, args, v, i);
    const cpuLoadAfter = st.cpuLoad(i) + vm.cpuEnt / h.cpuCapacity;
    const memoryLoadAfter = st.memLoad(i) + vm.memEnt / h.memCapacityMiB;
    if (no) return { hostId: h.id, rank: 0, fits: false, reason: no, cpuLoadAfter: r3(cpuLoadAfter), memoryLoadAfter: r3(memoryLoadAfter) };
    const after = st.imbalanceIf(v, i);
    return {
      hostId: h.id,
      rank: 0,
      fits: true,
      reason: `fits; cluster imbalance ${imbalance.toFixed(3)} → ${after.toFixed(3)}; loads after: CPU ${(cpuLoadAfter * 100).toFixed(0)} %, memory ${(memoryLoadAfter * 100).toFixed(0)} %`,
      imbalanceAfter: r3(after),
      cpuLoadAfter: r3(cpuLoadAfter),
      memoryLoadAfter: r3(memoryLoadAfter),
    };
  });
  advice.sort((a, b) => Number(b.fits) - Number(a.fits) || (a.imbalanceAfter ?? 0) - (b.imbalanceAfter ?? 0) || Math.max(a.cpuLoadAfter, a.memoryLoadAfter) - Math.max(b.cpuLoadAfter, b.memoryLoadAfter) || a.hostId.localeCompare(b.hostId));
  advice.forEach((a, i) => (a.rank = i + 1));
  return { imbalance: r3(imbalance), hosts: advice };
}
