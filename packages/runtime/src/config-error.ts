/**
 * A bad setting, reported as ONE line that names the field, where the value came from and what is wrong:
 * `config: BALLAST_HTTP_PORT="abc" — expected a number`.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Dotted field path in the schema (`httpPort`, `limits.maxVms`), or '' for file-level problems. */
  readonly field: string;
  /** Where the value came from: an env var name, a file path, 'default', or another short label. */
  readonly source: string;
  /** What is wrong, without the `config:` prefix. */
  readonly problem: string;

  constructor(message: string, details: { field?: string; source?: string; problem?: string } = {}) {
    super(oneLine(message.startsWith('config:') ? message : `config: ${message}`));
    this.field = details.field ?? '';
    this.source = details.source ?? '';
    this.problem = details.problem ?? '';
  }
}

/** True for a ConfigError, also one from another copy of this module. */
export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError || (err instanceof Error && err.name === 'ConfigError');
}

/** Collapses whitespace runs with newlines into one space so that a message stays on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
