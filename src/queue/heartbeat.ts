/**
 * Cluster heartbeats: how the bot knows which clusters have a live worker, so a command for a
 * cluster nobody serves gets a clear answer instead of waiting silently in a queue.
 *
 * Layout in Redis (all times are the Redis server's clock, so clusters with skewed clocks agree):
 * - `<prefix>:cluster-heartbeat:<cluster>` — a hash, one field per worker process
 *   (`<workerId>` → `<expiresAtMs>|<lastBeatMs>|<json meta>`), the key's PX TTL refreshed by
 *   every beat. A hash rather than one string per cluster because a cluster runs several
 *   worker replicas (two in deploy/, more during a rolling update): a replica that shuts down
 *   removes only its own field, so the others keep the cluster live. The key exists exactly
 *   while some worker of the cluster has beaten within the TTL and not signed off, which makes
 *   the bot's liveness test a single `EXISTS`.
 * - `<prefix>:clusters-seen` — a hash `<cluster>` → last beat (ms), kept for a week, so the bot
 *   can name clusters whose workers are all gone and say when they were last seen.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RedisClient } from './redis.js';
import { silentLogger, type Logger } from '../logger.js';
import { DEFAULT_PREFIX } from './contracts.js';
import { noLiveWorkerText } from '../render/clusters.js';

/** Default time between beats. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** Default lifetime of a beat: three intervals, so one slow beat does not make a cluster look dead. */
export const HEARTBEAT_TTL_MS = 15_000;
/** How long a cluster with no live worker is still listed (with its last-seen age). */
export const SEEN_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** The hash of one cluster's live workers. */
export function heartbeatKey(prefix: string, cluster: string): string {
  return `${prefix}:cluster-heartbeat:${cluster}`;
}

/** The hash of every cluster ever seen (within {@link SEEN_RETENTION_MS}) → last beat. */
export function seenKey(prefix: string): string {
  return `${prefix}:clusters-seen`;
}

/** What one worker says about itself. */
export interface WorkerMeta {
  workerId: string;
  /** podnet version of the worker. */
  version: string;
  /** ISO time the worker process started. */
  startedAt: string;
  hostname: string;
}

/** One live worker as read back, with times on the Redis clock. */
export interface LiveWorker extends WorkerMeta {
  lastBeatMs: number;
  expiresAtMs: number;
}

/** A cluster as the bot lists it. */
export interface ClusterStatus {
  cluster: string;
  /** True while at least one worker's beat is fresh. */
  live: boolean;
  workers: LiveWorker[];
  /** Milliseconds since the most recent beat of any of its workers (Redis clock). */
  lastSeenAgoMs: number;
}

// Redis ≥ 5 replicates scripts by effect, so reading TIME inside a script is allowed.
const NOW_LUA = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)";

/** KEYS: heartbeat hash, seen hash. ARGV: workerId, ttlMs, meta json, cluster, seen retention ms. */
const BEAT_LUA = `${NOW_LUA}
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f|%.0f|', now + ttl, now) .. ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local exp = tonumber(string.match(all[i + 1], '^(%d+)|'))
  if exp == nil or exp <= now then redis.call('HDEL', KEYS[1], all[i]) end
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('HSET', KEYS[2], ARGV[4], string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return string.format('%.0f', now)`;

/** KEYS: heartbeat hash. Returns [now, field, value, …] of the fresh entries only. */
const READ_LUA = `${NOW_LUA}
local out = { string.format('%.0f', now) }
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local exp = tonumber(string.match(all[i + 1], '^(%d+)|'))
  if exp ~= nil and exp > now then
    out[#out + 1] = all[i]
    out[#out + 1] = all[i + 1]
  end
end
return out`;

/** KEYS: heartbeat hash, seen hash. ARGV: workerId, cluster. Signs off without waiting for the TTL. */
const SIGN_OFF_LUA = `${NOW_LUA}
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], string.format('%.0f', now))
return 1`;

type Script = (...args: (string | number)[]) => Promise<unknown>;
type ScriptRedis = RedisClient & { podnetHeartbeatBeat: Script; podnetHeartbeatRead: Script; podnetHeartbeatSignOff: Script };

