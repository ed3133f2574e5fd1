import { readFileSync } from 'node:fs';
import { PolicyDocumentError, type PolicyConfigEntry } from '@ballast/cycle';
import { builtinPolicies } from '@ballast/domain';
import { ConfigError } from '@ballast/runtime';
import { checkPolicyDocument, parsePolicyText, type PolicyDocument } from './policies/policy-doc.js';

/**
 * Reads and checks a policy document file (BALLAST_POLICY_FILE): YAML when it ends in .yaml/.yml, else
 * JSON (policies/policy-doc.ts has the format). Unreadable: ConfigError; invalid: PolicyDocumentError
 * naming every problem.
 */
export function readPolicyFile(path: string): { document: PolicyDocument; entries: PolicyConfigEntry[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`config: policyFile=${JSON.stringify(path)} — ${(e as Error).message}`, { field: 'policyFile', source: path, problem: 'unreadable' });
  }
  const raw = parsePolicyText(text, /\.ya?ml$/i.test(path) ? 'yaml' : 'json', 'document');
  return checkPolicyDocument(builtinPolicies(), raw);
}

/**
 * The entries of a policy document file, checked against the built-in policies (args with defaults filled
 * in). A missing file setting means no policies. Every problem is named in one ConfigError.
 */
export function loadPolicyDocument(path: string | undefined): PolicyConfigEntry[] {
  if (!path) return [];
  try {
    return readPolicyFile(path).entries;
  } catch (e) {
    if (!(e instanceof PolicyDocumentError)) throw e;
    throw new ConfigError(`${path}: ${e.issues.join('; ')}`, { field: e.issues.length === 1 ? (e.issues[0]?.split(':')[0] ?? '') : 'policies', source: path, problem: 'invalid' });
  }
}
