/**
 * One way to open the Redis connection BullMQ runs on, with a message that says how to get a
 * Redis when none answers (the most common first-run failure).
 */
import { Redis } from 'ioredis';
import { PodnetError } from '../errors.js';

export interface ConnectRedisOptions {
  /** `redis://[user:pass@]host:port[/db]`. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Give up after this long. Default 3000 ms. */
  timeoutMs?: number;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

/**
 * Connects and PINGs. The client has `maxRetriesPerRequest: null`, as BullMQ workers require
 * (producers work with it as well). Throws PodnetError `unavailable` with how-to-start advice.
 */
export async function connectRedis(options: ConnectRedisOptions = {}): Promise<Redis> {
  const url = options.url ?? DEFAULT_REDIS_URL;
  const timeoutMs = options.timeoutMs ?? 3000;
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null });
  // Swallow the connection error events of this first attempt; the rejection below reports it.
  const onError = (): void => undefined;
  redis.on('error', onError);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    // A refused connection has already ended: disconnect() would then arm ioredis's 2 s
    // "stream still open" timer on a socket that never closes again, holding the process.
    if (redis.status !== 'end') redis.disconnect();
    throw new PodnetError(
      'unavailable',
      `No Redis answers at ${redactRedisUrl(url)} (${(err as Error).message}). podnet queues its work in Redis 7: ` +
        'start one with `redis-server --daemonize yes` (or `docker compose up -d redis` in the podnet folder), ' +
        'or point REDIS_URL at yours, then run this again.',
    );
  }
  redis.off('error', onError);
  // From here on, reconnect as usual (BullMQ expects a client that retries).
  redis.options.retryStrategy = (times: number) => Math.min(times * 200, 2000);
  return redis;
}
