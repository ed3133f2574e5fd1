/**
 * Where the policy engine's HTTP API is and which bearer token to send, for the operator commands.
 *
 * Each setting is taken from the first of these that has it:
 *   API URL: --api-url, BALLAST_API_URL, the config file's `apiUrl`, http://127.0.0.1:8080
 *   token:   --token, BALLAST_API_TOKEN, the file BALLAST_API_TOKEN_FILE names, the config file's `token`,
 *            the engine's default token file /var/lib/ballast/api-token (when readable)
 * The config file is BALLAST_CLI_CONFIG, else $XDG_CONFIG_HOME/ballast/cli.json, else ~/.config/ballast/cli.json
 * (JSON: {"apiUrl": "...", "token": "..."}; a missing file is fine, a malformed one is a usage error).
 * Every call needs a token (the engine answers 401 without one); its role decides what it may do (403).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { CliError } from '../cli-error.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';
export const DEFAULT_TOKEN_FILE = '/var/lib/ballast/api-token';

export type Source = 'flag' | 'env' | 'token-file' | 'config-file' | 'default' | 'none';

export interface ApiConfig {
  apiUrl: string;
  token?: string;
  /** Where each came from (for error hints). */
  sources: { apiUrl: Source; token: Source };
  /** The config file looked at (present or not). */
  configFile: string;
}

export interface ConfigInputs {
  flags: { apiUrl?: string; token?: string };
  env: NodeJS.ProcessEnv;
  /** The file's text, or undefined when it does not exist or cannot be read. */
  readText?: (file: string) => string | undefined;
  home?: string;
}

/** Reads a file, undefined when missing or unreadable (the token file is 0600 root's: others skip it). */
export function readTextOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function configFilePath(env: NodeJS.ProcessEnv, home = homedir()): string {
  if (nonEmpty(env.BALLAST_CLI_CONFIG)) return env.BALLAST_CLI_CONFIG as string;
  const base = nonEmpty(env.XDG_CONFIG_HOME) ? (env.XDG_CONFIG_HOME as string) : path.join(home, '.config');
  return path.join(base, 'ballast', 'cli.json');
}

/** The config file's settings; a file that is not a JSON object of strings is a CliError (exit 2). */
export function parseConfigFile(text: string, file: string): { apiUrl?: string; token?: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`config file ${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new CliError(`config file ${file}: expected a JSON object`);
  const out: { apiUrl?: string; token?: string } = {};
  for (const [key, value] of Object.entries(data)) {
    if (key !== 'apiUrl' && key !== 'token') throw new CliError(`config file ${file}: unknown key '${key}' (known: apiUrl, token)`);
    if (typeof value !== 'string' || value.trim() === '') throw new CliError(`config file ${file}: ${key} must be a non-empty string`);
    out[key] = value.trim();
  }
  return out;
}

/** Resolves the API URL and token by the precedence above. */
export function resolveApiConfig(inputs: ConfigInputs): ApiConfig {
  const { flags, env } = inputs;
  const read = inputs.readText ?? readTextOrUndefined;
  const configFile = configFilePath(env, inputs.home);
  const configText = read(configFile);
  const file = configText !== undefined ? parseConfigFile(configText, configFile) : {};

  const urlChoices: [string | undefined, Source][] = [
    [flags.apiUrl, 'flag'],
    [env.BALLAST_API_URL, 'env'],
    [file.apiUrl, 'config-file'],
    [DEFAULT_API_URL, 'default'],
  ];
  const [apiUrlRaw, apiUrlSource] = urlChoices.find(([v]) => nonEmpty(v)) as [string, Source];
  const apiUrl = checkUrl(apiUrlRaw.trim(), apiUrlSource);

  const tokenFromFile = (f: string | undefined) => (nonEmpty(f) ? firstLine(read(f as string)) : undefined);
  const tokenChoices: [() => string | undefined, Source][] = [
    [() => flags.token, 'flag'],
    [() => env.BALLAST_API_TOKEN, 'env'],
    [() => tokenFromFile(env.BALLAST_API_TOKEN_FILE), 'token-file'],
    [() => file.token, 'config-file'],
    [() => (nonEmpty(env.BALLAST_API_TOKEN_FILE) ? undefined : tokenFromFile(DEFAULT_TOKEN_FILE)), 'token-file'],
  ];
  for (const [get, source] of tokenChoices) {
    const token = get();
    if (nonEmpty(token)) return { apiUrl, token: (token as string).trim(), sources: { apiUrl: apiUrlSource, token: source }, configFile };
  }
  return { apiUrl, sources: { apiUrl: apiUrlSource, token: 'none' }, configFile };
}

function checkUrl(raw: string, source: Source): string {
  const name = source === 'flag' ? '--api-url' : source === 'env' ? 'BALLAST_API_URL' : 'apiUrl';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${name}: not a URL: '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`${name}: must be an http:// or https:// URL, got '${raw}'`);
  return raw.replace(/\/+$/, '');
}

function firstLine(text: string | undefined): string | undefined {
  return text?.split('\n')[0]?.trim() || undefined;
}

function nonEmpty(v: string | undefined): boolean {
  return v !== undefined && v.trim() !== '';
}
