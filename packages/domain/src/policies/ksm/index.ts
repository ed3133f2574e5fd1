import type { Policy } from '../policy.js';
import { defaultKsmArgs, type KsmArgs } from './args.js';
import { KSM_POLICY_NAME } from './decision.js';
import { ksmInFlightRule } from './in-flight.js';
import { planKsm } from './plan.js';
import { validateKsmArgs } from './validate.js';

export * from './args.js';
export { planKsm, type KsmDecision, type KsmDecisionKind, type KsmPlan } from './plan.js';
export { ksmInFlightRule } from './in-flight.js';
export { validateKsmArgs } from './validate.js';

/** `ksm`: whether each host's ksmd runs and at what pace, from memory pressure and what merging pays (plan.ts). */
export const ksmPolicy: Policy<KsmArgs> = {
  name: KSM_POLICY_NAME,
  order: 150,
  defaults: defaultKsmArgs(),
  validate: validateKsmArgs,
  plan: planKsm,
  inFlight: ksmInFlightRule,
  reads: [],
  publishes: [],
};
