/**
 * One way to open podnet's Redis — a single server, a Sentinel-managed primary or a Redis
 * Cluster, as the settings say (src/config.ts `loadRedisSettings`) — and a message that says
 * how to get a Redis when none answers (the most common first-run failure).
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { describeRedis, type RedisSettings } from '../config.js';
import { PodnetError } from '../errors.js';

/** An ioredis client of any of the three kinds; BullMQ takes either. */
export type RedisClient = Redis | Cluster;

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** True for a client (as opposed to client options). */
export function isRedisClient(x: unknown): x is RedisClient {
  return x instanceof Redis || x instanceof Cluster;
}

/** The URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

export interface CreateRedisClientOptions {
  /**
   * ioredis's `maxRetriesPerRequest`. Default `null` (a command waits for the connection to
   * come back), which BullMQ workers require; the bot passes a small number so a command fails
   * fast while Redis is away instead of being held in memory.
   */
  maxRetriesPerRequest?: number | null;
  /** Do not connect until `connect()`. Default false. */
  lazyConnect?: boolean;
  /** Per connection attempt. Default 10 000 ms (ioredis's). */
  connectTimeoutMs?: number;
}

/** Reconnect back-off once a client has been up: 200 ms more per attempt, at most 2 s. */
const reconnect = (times: number): number => Math.min(times * 200, 2000);

/**
 * Builds the ioredis client the settings describe (not yet connected when `lazyConnect`).
 * Sentinel: ioredis asks the sentinels for the current primary on every (re)connect, so after
 * a failover it talks to the new primary (https://github.com/redis/ioredis#sentinel). Cluster: ioredis follows MOVED/ASK
 * redirections and refreshes the slot map.
 */
export function createRedisClient(settings: RedisSettings, options: CreateRedisClientOptions = {}): RedisClient {
  const common: RedisOptions = {
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? null : options.maxRetriesPerRequest,
    lazyConnect: options.lazyConnect ?? false,
    ...(options.connectTimeoutMs !== undefined && { connectTimeout: options.connectTimeoutMs }),
    retryStrategy: reconnect,
  };
  if (settings.mode === 'standalone') return new Redis(settings.url, common);
  const auth: RedisOptions = {
    ...(settings.username !== undefined && { username: settings.username }),
    ...(settings.password !== undefined && { password: settings.password }),
    // `{}`: verify against the system CAs (plus NODE_EXTRA_CA_CERTS), with SNI from the host.
    ...(settings.tls && { tls: {} }),
  };
  if (settings.mode === 'sentinel') {
    return new Redis({
      ...common,
      ...auth,
      sentinels: settings.sentinels.map((n) => ({ host: n.host, port: n.port })),
      name: settings.name,
      db: settings.db,
      ...(settings.sentinelUsername !== undefined && { sentinelUsername: settings.sentinelUsername }),
      ...(settings.sentinelPassword !== undefined && { sentinelPassword: settings.sentinelPassword }),
      ...(settings.sentinelTls && { sentinelTLS: {} }),
      // TLS to the primary the sentinels name, too (ioredis applies `tls` there only with this).
      ...(settings.tls && { enableTLSForSentinelMode: true }),
      sentinelRetryStrategy: reconnect,
      // A primary demoted while our connection stayed open answers writes with READONLY:
      // reconnect (asking the sentinels again) and resend the command ("Reconnect on Error",
      // https://github.com/redis/ioredis#reconnect-on-error). ioredis's `failoverDetector` would
      // also do this, but its sentinel subscriptions outlive `quit()` and hold the process open.
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    });
  }
  const clusterOptions: ClusterOptions = {
    lazyConnect: common.lazyConnect ?? false,
    clusterRetryStrategy: reconnect,
    redisOptions: { ...auth, maxRetriesPerRequest: common.maxRetriesPerRequest ?? null, ...(common.connectTimeout !== undefined && { connectTimeout: common.connectTimeout }) },
    // Per command: how often to follow MOVED/ASK or wait out CLUSTERDOWN during a failover.
    maxRedirections: 16,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
  };
  return new Cluster(settings.nodes.map((n) => ({ host: n.host, port: n.port })), clusterOptions);
}