/** Registers the scripts once per client (ioredis then sends EVALSHA, falling back to EVAL). */
function scripts(redis: RedisClient): ScriptRedis {
  const r = redis as ScriptRedis;
  if (typeof (r as Partial<ScriptRedis>).podnetHeartbeatBeat !== 'function') {
    redis.defineCommand('podnetHeartbeatBeat', { numberOfKeys: 2, lua: BEAT_LUA });
    redis.defineCommand('podnetHeartbeatRead', { numberOfKeys: 1, lua: READ_LUA });
    redis.defineCommand('podnetHeartbeatSignOff', { numberOfKeys: 2, lua: SIGN_OFF_LUA });
  }
  return r;
}

let cachedVersion: string | undefined;

/** podnet's version from package.json (source tree or the image's /app). */
export function podnetVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'podnet' && pkg.version) return (cachedVersion = pkg.version);
    } catch {
      // try the next location
    }
  }
  return (cachedVersion = 'unknown');
}

export interface HeartbeatOptions {
  /** A connected ioredis client; not closed by `stop()`. */
  redis: RedisClient;
  cluster: string;
  /** Default `podnet`. */
  prefix?: string;
  /** Default: hostname plus a random suffix. */
  workerId?: string;
  /** Default: package.json's version. */
  version?: string;
  /** Default {@link HEARTBEAT_INTERVAL_MS}. */
  intervalMs?: number;
  /** Default {@link HEARTBEAT_TTL_MS}; must exceed `intervalMs`. */
  ttlMs?: number;
  logger?: Logger;
}

export interface Heartbeat {
  readonly workerId: string;
  /** Beats now (also runs on the interval). */
  beat(): Promise<void>;
  /** Stops beating and removes this worker's entry: the bot sees the cluster go at once if it was the last. */
  stop(): Promise<void>;
}

/**
 * Registers a worker for its cluster: beats once before resolving (so the bot can route to it as
 * soon as the worker says it is ready), then every `intervalMs` on an unref'd timer. A failed beat
 * is logged and retried on the next tick; the worker keeps working meanwhile.
 */
export async function startHeartbeat(options: HeartbeatOptions): Promise<Heartbeat> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const intervalMs = options.intervalMs ?? HEARTBEAT_INTERVAL_MS;
  const ttlMs = options.ttlMs ?? Math.max(HEARTBEAT_TTL_MS, intervalMs * 3);
  if (ttlMs <= intervalMs) throw new Error(`heartbeat ttlMs (${ttlMs}) must be longer than intervalMs (${intervalMs})`);
  const logger = options.logger ?? silentLogger;
  const host = hostname();
  const workerId = options.workerId ?? `${host}-${randomUUID().slice(0, 8)}`;
  const meta: WorkerMeta = { workerId, version: options.version ?? podnetVersion(), startedAt: new Date().toISOString(), hostname: host };
  const metaJson = JSON.stringify(meta);
  const r = scripts(options.redis);
  const hb = heartbeatKey(prefix, options.cluster);
  const seen = seenKey(prefix);
  let stopped = false;
  let failing = false;

  async function beat(): Promise<void> {
    if (stopped) return;
    await r.podnetHeartbeatBeat(hb, seen, workerId, ttlMs, metaJson, options.cluster, SEEN_RETENTION_MS);
  }

  await beat();
  const timer = setInterval(() => {
    beat().then(
      () => {
        if (failing) logger.info({ cluster: options.cluster }, 'heartbeat restored');
        failing = false;
      },
      (err: unknown) => {
        // Log the first failure of a run only: RedisClient being down is reported elsewhere too.
        if (!failing) logger.warn({ cluster: options.cluster, err: err instanceof Error ? err.message : String(err) }, 'heartbeat failed; the bot may report this cluster as without a live worker');
        failing = true;
      },
    );
  }, intervalMs);
  timer.unref();

  return {
    workerId,
    beat,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await r.podnetHeartbeatSignOff(hb, seen, workerId, options.cluster);
    },
  };
}

/** One cheap `EXISTS`: does the cluster have a worker that beat within the TTL? */
export async function isClusterLive(redis: RedisClient, cluster: string, prefix: string = DEFAULT_PREFIX): Promise<boolean> {
  return (await redis.exists(heartbeatKey(prefix, cluster))) === 1;
}

/**
 * Names of the clusters with at least one live worker, sorted. Read from the seen hash (every
 * beat writes it) plus one EXISTS per cluster — never a SCAN, which would walk every job key.
 */
export async function liveClusters(redis: RedisClient, prefix: string = DEFAULT_PREFIX): Promise<string[]> {
  const names = await redis.hkeys(seenKey(prefix));
  const live = await Promise.all(names.map((n) => isClusterLive(redis, n, prefix)));
  return names.filter((_, i) => live[i]).sort();
}

