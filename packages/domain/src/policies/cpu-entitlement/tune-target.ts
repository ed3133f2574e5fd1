/**
 * A VM's cpu tune target (cpu_shares, vcpu_quota, vcpu_period, and where its emulator threads run) and
 * whether what was collected differs from it by more than the tolerances.
 */
import { formatCpuList } from '../../cpu-list.js';
import type { CpuTune } from '../../model.js';
import { fmt } from '../format.js';
import type { CpuControlKnobs, CpuVmKnobs } from './args.js';
import { quotaUsFor } from './entitlement.js';
import { isUnlimitedQuota } from './tune-bounds.js';

export interface TuneTarget {
  shares: number;
  /** -1: unlimited. */
  quotaUs: number;
  /** Only with a quota (a period without one changes nothing). */
  periodUs?: number;
  /** The pCPUs the emulator threads follow the vCPUs to (emulatorFollowsVcpus), ascending; absent: left as they are. */
  emulatorPcpus?: number[];
}

export function tuneTarget(shares: number, k: CpuVmKnobs, emulatorPcpus?: readonly number[]): TuneTarget {
  const quotaUs = quotaUsFor(k.limitPercent, k.periodUs);
  const t: TuneTarget = isUnlimitedQuota(quotaUs) ? { shares, quotaUs } : { shares, quotaUs, periodUs: k.periodUs };
  if (emulatorPcpus !== undefined) t.emulatorPcpus = [...emulatorPcpus];
  return t;
}

/** The same pCPU set (both ascending), or both absent. */
export function samePcpus(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/** The cap a tune sets, % of a pCPU per vCPU; undefined when unlimited. */
export function capPercent(t: { quotaUs: number; periodUs?: number }): number | undefined {
  if (isUnlimitedQuota(t.quotaUs) || !t.periodUs) return undefined;
  return (100 * t.quotaUs) / t.periodUs;
}

const capText = (c: number | undefined): string => (c === undefined ? 'unlimited' : `${fmt(c)} %`);

/** What differs between the collected tune and the target beyond the tolerances, in words; undefined when nothing does. */
export function tuneDifference(collected: CpuTune, target: TuneTarget, c: CpuControlKnobs): string | undefined {
  const diffs: string[] = [];
  if (Math.abs(collected.shares - target.shares) > Math.max(0, (target.shares * c.sharesTolerancePercent) / 100)) {
    diffs.push(`cpu_shares ${collected.shares} → ${target.shares}`);
  }
  const was = capPercent(collected);
  const want = capPercent(target);
  const capDiffers = (was === undefined) !== (want === undefined) || (was !== undefined && want !== undefined && Math.abs(was - want) > c.limitTolerancePercent);
  if (capDiffers || (want !== undefined && collected.periodUs !== target.periodUs)) {
    diffs.push(`cap ${capText(was)}${was !== undefined ? ` (quota ${collected.quotaUs}/${collected.periodUs} µs)` : ''} → ${capText(want)}` +
      `${want !== undefined ? ` (quota ${target.quotaUs}/${target.periodUs} µs)` : ''}`);
  }
  if (target.emulatorPcpus !== undefined && collected.emulatorPcpus !== undefined && !samePcpus(collected.emulatorPcpus, target.emulatorPcpus)) {
    diffs.push(`emulator threads on pCPUs ${formatCpuList(collected.emulatorPcpus)} → ${formatCpuList(target.emulatorPcpus)} (its vCPUs')`);
  }
  return diffs.length > 0 ? diffs.join(', ') : undefined;
}

/** Two targets set the same tune (a job in flight with this action needs no repeat). */
export function sameTune(a: { shares?: number; quotaUs?: number; periodUs?: number; emulatorPcpus?: number[] }, b: TuneTarget): boolean {
  return a.shares === b.shares && a.quotaUs === b.quotaUs && a.periodUs === b.periodUs && samePcpus(a.emulatorPcpus, b.emulatorPcpus);
}
