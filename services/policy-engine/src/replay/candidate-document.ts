/**
 * A policy document given as a JSON value (the replay route's `document`): the same format as the policy
 * file, `{"policies": {"<name>": {"automation": "auto"|"recommend"|"off", "args": {...}}}}`. Every issue of
 * the document is reported, not only the first, each naming its field.
 */
import { PolicyDocumentError, validatePolicies, type Automation, type PolicyConfigEntry } from '@ballast/cycle';
import type { PolicyRegistry } from '@ballast/domain';

const AUTOMATIONS: readonly Automation[] = ['off', 'recommend', 'auto'];
const ENTRY_KEYS = new Set(['automation', 'args']);

export type CandidateResult = { ok: true; policies: PolicyConfigEntry[] } | { ok: false; issues: string[] };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The document's entries with their args filled, or every issue (`<prefix>policies.<name>.<field>: why`). */
export function candidatePolicies(registry: PolicyRegistry, doc: unknown, prefix = ''): CandidateResult {
  if (!isObject(doc)) return { ok: false, issues: [`${prefix || 'document'}: expected an object {"policies": {...}}`] };
  const issues: string[] = [];
  for (const key of Object.keys(doc)) if (key !== 'policies') issues.push(`${prefix}${key}: unknown field`);
  if (!isObject(doc.policies)) return { ok: false, issues: [...issues, `${prefix}policies: expected an object of policy name → {automation, args}`] };
  const entries: PolicyConfigEntry[] = [];
  for (const [name, raw] of Object.entries(doc.policies)) {
    const at = `${prefix}policies.${name}`;
    if (!isObject(raw)) {
      issues.push(`${at}: expected an object {automation, args}`);
      continue;
    }
    for (const key of Object.keys(raw)) if (!ENTRY_KEYS.has(key)) issues.push(`${at}.${key}: unknown field`);
    const automation = raw.automation ?? 'auto';
    if (!AUTOMATIONS.includes(automation as Automation)) issues.push(`${at}.automation: expected one of ${AUTOMATIONS.join(', ')}`);
    else entries.push({ name, automation: automation as Automation, args: raw.args ?? {} });
  }
  try {
    validatePolicies(registry, entries);
  } catch (e) {
    if (!(e instanceof PolicyDocumentError)) throw e;
    issues.push(...e.issues.map((i) => `${prefix}${i}`));
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, policies: entries };
}
