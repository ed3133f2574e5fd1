/**
 * What the API (HTTP and gRPC) and the engine's start do with policy documents: read the current one,
 * replace it or one of its entries (checked whole first: an invalid document stores nothing), and apply
 * BALLAST_POLICY_FILE when it differs from the stored one.
 */
import { PolicyDocumentError, type PolicyConfigEntry } from '@ballast/cycle';
import type { PolicyRegistry } from '@ballast/domain';
import { ApiError } from '../api-error.js';
import { checkPolicyDocument, issueFields, type PolicyDocEntry, type PolicyDocument } from './policy-doc.js';
import { StaleVersionError, type PolicySource, type PolicyStore, type PolicyVersion } from './policy-store.js';

/** Who writes, and why. */
export interface Writer {
  actor: string;
  source: PolicySource;
  comment?: string;
}

/** A PolicyDocumentError as the API's 400: the first issue in `message`/`field`, all of them in `issues`. */
export function invalidDocument(e: PolicyDocumentError): ApiError {
  const issues = issueFields(e.issues);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more: see issues)` : '';
  return new ApiError(400, 'invalid_policy_document', `${e.issues[0] ?? 'invalid'}${more}`, issues[0]?.field ?? 'body', { issues });
}

export class PolicyDocuments {
  constructor(
    readonly store: PolicyStore,
    private readonly registry: PolicyRegistry,
  ) {}

  /** Checks a raw document whole; a 400 ApiError naming every bad field. */
  check(raw: unknown): { document: PolicyDocument; entries: PolicyConfigEntry[] } {
    try {
      return checkPolicyDocument(this.registry, raw);
    } catch (e) {
      throw e instanceof PolicyDocumentError ? invalidDocument(e) : e;
    }
  }

  /** The current version and its entries as the cycle runs them (args with defaults filled in). */
  async read(): Promise<{ current: PolicyVersion; entries: PolicyConfigEntry[] }> {
    const current = await this.store.current();
    return { current, entries: checkPolicyDocument(this.registry, current.document).entries };
  }

  /** Replaces the whole document; `expectedVersion` must be the current one (else 409). */
  async replace(raw: unknown, expectedVersion: number, w: Writer): Promise<PolicyVersion> {
    const { document } = this.check(raw);
    return this.store.apply({ document, expectedVersion, ...w });
  }

  /** Sets one policy's entry (adds or replaces it) on top of `expectedVersion`. */
  async setEntry(name: string, entry: unknown, expectedVersion: number, w: Writer): Promise<PolicyVersion> {
    const base = await this.onTopOf(expectedVersion);
    return this.replace({ policies: { ...base.policies, [name]: entry } }, expectedVersion, w);
  }

  /** Removes one policy's entry (404 when the current document has none) on top of `expectedVersion`. */
  async deleteEntry(name: string, expectedVersion: number, w: Writer): Promise<PolicyVersion> {
    const base = await this.onTopOf(expectedVersion);
    if (base.policies[name] === undefined) throw new ApiError(404, 'policy_not_found', `name: the current document (version ${expectedVersion}) has no policy "${name}"`, 'name');
    const policies: Record<string, PolicyDocEntry> = { ...base.policies };
    delete policies[name];
    return this.replace({ policies }, expectedVersion, w);
  }

  private async onTopOf(expectedVersion: number): Promise<PolicyDocument> {
    const current = await this.store.current();
    if (current.version !== expectedVersion) throw new StaleVersionError(expectedVersion, current.version);
    return current.document;
  }

  /**
   * BALLAST_POLICY_FILE at start: when its document (checked before) differs from the stored current one,
   * it becomes a new version from `file:<path>`; else nothing is written. Returns the version written.
   */
  async applyFile(path: string, document: PolicyDocument): Promise<PolicyVersion | undefined> {
    for (;;) {
      const current = await this.store.current();
      if (JSON.stringify(current.document) === JSON.stringify(document) && current.version > 0) return undefined;
      try {
        return await this.store.apply({ document, expectedVersion: current.version, actor: `file:${path}`, source: 'file', comment: 'BALLAST_POLICY_FILE at engine start' });
      } catch (e) {
        if (!(e instanceof StaleVersionError)) throw e; // another replica wrote meanwhile: compare again
      }
    }
  }
}
