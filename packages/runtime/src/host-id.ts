import { hostname } from 'node:os';
import { ConfigError } from './config-error.js';

export interface ResolveHostIdOptions {
  /** An id from config (config.hostId); wins over everything. */
  hostId?: string | undefined;
  /** Default process.env (BALLAST_HOST_ID). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Default os.hostname. */
  hostname?: () => string;
}

const HOST_ID = /^[A-Za-z0-9._-]{1,63}$/;

/** Letters, digits, '-', '_', '.'; 1 to 63 characters. */
export function isValidHostId(id: string): boolean {
  return HOST_ID.test(id);
}

/**
 * This host's id in Ballast: config.hostId, else BALLAST_HOST_ID, else os.hostname(); validated.
 *
 *   const hostId = resolveHostId({ hostId: config.hostId });
 */
export function resolveHostId(options: ResolveHostIdOptions = {}): string {
  const env = options.env ?? process.env;
  const candidates: [string | undefined, string][] = [
    [options.hostId, 'hostId'],
    [env.BALLAST_HOST_ID, 'BALLAST_HOST_ID'],
  ];
  for (const [value, source] of candidates) {
    if (value !== undefined && value !== '') return check(value, source);
  }
  return check((options.hostname ?? hostname)(), 'hostname');
}

function check(id: string, source: string): string {
  if (isValidHostId(id)) return id;
  const problem =
    id.length > 63 ? `is ${id.length} characters long (max 63)` : 'may contain only letters, digits, "-", "_" and "." (1-63 characters)';
  const shown = JSON.stringify(id.length > 80 ? `${id.slice(0, 79)}…` : id);
  const message =
    source === 'hostname'
      ? `config: os.hostname()=${shown} is not a usable host id — ${problem}; set BALLAST_HOST_ID`
      : `config: ${source}=${shown} — ${problem}`;
  throw new ConfigError(message, { field: 'hostId', source, problem });
}
