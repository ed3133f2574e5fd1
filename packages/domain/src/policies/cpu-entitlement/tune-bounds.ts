/**
 * The bounds a cpu tune target must keep: cpu_shares and vcpu_period as the set-cpu-tune job type
 * declares them (read from its action schema, so they are written once), and libvirt's smallest
 * vcpu_quota.
 */
import { setCpuTuneJob } from '../../jobs/types/set-cpu-tune.js';

const shape = setCpuTuneJob.action.shape;

export const TUNE_BOUNDS = Object.freeze({
  sharesMin: shape.shares.unwrap().minValue ?? 2,
  sharesMax: shape.shares.unwrap().maxValue ?? 262_144,
  periodMinUs: shape.periodUs.unwrap().minValue ?? 1000,
  periodMaxUs: shape.periodUs.unwrap().maxValue ?? 1_000_000,
  /** libvirt takes a vcpu_quota of 1000 µs or more, or a negative one (unlimited). */
  quotaMinUs: 1000,
});

/** The vcpu_quota that means "unlimited". */
export const UNLIMITED_QUOTA_US = -1;

/**
 * libvirt reads an unlimited vcpu_quota back as -1 or 0 (cgroup v1) or 17592186044415 (cgroup v2's
 * "max", which it reports as the largest quota it accepts).
 */
export function isUnlimitedQuota(quotaUs: number): boolean {
  return quotaUs <= 0 || quotaUs >= 17_592_186_044_415;
}
