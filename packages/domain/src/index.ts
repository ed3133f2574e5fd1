export * from './model.js';
export * from './jobs/index.js';
export * from './units.js';
export * from './cpu-list.js';
export * from './usage.js';
export * from './snapshot.js';
export * from './host-report.js';
export * from './policies/policy.js';
export * from './policies/registry.js';
export * from './policies/policy-signals.js';
export {
  memoryBalloonPolicy,
  planMemoryBalloon,
  validateMemoryBalloonArgs,
  defaultMemoryBalloonArgs,
  memoryShortage,
  targetsInFlight,
  type MemoryBalloonArgs,
  type MemoryDecision,
  type MemoryDecisionKind,
  type MemoryShortage,
} from './policies/memory-balloon/index.js';
export {
  vcpuBalancePolicy,
  planVcpuBalance,
  validateVcpuBalanceArgs,
  defaultVcpuBalanceArgs,
  vcpuInFlightRule,
  type VcpuBalanceArgs,
  type VcpuBalanceDecision,
  type VcpuBalancePlan,
  type HostBalanceKind,
  type VmBalanceKind,
} from './policies/vcpu-balance/index.js';
export * from './seeded-random.js';
