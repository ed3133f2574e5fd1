import type { Policy } from '../policy.js';
import { numaPlaced } from './placed-signal.js';
import { defaultNumaPlacementArgs, type NumaPlacementArgs } from './args.js';
import { numaInFlightRule } from './in-flight.js';
import { planNumaPlacement } from './plan.js';
import { validateNumaPlacementArgs } from './validate.js';

export * from './args.js';
export { planNumaPlacement, type NumaDecision, type NumaDecisionKind, type NumaPlan } from './plan.js';
export { numaInFlightRule } from './in-flight.js';
export { numaPlaced, type NumaPlaced } from './placed-signal.js';
export { liveMove, type LiveMove } from './live-move.js';
export { validateNumaPlacementArgs } from './validate.js';

/** `numa-placement`: each VM's memory and vCPUs on one NUMA cell when one holds it (plan.ts, args.ts). */
export const numaPlacementPolicy: Policy<NumaPlacementArgs> = {
  name: 'numa-placement',
  order: 300,
  defaults: defaultNumaPlacementArgs(),
  validate: validateNumaPlacementArgs,
  plan: planNumaPlacement,
  inFlight: numaInFlightRule,
  reads: [],
  publishes: [numaPlaced],
};
