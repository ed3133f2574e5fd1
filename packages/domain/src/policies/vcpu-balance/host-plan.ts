/**
 * One host's plan, step by step: each VM assessed (assess-vm.ts), the pCPUs' load and spread (spread.ts),
 * then — unless the host is idle or balanced — the search for moves of the vCPUs of 'auto' VMs (jobs),
 * then, from there, of 'recommend' VMs (decisions only), each within the cap on pin changes.
 */
import type { HostView, VmView } from '../../snapshot.js';
import type { NumaPlaced } from '../numa-placement/placed-signal.js';
import { withOverrides } from '../vm-groups.js';
import type { VcpuBalanceArgs, VcpuHostKnobs } from './args.js';
import { assessVm, type AssessContext, type AssessedVm } from './assess-vm.js';
import type { HostBalanceKind } from './decision.js';
import type { PinJobs } from './in-flight.js';
import { hostLayout, type HostLayout } from './layout.js';
import { loadNoise } from './load-noise.js';
import { searchMoves, type Move, type Mover, type SearchResult } from './search.js';
import { Spread } from './spread.js';

export interface HostPlan {
  hostId: string;
  kind: HostBalanceKind;
  knobs: VcpuHostKnobs;
  layout?: HostLayout;
  vms: AssessedVm[];
  /** The pCPUs' load before any move, %. */
  loadBefore: number[];
  loadAfter: number[];
  stdDevBefore: number;
  /** Standard error of the pCPUs' smoothed load (load-noise.ts), points. */
  noise: number;
  /** The spread above which the host is out of balance: threshold + margin × noise. */
  trigger: number;
  stdDevAfter: number;
  hostStdDevBefore: number;
  totalUsage: number;
  /** Moves of 'auto' VMs' vCPUs (jobs), in the order found. */
  moves: Move[];
  /** Moves of 'recommend' VMs' vCPUs, after the auto ones (decisions only). */
  recommended: Move[];
  search?: SearchResult;
}

export interface HostContext {
  args: VcpuBalanceArgs;
  nowMs: number;
  pins: ReadonlyMap<string, ReadonlyMap<number, PinJobs>>;
  numaInFlight: ReadonlySet<string>;
  /** VM UUID → numa-placement's entry for it in this cycle's signal. */
  numaPlaced: ReadonlyMap<string, NumaPlaced>;
}

export function planHost(hostId: string, host: HostView | undefined, vms: readonly VmView[], c: HostContext): HostPlan {
  const knobs = withOverrides(c.args.host, c.args.hosts[hostId]);
  const empty: HostPlan = { hostId, kind: 'stale', knobs, vms: [], loadBefore: [], loadAfter: [], stdDevBefore: 0, noise: 0, trigger: 0, stdDevAfter: 0, hostStdDevBefore: 0, totalUsage: 0, moves: [], recommended: [] };
  if (!host || host.stale) return empty;
  const layout = hostLayout(host);
  const ctx: AssessContext = { args: c.args, layout, nowMs: c.nowMs, pins: c.pins, numaInFlight: c.numaInFlight, numaPlaced: c.numaPlaced };
  const assessed = vms.map((vm) => assessVm(vm, ctx));
  const spread = new Spread(layout);
  for (const a of assessed) {
    for (const v of a.vcpus) for (let k = 0; k < v.place.length; k++) spread.add(v.place[k]?.[0] as number, v.usagePercent * (v.place[k]?.[1] as number));
  }
  const noise = loadNoise(assessed, layout.pcpuCount);
  const trigger = knobs.thresholdStdDevPercent + c.args.control.noiseMarginStdErrors * noise;
  const p: HostPlan = { ...empty, kind: 'balanced', layout, vms: assessed, loadBefore: spread.loads(), stdDevBefore: spread.stdDev(), noise, trigger, hostStdDevBefore: spread.hostStdDev(), totalUsage: spread.total() };
  if (p.totalUsage < knobs.idleTotalPercent) p.kind = 'idle';
  else if (p.stdDevBefore > trigger) search(p, spread, layout, knobs);
  p.loadAfter = spread.loads();
  p.stdDevAfter = spread.stdDev();
  return p;
}

/** Auto moves first (jobs), then recommend moves from there (decisions), each within the cap. */
function search(p: HostPlan, spread: Spread, layout: HostLayout, knobs: VcpuHostKnobs): void {
  const o = { cap: knobs.maxPinChangesPerCycle, minDropPoints: (knobs.minGainPercent / 100) * p.stdDevBefore };
  const auto = searchMoves(spread, layout, moversOf(p.vms, 'auto'), o);
  p.moves = auto.moves;
  p.search = auto;
  if (p.vms.some((a) => a.standing === 'recommend')) p.recommended = searchMoves(spread, layout, moversOf(p.vms, 'recommend'), o).moves;
  if (p.moves.length > 0) p.kind = 'rebalanced';
  else if (p.recommended.length > 0) p.kind = 'recommend';
  else p.kind = auto.improvable ? 'skipped-for-stability' : 'unbalanced';
}

/** The vCPUs of the VMs in that standing the search may pin: any but a pin in flight, and busy. */
function moversOf(vms: readonly AssessedVm[], standing: 'auto' | 'recommend'): Mover[] {
  const out: Mover[] = [];
  vms.forEach((a, vmIndex) => {
    if (a.standing !== standing) return;
    for (const v of a.vcpus) {
      if (v.owner.kind === 'in-flight' || !(v.usagePercent > 0)) continue;
      out.push({ vmIndex, vcpu: v.vcpu, usagePercent: v.usagePercent, place: v.place, mainPcpu: v.mainPcpu, cellIndex: a.domain.cellIndex });
    }
  });
  return out;
}
