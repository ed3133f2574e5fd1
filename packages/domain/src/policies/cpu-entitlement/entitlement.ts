/**
 * The CPU entitlement arithmetic, pure and exported: the cpu-entitlement plan uses it, and so can a
 * cluster policy (a VM's CPU entitlement is its demand bounded by its reservation and its limit).
 *
 * Units: "% of a pCPU" (100 = one pCPU busy all the time); a VM's figures are per VM (n vCPUs × the
 * per-vCPU knob). Weights are libvirt cpu_shares: under contention CFS gives each VM's cgroup a slice
 * of the pCPUs it competes on proportional to its weight.
 */
import { sharesValue } from '../shares-knob.js';
import { SHARES_PER_VCPU, type CpuShares } from './args.js';
import { TUNE_BOUNDS, UNLIMITED_QUOTA_US } from './tune-bounds.js';

/** A weight computed by division is rounded up past this much float noise only. */
const EPSILON = 1e-9;

/** cpu_shares from a `shares` knob: shares per vCPU × vCPUs, rounded, within [set-cpu-tune's minimum, maxShares]. */
export function cpuSharesFor(shares: CpuShares, vcpus: number, maxShares: number = TUNE_BOUNDS.sharesMax): number {
  const raw = Math.round(sharesValue(shares, SHARES_PER_VCPU) * Math.max(1, vcpus));
  return Math.min(maxShares, Math.max(TUNE_BOUNDS.sharesMin, raw));
}

/** vcpu_quota for a limit per vCPU: limit % of the period, rounded; unlimited (-1) without a limit or at ≥ 100 %. */
export function quotaUsFor(limitPercent: number | undefined, periodUs: number): number {
  if (limitPercent === undefined || limitPercent >= 100) return UNLIMITED_QUOTA_US;
  return Math.max(TUNE_BOUNDS.quotaMinUs, Math.round((limitPercent / 100) * periodUs));
}

/** A VM's reservation, % of a pCPU: vCPUs × the reservation per vCPU. */
export function reservedCpuPercent(reservationPercent: number, vcpus: number): number {
  return Math.max(1, vcpus) * reservationPercent;
}

/** A VM's cap, % of a pCPU: vCPUs × the limit per vCPU, or vCPUs × 100 without one (a vCPU runs on one pCPU at a time). */
export function cpuLimitPercent(limitPercent: number | undefined, vcpus: number): number {
  return Math.max(1, vcpus) * Math.min(100, limitPercent ?? 100);
}

/** A VM's CPU entitlement, % of a pCPU: its demand, at least its reservation, at most its limit. */
export function cpuEntitlementPercent(demandPercent: number, bounds: { reservedPercent: number; limitPercent: number }): number {
  return Math.min(bounds.limitPercent, Math.max(bounds.reservedPercent, demandPercent));
}

/**
 * What a VM gets when every VM competing on its pCPUs wants all it can: its weight's fraction of the
 * competing weights, times its pCPUs, % of a pCPU. `othersWeight`: Σ cpu_shares of the other VMs that
 * may run on any of those pCPUs (counting each in full is conservative: one that can also run elsewhere
 * takes less).
 */
export function contendedCpuPercent(weight: number, othersWeight: number, pcpus: number): number {
  const total = weight + othersWeight;
  return total > 0 ? (pcpus * 100 * weight) / total : pcpus * 100;
}

/**
 * The smallest cpu_shares whose contended share (contendedCpuPercent) is at least `reservedPercent`:
 * w / (w + o) · 100·p ≥ r  ⟺  w ≥ ρ / (1 − ρ) · o, with ρ = r / (100·p). 0 without a reservation or
 * competitors; Infinity when the reservation takes all the pCPUs (ρ ≥ 1) while others compete.
 */
export function sharesForReservation(reservedPercent: number, pcpus: number, othersWeight: number): number {
  if (reservedPercent <= 0 || othersWeight <= 0) return 0;
  const rho = reservedPercent / (100 * pcpus);
  if (rho >= 1) return Infinity;
  return Math.ceil((rho / (1 - rho)) * othersWeight - EPSILON);
}
