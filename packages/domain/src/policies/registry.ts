import type { Policy } from './policy.js';
import { clusterBalancePolicy } from './cluster-balance/index.js';
import { cpuEntitlementPolicy } from './cpu-entitlement/index.js';
import { ksmPolicy } from './ksm/index.js';
import { memoryBalloonPolicy } from './memory-balloon/index.js';
import { numaPlacementPolicy } from './numa-placement/index.js';
import { vcpuBalancePolicy } from './vcpu-balance/index.js';

/** Maps policy name → policy. Policies register themselves in index.ts of their folder. */
export class PolicyRegistry {
  private readonly policies = new Map<string, Policy<unknown>>();

  register<A>(policy: Policy<A>): this {
    if (this.policies.has(policy.name)) throw new Error(`policy "${policy.name}" is registered twice`);
    this.policies.set(policy.name, policy as Policy<unknown>);
    return this;
  }

  get(name: string): Policy<unknown> | undefined {
    return this.policies.get(name);
  }

  names(): string[] {
    return [...this.policies.keys()].sort();
  }

  /** Names in the order policies run in a cycle: ascending `order`, then name. */
  runOrder(): string[] {
    return [...this.policies.values()].sort((a, b) => a.order - b.order || a.name.localeCompare(b.name)).map((p) => p.name);
  }
}

/**
 * The registry of every policy Ballast ships (enabled per deployment by the policy document). They run in
 * this order of `order`: memory-balloon (100), ksm (150), cpu-entitlement (200), numa-placement (300), vcpu-balance (400), cluster-balance (500).
 */
export function builtinPolicies(): PolicyRegistry {
  return new PolicyRegistry().register(memoryBalloonPolicy).register(ksmPolicy).register(cpuEntitlementPolicy).register(numaPlacementPolicy)
    .register(vcpuBalancePolicy).register(clusterBalancePolicy);
}
