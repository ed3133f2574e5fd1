import { readFileSync, statSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { redactRedisUrl } from './redact-redis-url.js';

/**
 * The Redis settings every service that talks to Redis adds to its schema next to its `redisUrl`
 * (`...redisSecurityFields`). Env: BALLAST_REDIS_USERNAME, BALLAST_REDIS_PASSWORD, … (see docs/redis-security.md).
 */
export const redisSecurityFields = {
  /** ACL user; or in the URL (`redis://user:pw@host`). */
  redisUsername: z.string().min(1).optional(),
  /** The password; or in the URL, or (better) in redisPasswordFile. */
  redisPassword: z.string().min(1).optional(),
  /** A file holding the password (one line), read at start; mode 0600 or 0400. */
  redisPasswordFile: z.string().min(1).optional(),
  /** CA certificate(s) (PEM) that signed Redis's certificate: turns TLS on. */
  redisTlsCaFile: z.string().min(1).optional(),
  /** Client certificate (PEM) for a Redis that requires one (tls-auth-clients yes); with redisTlsKeyFile. */
  redisTlsCertFile: z.string().min(1).optional(),
  redisTlsKeyFile: z.string().min(1).optional(),
  /** The name Redis's certificate must carry, when it is not the host of redisUrl. */
  redisTlsServername: z.string().min(1).optional(),
  /**
   * Redis Sentinel: `host:port,host:port` of the sentinels to ask where the primary is (docs/redis-ha.md). Set:
   * redisUrl's host and port are not used (its scheme, user and password are), redisSentinelName is required.
   */
  redisSentinels: z.string().min(1).optional(),
  /** The primary's name in the sentinels' config (`sentinel monitor <name> …`). */
  redisSentinelName: z.string().min(1).optional(),
  /** For sentinels that require a login (`requirepass`/ACL in sentinel.conf); Redis's own user and password are separate. */
  redisSentinelUsername: z.string().min(1).optional(),
  redisSentinelPassword: z.string().min(1).optional(),
};

export type RedisConnectionConfig = { redisUrl: string } & { [K in keyof typeof redisSecurityFields]?: string | undefined };

/** How to reach Redis: the URL (without user and password), the options to pass with it, and what may be printed about it. */
export interface RedisConnection {
  /** redisUrl without its user and password: those are in `options`. */
  url: string;
  options: RedisOptions;
  tls: boolean;
  /** The URL fit for a log line (password masked); with sentinels, the sentinels and the primary's name. */
  display: string;
  /** The sentinels asked for the primary (empty: redisUrl's host is Redis). */
  sentinels: Array<{ host: string; port: number }>;
  /** Problems worth a warning line at start (a password file others can read). */
  warnings: string[];
  /** `text` with the password (wherever it appears) and the URL's password masked. */
  redact(text: string): string;
}

export interface RedisConnectionDeps {
  readFile?: (path: string) => string | Buffer;
  /** The file's mode bits. */
  modeOf?: (path: string) => number;
}

/**
 * One place that turns a service's Redis settings into ioredis options: user and password (from the URL,
 * the settings or a file), TLS when the URL is rediss:// or a CA file is set (CA, client certificate and key,
 * server name). A bad or half-made setting throws a ConfigError naming the field.
 *
 *   const conn = svc.check(() => redisConnection(config));
 *   const redis = createRedis(conn, { maxRetriesPerRequest: null, lazyConnect: true });
 */
export function redisConnection(c: RedisConnectionConfig, deps: RedisConnectionDeps = {}): RedisConnection {
  const readFile = deps.readFile ?? ((p: string) => readFileSync(p));
  const url = parseRedisUrl(c.redisUrl);
  const warnings: string[] = [];
  const options: RedisOptions = {};

  const password = passwordOf(c, url, readFile, deps.modeOf ?? ((p) => statSync(p).mode), warnings);
  if (c.redisUsername !== undefined && url.username) throw conflict('redisUsername', 'redisUrl has a user already');
  // the URL's user and password go in the options too: ioredis would let the URL's (even an empty one) win
  const username = c.redisUsername ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const secret = password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  if (username !== undefined) options.username = username;
  if (secret !== undefined) options.password = secret;

  const tls = url.protocol === 'rediss:' || c.redisTlsCaFile !== undefined;
  for (const field of ['redisTlsCertFile', 'redisTlsKeyFile', 'redisTlsServername'] as const) {
    if (c[field] !== undefined && !tls) {
      throw new ConfigError(`config: ${field} is set but TLS is off — use a rediss:// redisUrl or set redisTlsCaFile`, { field, problem: 'TLS is off' });
    }
  }
  if ((c.redisTlsCertFile === undefined) !== (c.redisTlsKeyFile === undefined)) {
    const missing = c.redisTlsCertFile === undefined ? 'redisTlsCertFile' : 'redisTlsKeyFile';
    const given = missing === 'redisTlsCertFile' ? 'redisTlsKeyFile' : 'redisTlsCertFile';
    throw new ConfigError(`config: ${given} is set without ${missing} — a client certificate needs both`, { field: missing, problem: 'is required' });
  }
  if (tls) {
    options.tls = {
      ...(c.redisTlsCaFile !== undefined ? { ca: readSetting('redisTlsCaFile', c.redisTlsCaFile, readFile) } : {}),
      ...(c.redisTlsCertFile !== undefined ? { cert: readSetting('redisTlsCertFile', c.redisTlsCertFile, readFile) } : {}),
      ...(c.redisTlsKeyFile !== undefined ? { key: readSetting('redisTlsKeyFile', c.redisTlsKeyFile, readFile) } : {}),
      ...(c.redisTlsServername !== undefined ? { servername: c.redisTlsServername } : {}),
    };
  }

  const sentinels = sentinelOptions(c, options, tls);
  const urlDisplay = redactRedisUrl(c.redisUrl);
  const display = sentinels.length === 0 ? urlDisplay : `sentinels ${sentinelList(sentinels)}, primary "${c.redisSentinelName}"`;
  const bare = new URL(url.href);
  bare.username = '';
  bare.password = '';
  return {
    url: bare.href,
    options,
    tls,
    display,
    sentinels,
    warnings,
    redact: (text) => {
      let out = text.split(c.redisUrl).join(urlDisplay);
      for (const s of [secret, c.redisSentinelPassword]) if (s) out = out.split(s).join('***');
      return out;
    },
  };
}

/**
 * A client for `conn`, with `extra` options (maxRetriesPerRequest, lazyConnect, …) on top. With sentinels,
 * ioredis asks them for the primary at every (re)connect and checks its role, so a failover needs no restart;
 * BullMQ's duplicated connections (a worker's blocking one) inherit the same options.
 */
export function createRedis(conn: RedisConnection, extra: RedisOptions = {}): Redis {
  if (conn.sentinels.length > 0) {
    const db = Number(new URL(conn.url).pathname.slice(1) || 0);
    // Until the first connection: no sentinel answering fails the connect (a service stops with one line
    // instead of waiting for ever). Afterwards ioredis keeps asking them (10 ms more each round, at most 1 s):
    // a connector that gives up ends the client for good. Duplicates (BullMQ's) share the closure.
    const state = { ready: false };
    const client = new Redis({ ...conn.options, ...(db ? { db } : {}), sentinelRetryStrategy: (n) => (state.ready ? Math.min(n * 10, 1000) : null), ...extra });
    client.once('ready', () => void (state.ready = true));
    return client;
  }
  return new Redis(conn.url, { ...conn.options, ...extra });
}

/** The sentinel settings, checked, into `options` (TLS, when on, covers the sentinels and the primary alike). */
function sentinelOptions(c: RedisConnectionConfig, options: RedisOptions, tls: boolean): Array<{ host: string; port: number }> {
  if (c.redisSentinels === undefined) {
    for (const field of ['redisSentinelName', 'redisSentinelUsername', 'redisSentinelPassword'] as const) {
      if (c[field] !== undefined) throw new ConfigError(`config: ${field} is set but redisSentinels is not — list the sentinels (host:port,host:port)`, { field, problem: 'redisSentinels is not set' });
    }
    return [];
  }
  const sentinels = c.redisSentinels.split(',').map((part) => parseSentinel(part.trim(), c.redisSentinels ?? ''));
  if (c.redisSentinelName === undefined) {
    throw new ConfigError('config: redisSentinelName is required with redisSentinels — the primary\'s name in the sentinels\' config (sentinel monitor <name> …)', { field: 'redisSentinelName', problem: 'is required' });
  }
  options.sentinels = sentinels;
  options.name = c.redisSentinelName;
  // Not ioredis's failoverDetector: a +switch-master that arrives while the client is reconnecting (the
  // primary died) makes the reconnect throw and ends the client for good (seen in redis-ha.int.test.ts).
  // A primary demoted while still up answers writes with READONLY: reconnect (the sentinels name the new one)
  // and send the command again.
  options.reconnectOnError = (err) => (err.message.startsWith('READONLY') ? 2 : false);
  if (c.redisSentinelUsername !== undefined) options.sentinelUsername = c.redisSentinelUsername;
  if (c.redisSentinelPassword !== undefined) options.sentinelPassword = c.redisSentinelPassword;
  if (tls) {
    options.enableTLSForSentinelMode = true;
    options.sentinelTLS = { ...options.tls };
  }
  return sentinels;
}

/** `host:port,host:port` (IPv6 hosts in brackets). */
export function sentinelList(sentinels: ReadonlyArray<{ host: string; port: number }>): string {
  return sentinels.map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`).join(',');
}

function parseSentinel(part: string, all: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:,\[\]]+):(\d{1,5})$/.exec(part);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new ConfigError(`config: redisSentinels=${all} — "${part}" is not host:port (expected e.g. 10.0.0.5:26379,10.0.0.6:26379)`, { field: 'redisSentinels', problem: 'not host:port' });
  }
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function parseRedisUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`config: redisUrl=${redactRedisUrl(raw)} — not a URL (expected redis://host:port or rediss://host:port)`, {
      field: 'redisUrl',
      problem: 'not a URL',
    });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(`config: redisUrl=${redactRedisUrl(raw)} — expected redis:// or rediss://, got ${url.protocol}//`, {
      field: 'redisUrl',
      problem: 'bad scheme',
    });
  }
  return url;
}

