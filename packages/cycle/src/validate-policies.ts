import type { PolicyRegistry } from '@ballast/domain';
import { selectorIssues, type VmSelector } from './vm-selector.js';

export type Automation = 'off' | 'recommend' | 'auto';

/** One policy of the policy document: `{"policies": {"<name>": {"automation": …, "args": {…}}}}`. */
export interface PolicyConfigEntry {
  name: string;
  args: unknown;
  automation: Automation;
  /** The policy acts only on the VMs this selects (vm-selector.ts; it still plans from every VM); all without one. */
  selector?: VmSelector;
}

/** A policy document with problems: every one of them, one line each (`policies.<name>.<field>: <message>`). */
export class PolicyDocumentError extends Error {
  override readonly name = 'PolicyDocumentError';
  constructor(readonly issues: string[]) {
    super(issues.join('\n'));
  }
}

/**
 * Checks every entry of a policy document against its policy and fills the defaults into `args` (in
 * place, only when the whole document is valid). Throws PolicyDocumentError listing every issue of every
 * policy, e.g. `policies.memory-balloon.groups[1].match.labels.tier: must be a string`.
 */
export function validatePolicies(registry: PolicyRegistry, policies: PolicyConfigEntry[]): void {
  const issues: string[] = [];
  const filled = new Map<PolicyConfigEntry, unknown>();
  for (const p of policies) {
    issues.push(...selectorIssues(p.selector, `policies.${p.name}.selector`));
    const policy = registry.get(p.name);
    if (!policy) {
      issues.push(`policies.${p.name}: no such policy (known: ${registry.names().join(', ') || 'none'})`);
      continue;
    }
    const v = policy.validate(p.args);
    if (v.ok) filled.set(p, v.args);
    else for (const i of v.issues) issues.push(`policies.${p.name}${i.field ? `.${i.field}` : ''}: ${i.message}`);
  }
  if (issues.length > 0) throw new PolicyDocumentError(issues);
  for (const [p, args] of filled) p.args = args;
}
