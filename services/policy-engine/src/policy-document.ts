import { readFileSync } from 'node:fs';
import { ConfigError } from '@ballast/runtime';
import type { Automation, PolicyConfigEntry } from '@ballast/cycle';

const AUTOMATIONS: Automation[] = ['off', 'recommend', 'auto'];

/**
 * Reads the policy document: `{"policies": {"<name>": {"automation": "auto"|"recommend"|"off", "args": {...}}}}`.
 * A missing file setting means no policies. Errors name the file and the field.
 */
export function loadPolicyDocument(path: string | undefined): PolicyConfigEntry[] {
  if (!path) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`config: policyFile=${JSON.stringify(path)} — ${(e as Error).message}`, { field: 'policyFile', source: path, problem: 'unreadable' });
  }
  const policies = (doc as { policies?: unknown } | null)?.policies;
  if (typeof policies !== 'object' || policies === null || Array.isArray(policies)) {
    throw new ConfigError(`${path}: policies — expected an object of policy name → settings`, { field: 'policies', source: path, problem: 'expected an object' });
  }
  return Object.entries(policies as Record<string, unknown>).map(([name, raw]) => {
    const r = (raw ?? {}) as { automation?: unknown; args?: unknown };
    const automation = r.automation ?? 'auto';
    if (!AUTOMATIONS.includes(automation as Automation)) {
      throw new ConfigError(`${path}: policies.${name}.automation — expected one of ${AUTOMATIONS.join(', ')}`, {
        field: `policies.${name}.automation`,
        source: path,
        problem: 'invalid',
      });
    }
    return { name, automation: automation as Automation, args: r.args ?? {} };
  });
}
