import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { coerceEnvValue } from './env-coercion.js';
import { kindOf, phraseIssue, type RawIssue } from './phrase-issue.js';
import { redactRedisUrl } from './redact-redis-url.js';

export interface LoadConfigOptions<S extends z.ZodObject> {
  /** Prefix of every env var; `httpPort` ← `BALLAST_HTTP_PORT`. Default 'BALLAST_'. */
  envPrefix?: string;
  /** Default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * JSON config file (an object of schema keys). Default: the env var `<prefix>CONFIG`; null = no file even
   * if that variable is set.
   */
  file?: string | null;
  /** Extra, un-prefixed env names per key, e.g. `{ libvirtUri: 'LIBVIRT_URI' }`; the prefixed name wins. */
  aliases?: { [K in keyof z.input<S>]?: string | readonly string[] };
}

type Source =
  | { kind: 'env'; name: string; raw: string }
  | { kind: 'file'; path: string; value: unknown };

const SECRET_KEY = /(token|secret|password|passphrase|apikey)$/i;
/** URLs may carry a password (redis://user:pw@host): shown with it masked. */
const URL_KEY = /(url|uri|address)$/i;

/**
 * Reads a typed config: schema defaults < JSON config file < environment. Env strings are coerced to the
 * schema's types (numbers, booleans, enums, lists, JSON objects); an empty env var counts as unset.
 * Throws a ConfigError with a one-line message naming the field, its source and the problem.
 *
 *   const config = loadConfig(collectorConfigSchema, { aliases: { libvirtUri: 'LIBVIRT_URI' } });
 */
export function loadConfig<S extends z.ZodObject>(schema: S, options: LoadConfigOptions<S> = {}): z.output<S> {
  const prefix = options.envPrefix ?? 'BALLAST_';
  const env = options.env ?? process.env;
  const shape = schema.shape as Record<string, z.ZodType>;
  const input: Record<string, unknown> = {};
  const sources = new Map<string, Source>();

  const fileVar = `${prefix}CONFIG`;
  const filePath = options.file === undefined ? nonEmpty(env[fileVar]) : options.file;
  if (filePath) {
    const origin = options.file === undefined ? fileVar : 'file option';
    for (const [key, value] of Object.entries(readConfigFile(filePath, origin))) {
      if (!Object.hasOwn(shape, key)) {
        const hint = closestKey(key, Object.keys(shape));
        throw new ConfigError(`config: ${filePath} — unknown key ${JSON.stringify(key)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`, {
          field: key,
          source: filePath,
          problem: 'unknown key',
        });
      }
      input[key] = value;
      sources.set(key, { kind: 'file', path: filePath, value });
    }
  }

  for (const [key, fieldSchema] of Object.entries(shape)) {
    const alias = options.aliases?.[key as keyof z.input<S>];
    const names = [envVarName(key, prefix), ...(typeof alias === 'string' ? [alias] : (alias ?? []))];
    const name = names.find((n) => nonEmpty(env[n]) !== undefined);
    if (name === undefined) continue;
    const raw = env[name] as string;
    const coerced = coerceEnvValue(fieldSchema, raw);
    if (!coerced.ok) {
      throw new ConfigError(`config: ${name}=${showEnv(key, raw)} — ${coerced.problem}`, { field: key, source: name, problem: coerced.problem });
    }
    input[key] = coerced.value;
    sources.set(key, { kind: 'env', name, raw });
  }

  const result = schema.safeParse(input, { error: (issue) => phraseIssue(issue as RawIssue) });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ConfigError('config: invalid configuration');
  throw issueError(issue, input, sources, prefix);
}

/** `httpPort` → `BALLAST_HTTP_PORT`; units stay whole: `minMemoryMiB` → `BALLAST_MIN_MEMORY_MIB`. */
export function envVarName(key: string, prefix = 'BALLAST_'): string {
  const words = key.match(/[KMGTP]iB(?![a-z])|[A-Z]+(?![a-z])\d*|[A-Z]?[a-z]+\d*|\d+/g) ?? [key];
  return prefix + words.join('_').toUpperCase();
}

function issueError(issue: z.core.$ZodIssue, input: Record<string, unknown>, sources: Map<string, Source>, prefix: string): ConfigError {
  const path = issue.path.map(String);
  const key = path[0] ?? '';
  const field = path.join('.');
  const problem = issue.message;
  const source = sources.get(key);
  if (source?.kind === 'env') {
    const inner = path.length > 1 ? `${path.slice(1).join('.')}: ` : '';
    return new ConfigError(`config: ${source.name}=${showEnv(key, source.raw)} — ${inner}${problem}`, { field, source: source.name, problem });
  }
  if (source?.kind === 'file') {
    const value = valueAt(source.value, path.slice(1));
    return new ConfigError(`config: ${field}=${showValue(key, value)} in ${source.path} — ${problem}`, { field, source: source.path, problem });
  }
  if (key === '') return new ConfigError(`config: ${problem}`, { problem });
  if (input[key] === undefined) {
    return new ConfigError(`config: ${field} is required — set ${envVarName(key, prefix)} or "${key}" in the config file`, {
      field,
      source: 'default',
      problem: 'is required',
    });
  }
  return new ConfigError(`config: ${field} (default) — ${problem}`, { field, source: 'default', problem });
}

function readConfigFile(path: string, origin: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const problem = `cannot read: ${describeFsError(err)}`;
    throw new ConfigError(`config: ${path} (${origin}) — ${problem}`, { source: path, problem });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const problem = `invalid JSON: ${(err as Error).message}`;
    throw new ConfigError(`config: ${path} — ${problem}`, { source: path, problem });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const problem = `expected a JSON object of settings, got ${kindOf(parsed)}`;
    throw new ConfigError(`config: ${path} — ${problem}`, { source: path, problem });
  }
  return parsed as Record<string, unknown>;
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return code ?? (err as Error).message;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function showEnv(key: string, raw: string): string {
  if (SECRET_KEY.test(key)) return `<redacted, ${raw.length} chars>`;
  return truncate(JSON.stringify(URL_KEY.test(key) ? redactRedisUrl(raw) : raw));
}

function showValue(key: string, value: unknown): string {
  if (SECRET_KEY.test(key) && typeof value === 'string') return `<redacted, ${value.length} chars>`;
  if (URL_KEY.test(key) && typeof value === 'string') return truncate(JSON.stringify(redactRedisUrl(value)));
  return value === undefined ? '(missing)' : truncate(JSON.stringify(value) ?? String(value));
}

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The schema key nearest to a misspelt one (edit distance ≤ 2, or same letters ignoring case and _). */
function closestKey(key: string, keys: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  let best: { key: string; distance: number } | undefined;
  for (const candidate of keys) {
    const distance = norm(candidate) === norm(key) ? 0 : editDistance(key, candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
