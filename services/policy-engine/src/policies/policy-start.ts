/**
 * The policy document at engine start: BALLAST_POLICY_FILE (checked before anything connects) is applied
 * as a new version when it differs from the stored current one — logged and audited as `file:<path>` — and
 * API edits stand until the file changes. No file and nothing stored: the empty document, version 0.
 */
import type { Redis } from 'ioredis';
import type { PolicyConfigEntry } from '@ballast/cycle';
import type { PolicyRegistry } from '@ballast/domain';
import { AuditLog } from '../security/audit-log.js';
import type { PolicyDocument } from './policy-doc.js';
import { PolicyDocuments } from './policy-documents.js';
import { PolicyStore, type PolicyVersion } from './policy-store.js';

export interface StartLog {
  info(obj: object, msg: string): void;
}

export interface PolicyStart {
  docs: PolicyDocuments;
  current: PolicyVersion;
  entries: PolicyConfigEntry[];
  /** The version the file made, when it did. */
  applied?: PolicyVersion;
}

export async function startPolicies(redis: Redis, registry: PolicyRegistry, file: { path: string; document: PolicyDocument } | undefined, log: StartLog): Promise<PolicyStart> {
  const docs = new PolicyDocuments(new PolicyStore(redis), registry);
  const applied = file ? await docs.applyFile(file.path, file.document) : undefined;
  if (file && applied) {
    log.info({ path: file.path, version: applied.version }, `policy file ${file.path} differs from the stored document: applied as version ${applied.version}`);
    await new AuditLog(redis).record({ actor: `file:${file.path}`, action: 'applyPolicyFile', target: `v${applied.version}` });
  } else if (file) {
    log.info({ path: file.path }, `policy file ${file.path} equals the stored document: nothing applied`);
  }
  const { current, entries } = await docs.read();
  return { docs, current, entries, ...(applied ? { applied } : {}) };
}
