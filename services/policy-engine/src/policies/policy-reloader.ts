/**
 * Hot reload: before each cycle the engine asks the store for the current version (one GET); when it is
 * not the one the cycle runs, the stored document is checked and swapped into the cycle, so the next cycle
 * runs it — whichever engine replica (or the API of another) wrote it. No restart.
 */
import { PolicyDocumentError, type PolicyConfigEntry } from '@ballast/cycle';
import type { PolicyDocuments } from './policy-documents.js';

export interface Swappable {
  replacePolicies(entries: PolicyConfigEntry[]): void;
}

export interface ReloadLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class PolicyReloader {
  /** The version the cycle runs (-1: none loaded yet). */
  loaded = -1;

  constructor(
    private readonly docs: PolicyDocuments,
    private readonly cycle: Swappable,
    private readonly log: ReloadLog,
  ) {}

  /** Loads the stored version into the cycle when it changed; true when it swapped. */
  async check(): Promise<boolean> {
    const version = await this.docs.store.version();
    if (version === this.loaded) return false;
    const { current, entries } = await this.read();
    if (!entries) {
      this.loaded = current.version; // do not retry the same bad version every cycle; the old document stays
      return false;
    }
    this.cycle.replacePolicies(entries);
    const from = this.loaded;
    this.loaded = current.version;
    this.log.info({ from, to: current.version, actor: current.actor, policies: entries.map((e) => `${e.name}:${e.automation}`) }, `policy document version ${current.version} in force`);
    return true;
  }

  private async read() {
    try {
      return await this.docs.read();
    } catch (e) {
      if (!(e instanceof PolicyDocumentError)) throw e;
      const current = await this.docs.store.current();
      this.log.error({ version: current.version, issues: e.issues }, `stored policy version ${current.version} is not valid for this engine: keeping the document in force`);
      return { current, entries: undefined };
    }
  }
}
