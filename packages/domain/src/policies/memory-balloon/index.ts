import type { Policy } from '../policy.js';
import { defaultMemoryBalloonArgs, type MemoryBalloonArgs } from './args.js';
import { planMemoryBalloon } from './plan.js';
import { validateMemoryBalloonArgs } from './validate.js';

export * from './args.js';
export { planMemoryBalloon, type MemoryDecision, type MemoryDecisionKind, type MemoryPlan, type MemoryVmView } from './plan.js';
export { validateMemoryBalloonArgs } from './validate.js';

/** `memory-balloon`: a balloon target per VM each cycle (see plan.ts and args.ts). */
export const memoryBalloonPolicy: Policy<MemoryBalloonArgs> = {
  name: 'memory-balloon',
  defaults: defaultMemoryBalloonArgs(),
  validate: validateMemoryBalloonArgs,
  plan: planMemoryBalloon,
};
