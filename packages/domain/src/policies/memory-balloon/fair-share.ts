/**
 * Divides `total` MiB among claimants by water-filling on size per weight: every claimant's size is raised
 * toward a common level L·weight (never above size + amount), lowest first, until `total` is used. With
 * equal weights that is max-min fairness on balloon sizes (the smallest grows first; the same need ends at
 * the same size); with shares as weights a VM with twice the shares per MiB ends at twice the size under
 * contention, as ESX's shares do. Returns each claimant's part (0 ≤ part ≤ amount, Σ ≤ total).
 */
export interface Claim {
  /** Current size, MiB (balloon plus what is already granted). */
  sizeMiB: number;
  /** Relative weight (shares per MiB); > 0. */
  weight: number;
  /** Most it may get, MiB. */
  amountMiB: number;
}

export function fairShares(claims: readonly Claim[], totalMiB: number): number[] {
  const amounts = claims.map((c) => Math.max(0, c.amountMiB));
  const sum = amounts.reduce((s, a) => s + a, 0);
  if (!(totalMiB > 0)) return claims.map(() => 0);
  if (sum <= totalMiB) return amounts;
  const w = claims.map((c) => (c.weight > 0 ? c.weight : 1));
  const part = (level: number): number[] => claims.map((c, i) => Math.min(amounts[i] as number, Math.max(0, level * (w[i] as number) - c.sizeMiB)));
  const used = (level: number): number => part(level).reduce((s, x) => s + x, 0);
  // used(level) is piecewise linear, changing slope where a claimant starts (size/weight) or stops
  // ((size + amount)/weight): find the segment where it reaches the total and interpolate in it.
  const points = [...new Set(claims.flatMap((c, i) => [c.sizeMiB / (w[i] as number), (c.sizeMiB + (amounts[i] as number)) / (w[i] as number)]))].sort((a, b) => a - b);
  // Below the lowest point nobody gets anything (sizes may be negative, e.g. headroom below zero).
  let lo = points[0] ?? 0;
  for (const p of points) {
    if (used(p) >= totalMiB) {
      const u0 = used(lo);
      const u1 = used(p);
      const level = u1 > u0 ? lo + ((totalMiB - u0) * (p - lo)) / (u1 - u0) : p;
      const out = part(level);
      // Interpolation is exact up to rounding: never hand out more than the total.
      const over = out.reduce((s, x) => s + x, 0) - totalMiB;
      return over > 0 ? out.map((x) => Math.max(0, x - (over * x) / (totalMiB + over))) : out;
    }
    lo = p;
  }
  return part(lo);
}
