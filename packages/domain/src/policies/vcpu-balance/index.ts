import type { Policy } from '../policy.js';
import { numaPlaced } from '../numa-placement/placed-signal.js';
import { defaultVcpuBalanceArgs, type VcpuBalanceArgs } from './args.js';
import { vcpuInFlightRule } from './in-flight.js';
import { planVcpuBalance } from './plan.js';
import { validateVcpuBalanceArgs } from './validate.js';

export * from './args.js';
export { planVcpuBalance, type HostBalanceKind, type VcpuBalanceDecision, type VcpuBalancePlan, type VmBalanceKind } from './plan.js';
export { vcpuInFlightRule } from './in-flight.js';
export { validateVcpuBalanceArgs } from './validate.js';

/** `vcpu-balance`: vCPU pins that even out each host's pCPU usage (see plan.ts and args.ts). */
export const vcpuBalancePolicy: Policy<VcpuBalanceArgs> = {
  name: 'vcpu-balance',
  order: 400,
  defaults: defaultVcpuBalanceArgs(),
  validate: validateVcpuBalanceArgs,
  plan: planVcpuBalance,
  inFlight: vcpuInFlightRule,
  reads: [numaPlaced],
  publishes: [],
};
