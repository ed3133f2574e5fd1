import type { Redis } from 'ioredis';
import { redactRedisUrl } from './redact-redis-url.js';
import { sentinelList, type RedisConnection } from './redis-connection.js';

export interface ConnectRedisDeps {
  /** Defaults to process.exit. */
  exit?: (code: number) => void;
  /** Defaults to process.stderr.write. */
  writeStderr?: (line: string) => void;
}

/**
 * Connects a lazyConnect ioredis client at start. An unreachable Redis at start is a configuration
 * problem: one line naming the URL (password redacted, in the URL and in the cause) on stderr, exit 2 (later
 * disconnects are retried by ioredis). `target`: the URL, or the RedisConnection the client was made from.
 */
export async function connectRedis(redis: Redis, target: string | Pick<RedisConnection, 'display' | 'redact'> & Partial<Pick<RedisConnection, 'sentinels'>>, deps: ConnectRedisDeps = {}): Promise<void> {
  const display = typeof target === 'string' ? redactRedisUrl(target) : target.display;
  const sentinels = typeof target === 'string' ? [] : (target.sentinels ?? []);
  const redact = typeof target === 'string' ? (t: string) => t.split(target).join(display) : target.redact;
  let cause: string | undefined;
  const swallow = (e: Error) => {
    cause ??= e.message;
  };
  redis.on('error', swallow);
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    const write = deps.writeStderr ?? ((line: string) => process.stderr.write(line));
    const why = cause ?? (e as Error).message;
    const what = sentinels.length > 0 ? `redisSentinels=${sentinelList(sentinels)}` : `redisUrl=${display}`;
    write(`config: ${what} — cannot connect: ${redact(why)}${hintFor(why)}\n`);
    (deps.exit ?? process.exit)(2);
  } finally {
    redis.off('error', swallow);
  }
}

/** What to check, for the refusals a setting explains. */
function hintFor(cause: string): string {
  if (/^(WRONGPASS|NOAUTH)\b/.test(cause)) return ' (check the user and password: redisUrl, redisUsername, redisPassword or redisPasswordFile)';
  if (/^NOPERM\b/.test(cause)) return " (the Redis user lacks a permission Ballast needs: see docs/redis-security.md for its ACL)";
  if (/sentinel/i.test(cause)) return ' (check redisSentinels, redisSentinelName and the sentinels\' own login: redisSentinelUsername, redisSentinelPassword)';
  if (/certificate|self[- ]signed|issuer|altnames|Hostname\/IP/i.test(cause)) return " (check redisTlsCaFile, and redisTlsServername when the certificate does not name the URL's host)";
  return '';
}