function passwordOf(
  c: RedisConnectionConfig,
  url: URL,
  readFile: (p: string) => string | Buffer,
  modeOf: (p: string) => number,
  warnings: string[],
): string | undefined {
  if (c.redisPassword !== undefined && c.redisPasswordFile !== undefined) {
    throw conflict('redisPassword', 'redisPasswordFile is set too (use one)');
  }
  if ((c.redisPassword !== undefined || c.redisPasswordFile !== undefined) && url.password) {
    throw conflict(c.redisPassword !== undefined ? 'redisPassword' : 'redisPasswordFile', 'redisUrl has a password already (use one)');
  }
  if (c.redisPassword !== undefined) return c.redisPassword;
  if (c.redisPasswordFile === undefined) return undefined;
  const text = readSetting('redisPasswordFile', c.redisPasswordFile, readFile).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') {
    throw new ConfigError(`config: redisPasswordFile=${c.redisPasswordFile} — the file is empty`, { field: 'redisPasswordFile', problem: 'empty' });
  }
  const mode = modeOf(c.redisPasswordFile) & 0o777;
  if ((mode & 0o044) !== 0) {
    warnings.push(`redisPasswordFile ${c.redisPasswordFile} is readable by ${mode & 0o004 ? 'everyone' : 'its group'} (mode 0${mode.toString(8)}): chmod 600 it`);
  }
  return text;
}

function readSetting(field: string, path: string, readFile: (p: string) => string | Buffer): Buffer {
  try {
    const data = readFile(path);
    return typeof data === 'string' ? Buffer.from(data) : data;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? (e as Error).message);
    throw new ConfigError(`config: ${field}=${path} — cannot read: ${why}`, { field, source: path, problem: `cannot read: ${why}` });
  }
}

function conflict(field: string, why: string): ConfigError {
  return new ConfigError(`config: ${field} is set but ${why}`, { field, problem: why });
}
