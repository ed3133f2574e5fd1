import type { Policy } from '../policy.js';
import { cpuBounds } from '../entitlement-signals.js';
import { defaultCpuEntitlementArgs, type CpuEntitlementArgs } from './args.js';
import { cpuTuneInFlightRule } from './in-flight.js';
import { planCpuEntitlement } from './plan.js';
import { validateCpuEntitlementArgs } from './validate.js';

export * from './args.js';
export * from './entitlement.js';
export { planCpuEntitlement, type CpuDecision, type CpuDecisionKind, type CpuPlan } from './plan.js';
export { cpuTuneInFlightRule, tunesInFlight } from './in-flight.js';
export { validateCpuEntitlementArgs } from './validate.js';
export { TUNE_BOUNDS } from './tune-bounds.js';

/** `cpu-entitlement`: each VM's cpu_shares and vcpu_quota/period from its shares, reservation and limit (plan.ts, args.ts). */
export const cpuEntitlementPolicy: Policy<CpuEntitlementArgs> = {
  name: 'cpu-entitlement',
  order: 200,
  defaults: defaultCpuEntitlementArgs(),
  validate: validateCpuEntitlementArgs,
  plan: planCpuEntitlement,
  inFlight: cpuTuneInFlightRule,
  reads: [],
  publishes: [cpuBounds],
};
