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
import { measuredSpread } from './measured-spread.js';
import { searchMoves, type Move, type Mover, type SearchResult } from './search.js';
import { Spread } from './spread.js';
import { placeUnpinned } from './unpinned.js';

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
  /** The steady spread above which the host is out of balance: threshold + margin × noise. */
  trigger: number;
  /** The spread over the last smoothingSamples, and over the last steadySamples (stdDevBefore is the one acted on). */
  shortStdDev: number;
  /** The short spread of usage alone (without the run-queue wait): urgent needs both above urgentStdDevPercent (read only when the demand's is). */
  shortUsageStdDev?: number;
  steadyStdDev: number;
  /** The steady spread of usage alone: the steady trigger needs both above it (read only when the demand's is). */
  steadyUsageStdDev?: number;
  /** The spread as the GT monitor measures it (measured-spread.ts), when the host has unpinned vCPUs. */
  measuredStdDev?: number;
  /** vCPUs the search left where they are because Ballast pinned them less than minPinDwellMs ago. */
  dwelling: number;
  /** Why it acts: unpinned vCPUs to pin, a short spread above urgentStdDevPercent, or the steady spread above the trigger. */
  basis?: 'unpinned' | 'urgent' | 'steady';
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
  const empty: HostPlan = {
    hostId,
    kind: 'stale',
    knobs,
    vms: [],
    loadBefore: [],
    loadAfter: [],
    stdDevBefore: 0,
    noise: 0,
    trigger: 0,
    shortStdDev: 0,
    steadyStdDev: 0,
    stdDevAfter: 0,
    hostStdDevBefore: 0,
    totalUsage: 0,
    moves: [],
    recommended: [],
    dwelling: 0,
  };
  if (!host || host.stale) return empty;
  const layout = hostLayout(host);
  const ctx: AssessContext = { args: c.args, layout, nowMs: c.nowMs, pins: c.pins, numaInFlight: c.numaInFlight, numaPlaced: c.numaPlaced };
  const assessed = vms.map((vm) => assessVm(vm, ctx));
  const short = spreadOf(layout, assessed, 'usagePercent');
  const steady = spreadOf(layout, assessed, 'steadyPercent');
  const noise = loadNoise(assessed, layout.pcpuCount);
  const trigger = knobs.thresholdStdDevPercent + c.args.control.noiseMarginStdErrors * noise;
  const p: HostPlan = { ...empty, kind: 'balanced', layout, vms: assessed, noise, trigger, shortStdDev: short.stdDev(), steadyStdDev: steady.stdDev(), totalUsage: short.total() };
  const act = (basis: NonNullable<HostPlan['basis']>, spread: Spread): Spread => {
    p.basis = basis;
    return spread;
  };
  let spread = steady;
  if (p.totalUsage < knobs.idleTotalPercent) p.kind = 'idle';
  // unpinned vCPUs: against the plain threshold — their noise is the kernel moving them, which pinning ends
  // (with the noise margin, a host whose spread swung 0–68 sample to sample stayed unpinned for 20 s)
  else if (hasUnpinned(assessed) && (p.measuredStdDev = measuredSpread(assessed, layout, c.args.control.smoothingSamples)) > knobs.thresholdStdDevPercent) spread = act('unpinned', short);
  // urgent or steady only when what the vCPUs wanted and what they got are both far apart: the wait is the
  // pCPU's as much as the vCPU's — it swings with how bursts line up on a shared pCPU, and host processes
  // make one pCPU's vCPUs wait more — so a swap of equal guests would move it, not remove it (on the lab two
  // equal guests were swapped and back in 8 s, and swapped once more on a busy CI host)
  else if (p.shortStdDev > knobs.urgentStdDevPercent && (p.shortUsageStdDev = spreadOf(layout, assessed, 'gotPercent').stdDev()) > knobs.urgentStdDevPercent) spread = act('urgent', short);
  else if (p.steadyStdDev > trigger && (p.steadyUsageStdDev = spreadOf(layout, assessed, 'steadyGotPercent').stdDev()) > trigger) spread = act('steady', steady);
  p.loadBefore = spread.loads();
  p.stdDevBefore = spread.stdDev();
  p.hostStdDevBefore = spread.hostStdDev();
  if (p.basis) search(p, spread, layout, knobs, c.nowMs);
  p.loadAfter = spread.loads();
  p.stdDevAfter = spread.stdDev();
  return p;
}

