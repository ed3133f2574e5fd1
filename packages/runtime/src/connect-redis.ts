import type { Redis } from 'ioredis';

/**
 * Connects a lazyConnect ioredis client at start. An unreachable Redis at start is a configuration
 * problem: one line naming the URL on stderr, exit 2 (later disconnects are retried by ioredis).
 */
export async function connectRedis(redis: Redis, url: string, exit: (code: number) => void = process.exit): Promise<void> {
  let cause: string | undefined;
  const swallow = (e: Error) => {
    cause ??= e.message;
  };
  redis.on('error', swallow);
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    process.stderr.write(`config: redisUrl=${url} — cannot connect: ${cause ?? (e as Error).message}\n`);
    exit(2);
  } finally {
    redis.off('error', swallow);
  }
}
