import type { Redis } from 'ioredis';
import { redactRedisUrl } from './redact-redis-url.js';

export interface ConnectRedisDeps {
  /** Defaults to process.exit. */
  exit?: (code: number) => void;
  /** Defaults to process.stderr.write. */
  writeStderr?: (line: string) => void;
}

/**
 * Connects a lazyConnect ioredis client at start. An unreachable Redis at start is a configuration
 * problem: one line naming the URL (password redacted) on stderr, exit 2 (later disconnects are retried
 * by ioredis).
 */
export async function connectRedis(redis: Redis, url: string, deps: ConnectRedisDeps = {}): Promise<void> {
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
    write(`config: redisUrl=${redactRedisUrl(url)} — cannot connect: ${cause ?? (e as Error).message}\n`);
    (deps.exit ?? process.exit)(2);
  } finally {
    redis.off('error', swallow);
  }
}