function parseEntry(field: string, value: string): LiveWorker | undefined {
  const m = /^(\d+)\|(\d+)\|(.*)$/s.exec(value);
  if (!m) return undefined;
  try {
    const meta = JSON.parse(m[3] as string) as Partial<WorkerMeta>;
    return {
      workerId: meta.workerId ?? field,
      version: meta.version ?? 'unknown',
      startedAt: meta.startedAt ?? '',
      hostname: meta.hostname ?? '',
      expiresAtMs: Number(m[1]),
      lastBeatMs: Number(m[2]),
    };
  } catch {
    return undefined;
  }
}

/** The live workers of one cluster and the Redis clock's now. */
export async function clusterWorkers(redis: RedisClient, cluster: string, prefix: string = DEFAULT_PREFIX): Promise<{ now: number; workers: LiveWorker[] }> {
  const raw = (await scripts(redis).podnetHeartbeatRead(heartbeatKey(prefix, cluster))) as string[];
  const now = Number(raw[0]);
  const workers: LiveWorker[] = [];
  for (let i = 1; i + 1 < raw.length; i += 2) {
    const w = parseEntry(raw[i] as string, raw[i + 1] as string);
    if (w) workers.push(w);
  }
  workers.sort((a, b) => a.workerId.localeCompare(b.workerId));
  return { now, workers };
}

/**
 * Every cluster that is live or was seen within {@link SEEN_RETENTION_MS}, live ones first,
 * each with its workers and last-seen age.
 */
export async function listClusters(redis: RedisClient, prefix: string = DEFAULT_PREFIX): Promise<ClusterStatus[]> {
  const seen = await redis.hgetall(seenKey(prefix));
  const read = await Promise.all(Object.keys(seen).map(async (cluster) => ({ cluster, ...(await clusterWorkers(redis, cluster, prefix)) })));
  const out: ClusterStatus[] = [];
  for (const { cluster, now, workers } of read) {
    const lastBeat = Math.max(Number(seen[cluster] ?? 0), ...workers.map((w) => w.lastBeatMs));
    const ago = Math.max(0, now - lastBeat);
    if (workers.length === 0 && ago > SEEN_RETENTION_MS) continue;
    out.push({ cluster, live: workers.length > 0, workers, lastSeenAgoMs: ago });
  }
  return out.sort((a, b) => Number(b.live) - Number(a.live) || a.cluster.localeCompare(b.cluster));
}

export interface ClusterGateOptions {
  redis: RedisClient;
  prefix?: string;
  /** How long a positive liveness answer is reused. Default 2000 ms. Negative answers are never cached, so a new worker is found at once. */
  cacheMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** What the bot asks before enqueueing. */
export interface ClusterGate {
  /** Undefined when the cluster has a live worker (or Redis could not tell: the enqueue then reports Redis); else the refusal text (src/render/clusters.ts). */
  refuse(cluster: string): Promise<string | undefined>;
  list(): Promise<ClusterStatus[]>;
}

/**
 * The bot's view of worker liveness: one `EXISTS` per command for a cluster not seen live in the
 * last `cacheMs`, nothing at all otherwise. The clusters list is read only on a refusal or on
 * `/podnet clusters`.
 */
export function createClusterGate(options: ClusterGateOptions): ClusterGate {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const cacheMs = options.cacheMs ?? 2000;
  const now = options.now ?? Date.now;
  const liveUntil = new Map<string, number>();
  // When the cache runs out under a burst, the commands that arrive while one liveness read is
  // in flight share it rather than each sending its own (all of them on an ack's path).
  const reading = new Map<string, Promise<boolean>>();
  const readLive = (cluster: string): Promise<boolean> => {
    let pending = reading.get(cluster);
    if (!pending) {
      pending = isClusterLive(options.redis, cluster, prefix).finally(() => reading.delete(cluster));
      reading.set(cluster, pending);
    }
    return pending;
  };
  const list = () => listClusters(options.redis, prefix);
  return {
    list,
    async refuse(cluster) {
      const until = liveUntil.get(cluster);
      if (until !== undefined && until > now()) return undefined;
      let live: boolean;
      try {
        live = await readLive(cluster);
      } catch {
        return undefined;
      }
      if (live) {
        liveUntil.set(cluster, now() + cacheMs);
        return undefined;
      }
      liveUntil.delete(cluster);
      const clusters = await list().catch(() => [] as ClusterStatus[]);
      return noLiveWorkerText(cluster, clusters);
    },
  };
}
