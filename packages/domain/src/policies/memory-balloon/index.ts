import type { Policy } from '../policy.js';
import { memoryBounds } from '../entitlement-signals.js';
import { memoryShortage } from './shortage-signal.js';
import { defaultMemoryBalloonArgs, type MemoryBalloonArgs } from './args.js';
import { memoryInFlightRule } from './in-flight.js';
import { planMemoryBalloon } from './plan.js';
import { validateMemoryBalloonArgs } from './validate.js';

export * from './args.js';
export { planMemoryBalloon, type MemoryDecision, type MemoryDecisionKind, type MemoryPlan } from './plan.js';
export { memoryInFlightRule, targetsInFlight } from './in-flight.js';
export { memoryShortage, type MemoryShortage } from './shortage-signal.js';
export { validateMemoryBalloonArgs } from './validate.js';

/** `memory-balloon`: a balloon target per VM each cycle (see plan.ts and args.ts). */
export const memoryBalloonPolicy: Policy<MemoryBalloonArgs> = {
  name: 'memory-balloon',
  order: 100,
  defaults: defaultMemoryBalloonArgs(),
  validate: validateMemoryBalloonArgs,
  plan: planMemoryBalloon,
  inFlight: memoryInFlightRule,
  reads: [],
  publishes: [memoryBounds, memoryShortage],
};
