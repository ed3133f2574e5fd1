import type { Policy } from '../policy.js';
import { cpuBounds, memoryBounds } from '../entitlement-signals.js';
import { memoryShortage } from '../memory-balloon/shortage-signal.js';
import { defaultClusterBalanceArgs, type ClusterBalanceArgs } from './args.js';
import { migrateInFlightRule } from './in-flight.js';
import { CLUSTER_BALANCE_POLICY_NAME, planClusterBalance } from './plan.js';
import { validateClusterBalanceArgs } from './validate.js';

export * from './args.js';
export { planClusterBalance, CLUSTER_BALANCE_POLICY_NAME } from './plan.js';
export { validateClusterBalanceArgs } from './validate.js';
export { migrateInFlightRule } from './in-flight.js';
export { clusterImbalance } from './imbalance.js';
export { placeVm, type PlacementRequest, type PlacementAdvice } from './placement.js';
// the search's pieces, for what replays its rules outside a plan (the bench's exhaustive search)
export { buildModel, type ClusterModel, type HostModel, type VmModel } from './model.js';
export { PlacementState } from './placement-state.js';
export { ruleBook, type RuleBook } from './rules.js';
export { whyNotFit } from './fit.js';
export { movable } from './balance.js';
export { migrationCostSec, pays } from './moves.js';

/**
 * `cluster-balance`: DRS-style placement across hosts by live migration (plan.ts, args.ts). Runs after
 * every per-host policy: it reads their bounds and the memory coordinator's shortage signal.
 */
export const clusterBalancePolicy: Policy<ClusterBalanceArgs> = {
  name: CLUSTER_BALANCE_POLICY_NAME,
  order: 500,
  defaults: defaultClusterBalanceArgs(),
  validate: validateClusterBalanceArgs,
  plan: planClusterBalance,
  inFlight: migrateInFlightRule,
  reads: [cpuBounds, memoryBounds, memoryShortage],
  publishes: [],
};