/** The pCPUs' load from each vCPU's usage over one window, where the vCPU is. */
function spreadOf(layout: HostLayout, vms: readonly AssessedVm[], usage: 'usagePercent' | 'steadyPercent' | 'gotPercent' | 'steadyGotPercent'): Spread {
  const spread = new Spread(layout);
  for (const a of vms) {
    for (const v of a.vcpus) for (let k = 0; k < v.place.length; k++) spread.add(v.place[k]?.[0] as number, v[usage] * (v.place[k]?.[1] as number));
  }
  return spread;
}

/** A busy vCPU of an 'auto' or 'recommend' VM that may still run anywhere in its cell. */
function hasUnpinned(vms: readonly AssessedVm[]): boolean {
  return vms.some((a) => typeof a.standing === 'string' && a.vcpus.some((v) => v.owner.kind === 'unpinned' && v.usagePercent > 0));
}

/**
 * Auto moves first (jobs), then recommend moves from there (decisions), each within the cap: unpinned vCPUs
 * placed (unpinned.ts), or improving moves and swaps (search.ts) over the window the host is judged on.
 */
function search(p: HostPlan, spread: Spread, layout: HostLayout, knobs: VcpuHostKnobs, nowMs: number): void {
  const usage = p.basis === 'steady' ? 'steadyPercent' : 'usagePercent';
  const o = { cap: knobs.maxPinChangesPerCycle, minDropPoints: (knobs.minGainPercent / 100) * p.stdDevBefore };
  // short of urgent, a vCPU Ballast pinned lately stays where it is (minPinDwellMs)
  const recentSince = p.basis === 'steady' ? nowMs - knobs.minPinDwellMs : Infinity;
  const find = (standing: 'auto' | 'recommend'): SearchResult => {
    const all = moversOf(p.vms, standing, usage);
    const movers = all.filter((m) => !(m.pinnedAtMs !== undefined && m.pinnedAtMs > recentSince));
    p.dwelling += all.length - movers.length;
    if (p.basis !== 'unpinned') return searchMoves(spread, layout, movers, o);
    const moves = placeUnpinned(spread, layout, movers.filter((m) => m.unpinned), o.cap, knobs.thresholdStdDevPercent);
    return { moves, improvable: moves.length > 0, bestGainPercent: 0 };
  };
  const auto = find('auto');
  p.moves = auto.moves;
  p.search = auto;
  if (p.vms.some((a) => a.standing === 'recommend')) p.recommended = find('recommend').moves;
  if (p.moves.length > 0) p.kind = 'rebalanced';
  else if (p.recommended.length > 0) p.kind = 'recommend';
  else p.kind = auto.improvable ? 'skipped-for-stability' : 'unbalanced';
}

/** The vCPUs of the VMs in that standing the search may pin: any but a pin in flight, and busy; their usage over the window judged. */
function moversOf(vms: readonly AssessedVm[], standing: 'auto' | 'recommend', usage: 'usagePercent' | 'steadyPercent'): Mover[] {
  const out: Mover[] = [];
  vms.forEach((a, vmIndex) => {
    if (a.standing !== standing) return;
    for (const v of a.vcpus) {
      if (v.owner.kind === 'in-flight' || !(v.usagePercent > 0)) continue;
      out.push({
        vmIndex,
        vcpu: v.vcpu,
        usagePercent: v[usage],
        place: v.place,
        mainPcpu: v.mainPcpu,
        cellIndex: a.domain.cellIndex,
        unpinned: v.owner.kind === 'unpinned',
        ...(v.owner.kind === 'ballast' ? { pinnedAtMs: v.owner.atMs } : {}),
      });
    }
  });
  return out;
}