export interface ConnectRedisOptions {
  /** Where Redis is (src/config.ts `loadRedisSettings`). Default: `url`. */
  redis?: RedisSettings;
  /** A single server, `redis[s]://[user:pass@]host:port[/db]`, when `redis` is not given. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Give up after this long. Default 3000 ms. */
  timeoutMs?: number;
  /** See {@link CreateRedisClientOptions}. Default `null`. */
  maxRetriesPerRequest?: number | null;
}

/**
 * Connects and PINGs, without retrying: a Redis that is not there is reported at once. From
 * then on the client reconnects as usual (BullMQ expects a client that retries). Throws
 * PodnetError `unavailable` with how-to-start advice.
 */
export async function connectRedis(options: ConnectRedisOptions = {}): Promise<RedisClient> {
  const settings: RedisSettings = options.redis ?? { mode: 'standalone', url: options.url ?? DEFAULT_REDIS_URL };
  const timeoutMs = options.timeoutMs ?? 3000;
  const redis = createRedisClient(settings, {
    lazyConnect: true,
    connectTimeoutMs: timeoutMs,
    ...(options.maxRetriesPerRequest !== undefined && { maxRetriesPerRequest: options.maxRetriesPerRequest }),
  });
  const retries = setRetries(redis, () => null);
  // Swallow the connection error events of this first attempt; the rejection below reports it.
  const onError = (): void => undefined;
  redis.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    // A cluster or sentinel set that never answers does not always reject connect(): bound it.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([redis.connect().then(() => redis.ping()), timeout]);
  } catch (err) {
    // A refused connection has already ended: disconnect() would then arm ioredis's 2 s
    // "stream still open" timer on a socket that never closes again, holding the process.
    if (redis.status !== 'end') redis.disconnect();
    throw new PodnetError('unavailable', `No Redis answers at ${describeRedis(settings)} (${(err as Error).message}). ${HOW_TO_START[settings.mode]}`);
  } finally {
    clearTimeout(timer);
  }
  redis.off('error', onError);
  retries.restore();
  return redis;
}

const HOW_TO_START: Record<RedisSettings['mode'], string> = {
  standalone:
    'podnet queues its work in Redis 7: start one with `redis-server --daemonize yes` (or `docker compose up -d redis` in the podnet folder), ' +
    'or point REDIS_URL at yours, then run this again.',
  sentinel:
    'Check PODNET_REDIS_SENTINELS (the sentinels\' host:port, usually port 26379), PODNET_REDIS_SENTINEL_NAME (the monitored master name) ' +
    'and the passwords (PODNET_REDIS_SENTINEL_PASSWORD for the sentinels, PODNET_REDIS_PASSWORD for the primary), then run this again.',
  cluster:
    'Check PODNET_REDIS_CLUSTER_NODES (host:port of one or more cluster nodes), PODNET_REDIS_PASSWORD/PODNET_REDIS_USERNAME and PODNET_REDIS_TLS, ' +
    'and that `redis-cli -c -h HOST -p PORT cluster info` says cluster_state:ok, then run this again.',
};

/** Swaps the client's reconnect strategies (the first connect must not retry); `restore` puts the back-off in place. */
function setRetries(redis: RedisClient, strategy: () => null): { restore(): void } {
  if (redis instanceof Cluster) {
    redis.options.clusterRetryStrategy = strategy;
    return { restore: () => void (redis.options.clusterRetryStrategy = reconnect) };
  }
  redis.options.retryStrategy = strategy;
  redis.options.sentinelRetryStrategy = strategy;
  return {
    restore: () => {
      redis.options.retryStrategy = reconnect;
      redis.options.sentinelRetryStrategy = reconnect;
    },
  };
}
