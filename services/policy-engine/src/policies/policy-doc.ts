/**
 * The policy document, as the API, the store and BALLAST_POLICY_FILE take it (JSON or YAML):
 *
 *   {"policies": {"<name>": {"automation": "auto"|"recommend"|"off", "args": {…}, "selector": {"matchLabels": {…}}}}}
 *
 * `automation` defaults to auto, `args` to the policy's defaults, no `selector` selects every VM. A document
 * is checked whole: every problem of every entry is named (PolicyDocumentError.issues, `<field>: <why>`).
 * Stored and compared in a normal form: automation written out, object keys sorted (normalizeDocument).
 */
import { PolicyDocumentError, validatePolicies, type Automation, type PolicyConfigEntry, type VmSelector } from '@ballast/cycle';
import type { PolicyRegistry } from '@ballast/domain';
import { parse as parseYaml } from 'yaml';

const AUTOMATIONS: readonly Automation[] = ['auto', 'recommend', 'off'];
const ENTRY_FIELDS = new Set(['automation', 'args', 'selector']);
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface PolicyDocEntry {
  automation: Automation;
  args?: unknown;
  selector?: VmSelector;
}

export interface PolicyDocument {
  policies: Record<string, PolicyDocEntry>;
}

export const EMPTY_DOCUMENT: PolicyDocument = { policies: {} };

/** Text as a value: YAML when `yaml` (a superset of JSON), else JSON. A syntax error is one issue on `body`. */
export function parsePolicyText(text: string, format: 'json' | 'yaml', field = 'body'): unknown {
  try {
    return format === 'yaml' ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (e) {
    throw new PolicyDocumentError([`${field}: not valid ${format === 'yaml' ? 'YAML' : 'JSON'} (${(e as Error).message.split('\n')[0] ?? ''})`]);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The shape of a raw document (not the policies' args): its entries and every structural issue. */
function entriesOf(raw: unknown): { entries: PolicyConfigEntry[]; issues: string[] } {
  if (!isObject(raw)) return { entries: [], issues: ['body: must be an object {"policies": {…}}'] };
  const issues = Object.keys(raw)
    .filter((k) => k !== 'policies')
    .map((k) => `${k}: unknown field (a document holds "policies")`);
  const policies = raw['policies'];
  if (policies === undefined) return { entries: [], issues: [...issues, 'policies: required (an object of policy name → settings; {} for none)'] };
  if (!isObject(policies)) return { entries: [], issues: [...issues, 'policies: must be an object of policy name → settings'] };
  const entries: PolicyConfigEntry[] = [];
  for (const [name, value] of Object.entries(policies)) {
    const at = `policies.${name}`;
    if (!NAME.test(name)) issues.push(`${at}: not a policy name (lower-case letters, digits and -)`);
    const r = value ?? {};
    if (!isObject(r)) {
      issues.push(`${at}: must be an object {automation, args, selector}`);
      continue;
    }
    for (const k of Object.keys(r)) if (!ENTRY_FIELDS.has(k)) issues.push(`${at}.${k}: unknown field (known: automation, args, selector)`);
    const automation = r['automation'] ?? 'auto';
    if (!AUTOMATIONS.includes(automation as Automation)) issues.push(`${at}.automation: must be one of ${AUTOMATIONS.join(', ')}`);
    entries.push({ name, automation: automation as Automation, args: structuredClone(r['args'] ?? {}), ...(r['selector'] !== undefined ? { selector: r['selector'] as VmSelector } : {}) });
  }
  return { entries, issues };
}

/**
 * Checks a raw document whole against the registry's policies: its normal form and its entries (args with
 * defaults filled in, ready for PolicyCycle). Throws PolicyDocumentError naming every problem.
 */
export function checkPolicyDocument(registry: PolicyRegistry, raw: unknown): { document: PolicyDocument; entries: PolicyConfigEntry[] } {
  const { entries, issues } = entriesOf(raw);
  try {
    validatePolicies(registry, entries);
  } catch (e) {
    if (!(e instanceof PolicyDocumentError)) throw e;
    issues.push(...e.issues);
  }
  if (issues.length > 0) throw new PolicyDocumentError(issues);
  return { document: normalizeDocument(raw as PolicyDocument), entries };
}

/** Automation written out, keys sorted at every depth: equal documents have equal JSON. */
export function normalizeDocument(doc: PolicyDocument): PolicyDocument {
  const policies: Record<string, PolicyDocEntry> = {};
  for (const [name, e] of Object.entries(doc.policies ?? {})) {
    const entry = e ?? ({} as Partial<PolicyDocEntry>);
    policies[name] = {
      automation: entry.automation ?? 'auto',
      ...(entry.args !== undefined ? { args: entry.args } : {}),
      ...(entry.selector !== undefined ? { selector: entry.selector } : {}),
    };
  }
  return sortKeys({ policies }) as PolicyDocument;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys(v[k])]),
  );
}

/** `field: message` lines as objects (the API's `issues`). */
export function issueFields(issues: readonly string[]): { field: string; message: string }[] {
  return issues.map((line) => {
    const i = line.indexOf(': ');
    return i < 0 ? { field: 'body', message: line } : { field: line.slice(0, i), message: line.slice(i + 2) };
  });
}
