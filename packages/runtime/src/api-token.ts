import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from './config-error.js';

export interface ResolveApiTokenOptions {
  /** The configured token (BALLAST_API_TOKEN / config.apiToken). When the key is absent, process.env.BALLAST_API_TOKEN. */
  envToken?: string | undefined;
  /** Where the token is kept; created (0600, parent dir 0700) when missing. */
  filePath: string;
}

export interface ApiToken {
  token: string;
  /** True when this call created the file; the service should print `path` so the operator can find it. */
  generated: boolean;
  source: 'env' | 'file' | 'generated';
  /** The token file, when the token came from or went to one. */
  path?: string;
}

/**
 * The HTTP API bearer token: the configured one if set; else the token file's content; else 32 random bytes
 * (base64url) written to a new 0600 file. Refuses, with a ConfigError, a token file that group or others can
 * read or write.
 *
 *   const api = resolveApiToken({ envToken: config.apiToken, filePath: config.apiTokenFile });
 *   if (api.generated) log.info({ path: api.path }, 'generated an API token');
 */
export function resolveApiToken(options: ResolveApiTokenOptions): ApiToken {
  const envToken = 'envToken' in options ? options.envToken : process.env.BALLAST_API_TOKEN;
  if (envToken !== undefined && envToken.trim() !== '') return { token: envToken.trim(), generated: false, source: 'env' };

  const path = options.filePath;
  const existing = readTokenFile(path);
  if (existing !== undefined) return { token: existing, generated: false, source: 'file', path };

  const token = randomBytes(32).toString('base64url');
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const theirs = readTokenFile(path);
      if (theirs !== undefined) return { token: theirs, generated: false, source: 'file', path };
    }
    throw new ConfigError(`config: API token file ${path} — cannot create: ${errCode(err)}`, { field: 'apiTokenFile', source: path, problem: 'cannot create' });
  }
  return { token, generated: true, source: 'generated', path };
}

/** The token in the file, undefined when there is no file; ConfigError on unsafe mode or unreadable/empty file. */
function readTokenFile(path: string): string | undefined {
  let mode: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new ConfigError(`config: API token file ${path} — not a regular file`, { field: 'apiTokenFile', source: path, problem: 'not a regular file' });
    mode = stat.mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`config: API token file ${path} — cannot stat: ${errCode(err)}`, { field: 'apiTokenFile', source: path, problem: 'cannot stat' });
  }
  if ((mode & 0o066) !== 0) {
    const octal = mode.toString(8).padStart(4, '0');
    const problem = `readable or writable by group/others (mode ${octal}); run: chmod 600 ${path}`;
    throw new ConfigError(`config: API token file ${path} — ${problem}`, { field: 'apiTokenFile', source: path, problem });
  }
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`config: API token file ${path} — cannot read: ${errCode(err)}`, { field: 'apiTokenFile', source: path, problem: 'cannot read' });
  }
  if (token === '') throw new ConfigError(`config: API token file ${path} — is empty; delete it to generate a new token`, { field: 'apiTokenFile', source: path, problem: 'is empty' });
  return token;
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
