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
  cpuEntitlementPolicy,
  planCpuEntitlement,
  validateCpuEntitlementArgs,
  defaultCpuEntitlementArgs,
  cpuTuneInFlightRule,
  cpuSharesFor,
  quotaUsFor,
  reservedCpuPercent,
  cpuLimitPercent,
  cpuEntitlementPercent,
  contendedCpuPercent,
  sharesForReservation,
  SHARES_PER_VCPU,
  type CpuEntitlementArgs,
  type CpuDecision,
  type CpuDecisionKind,
} from './policies/cpu-entitlement/index.js';
export {
  numaPlacementPolicy,
  planNumaPlacement,
  validateNumaPlacementArgs,
  defaultNumaPlacementArgs,
  numaPlaced,
  type NumaPlacementArgs,
  type NumaPlaced,
  type NumaDecision,
  type NumaDecisionKind,
} from './policies/numa-placement/index.js';
export {
  ksmPolicy,
  planKsm,
  validateKsmArgs,
  defaultKsmArgs,
  ksmInFlightRule,
  type KsmArgs,
  type KsmKnobs,
  type KsmDecision,
  type KsmDecisionKind,
} from './policies/ksm/index.js';
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
export * from './policies/entitlement-signals.js';
export {
  clusterBalancePolicy,
  planClusterBalance,
  validateClusterBalanceArgs,
  defaultClusterBalanceArgs,
  clusterImbalance,
  placeVm,
  targetImbalance,
  balancePriority,
  CLUSTER_BALANCE_POLICY_NAME,
  buildModel as buildClusterModel,
  PlacementState,
  ruleBook as clusterRuleBook,
  whyNotFit,
  movable as clusterMovable,
  migrationCostSec,
  pays as migrationPays,
  type ClusterModel,
  type HostModel as ClusterHostModel,
  type VmModel as ClusterVmModel,
  type RuleBook as ClusterRuleBook,
  type ClusterBalanceArgs,
  type PlacementRequest,
  type PlacementAdvice,
} from './policies/cluster-balance/index.js';
