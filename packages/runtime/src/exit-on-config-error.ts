import { isConfigError, oneLine } from './config-error.js';

export interface ExitOnConfigErrorDeps {
  /** Defaults to process.exit. */
  exit?: (code: number) => never | void;
  /** Defaults to process.stderr.write. */
  writeStderr?: (line: string) => void;
}

/**
 * A configuration error found at start: prints `line` (kept to one line) to stderr and exits with code 2.
 * Several problems found at once (a policy document's) are several lines, one each.
 * `make run` and service managers read exit 2 as "fix the configuration; restarting will not help".
 *
 *   await ops.start().catch((e) => exitWithConfigError(`config: opsPort=${port} — ${e.message}`));
 */
export function exitWithConfigError(line: string | readonly string[], deps: ExitOnConfigErrorDeps = {}): never {
  const lines = (typeof line === 'string' ? [line] : line).map(oneLine);
  (deps.writeStderr ?? ((text: string) => process.stderr.write(text)))(lines.map((l) => `${l}\n`).join(''));
  (deps.exit ?? process.exit)(2);
  // Only reached with an injected exit that returns (tests).
  throw new Error(lines.join('; '));
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
    return exitWithConfigError(err.message, deps);
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
