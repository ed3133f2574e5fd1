import { isConfigError } from './config-error.js';

export interface ExitOnConfigErrorDeps {
  /** Defaults to process.exit. */
  exit?: (code: number) => never | void;
  /** Defaults to process.stderr.write. */
  writeStderr?: (line: string) => void;
}

/**
 * Runs `fn` (sync or async); a ConfigError it throws prints only its one-line message to stderr and
 * exits with code 2. Any other error is re-thrown unchanged.
 *
 *   const config = exitOnConfigError(() => loadConfig(collectorConfigSchema));
 */
export function exitOnConfigError<T>(fn: () => T, deps: ExitOnConfigErrorDeps = {}): T {
  const fail = (err: unknown): never => {
    if (!isConfigError(err)) throw err;
    (deps.writeStderr ?? ((line: string) => process.stderr.write(line)))(`${err.message}\n`);
    (deps.exit ?? process.exit)(2);
    // Only reached with an injected exit that returns (tests).
    throw err;
  };
  let result: T;
  try {
    result = fn();
  } catch (err) {
    return fail(err);
  }
  if (result instanceof Promise) return result.catch(fail) as T;
  return result;
}
