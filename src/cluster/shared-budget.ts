/**
 * One Kubernetes API budget per cluster, shared by all of that cluster's workers: the token
 * bucket of src/cluster/rate-limit.ts kept in one Redis hash per cluster and stepped by one Lua
 * script, so N worker replicas together send at most `qps` (plus `burst`) to their API server
 * instead of N times that. A 429 pauses the budget for every worker at once.
 *
 * One key per cluster, `<prefix>:kube-budget:<cluster>`: on a Redis Cluster the prefix is a hash
 * tag (`{podnet}`, src/config.ts `queuePrefixFor`), and a single-key script is slot-safe anyway;
 * via Sentinel the script runs on whichever primary the sentinels name. The script reads Redis's
 * own clock (TIME), so workers on hosts with skewed clocks still share one timeline; tests pass
 * the time instead.
 *
 * When Redis does not answer (down, failing over, or slower than `timeoutMs`), the worker does
 * not wait for it: it falls back to an in-process bucket of the same size, logs that once, and
 * uses the shared budget again as soon as Redis answers. A check in flight is never failed or
 * held because the budget's store is away; for that while each worker keeps its own budget.
 */
import type { Logger } from '../logger.js';
import type { Cluster, Redis } from 'ioredis';
import {
  DEFAULT_BURST,
  DEFAULT_QPS,
  MAX_PAUSE_MS,
  TokenBucket,
  systemClock,
  takeWith,
  validateBudget,
  type Clock,
  type RateLimiter,
  type Reservation,
} from './rate-limit.js';

/**
 * KEYS[1]: the budget hash. ARGV: now (ms, or '' for Redis's TIME), qps, burst, op ('take' or
 * 'pause'), then for take the held epoch ('' when none), for pause the pause in ms.
 * Returns {waitMs, epoch}. The arithmetic is `reserveToken` / `pauseBucket` of rate-limit.ts.
 */
const BUDGET_LUA = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local qps = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local s = redis.call('HMGET', KEYS[1], 'tokens', 'last', 'epoch')
local tokens = tonumber(s[1]) or burst
local last = tonumber(s[2]) or now
local epoch = tonumber(s[3]) or 0
local wait = 0
if ARGV[4] == 'pause' then
  local untilMs = now + math.min(math.max(0, tonumber(ARGV[5])), ${MAX_PAUSE_MS})
  if untilMs > last then
    tokens = 0
    last = untilMs
    epoch = epoch + 1
  end
else
  local held = tonumber(ARGV[5])
  if held ~= nil and held == epoch then return {0, epoch} end
  tokens = math.min(burst, tokens + math.max(0, now - last) * qps / 1000)
  last = math.max(last, now)
  tokens = tokens - 1
  local debt = 0
  if tokens < 0 then debt = -tokens * 1000 / qps end
  wait = math.ceil(last - now + debt)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'last', string.format('%.3f', last), 'epoch', epoch)
-- An idle budget refills completely: the key can go once that time (and any pause) has passed.
redis.call('PEXPIRE', KEYS[1], math.ceil(last - now + burst * 1000 / qps) + 60000)
return {wait, epoch}`;

type BudgetScript = (key: string, now: string, qps: number, burst: number, op: 'take' | 'pause', arg: string) => Promise<[number, number]>;
/** A single-server, Sentinel or Cluster client (src/queue/redis.ts `createRedisClient`). */
type RedisClient = Redis | Cluster;
type BudgetRedis = RedisClient & { podnetKubeBudget: BudgetScript };

/** Registers the script once per client (ioredis then sends EVALSHA, falling back to EVAL). */
function script(redis: RedisClient): BudgetRedis {
  const r = redis as BudgetRedis;
  if (typeof (r as Partial<BudgetRedis>).podnetKubeBudget !== 'function') redis.defineCommand('podnetKubeBudget', { numberOfKeys: 1, lua: BUDGET_LUA });
  return r;
}

/** The Redis key of a cluster's budget. */
export function budgetKey(prefix: string, cluster: string): string {
  return `${prefix}:kube-budget:${cluster}`;
}

export interface SharedBudgetOptions {
  redis: RedisClient;
  /** The installation's key prefix (`Config.queuePrefix`: hash-tagged on a Redis Cluster). */
  prefix: string;
  /** The cluster whose API server the budget protects. */
  cluster: string;
  /** Sustained requests per second, for all workers of the cluster together. Default {@link DEFAULT_QPS}. */
  qps?: number;
  /** Requests at once after an idle spell. Default {@link DEFAULT_BURST}. */
  burst?: number;
  /** Longest wait for Redis's answer before using the local bucket. Default 1000 ms. */
  timeoutMs?: number;
  logger?: Logger;
  /** Sleeps, and the local fallback's time. Default: the system clock. */
  clock?: Clock;
  /**
   * The time the script runs at (ms), for tests; default: Redis's own clock (TIME), one timeline
   * for every worker whatever their hosts' clocks say.
   */
  redisNow?: () => number;
}

/** A {@link RateLimiter} over Redis, plus whether it is on its local fallback (for tests and logs). */
export interface SharedBudget extends RateLimiter {
  readonly key: string;
  readonly qps: number;
  readonly burst: number;
  /** True while Redis is away and this worker uses its own bucket. */
  usingFallback(): boolean;
}

const DEFAULT_REDIS_TIMEOUT_MS = 1000;

/**
 * The shared budget of one cluster. Every limiter built with the same Redis, prefix and cluster
 * (in any process) draws from the same bucket.
 */
export function createSharedBudget(options: SharedBudgetOptions): SharedBudget {
  const qps = options.qps ?? DEFAULT_QPS;
  const burst = options.burst ?? DEFAULT_BURST;
  validateBudget(qps, burst);
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
  const key = budgetKey(options.prefix, options.cluster);
  const redis = script(options.redis);
  const local = new TokenBucket({ qps, burst, clock });
  let fallback = false;

  /** Runs the script, or returns undefined when Redis is not there to answer in time. */
  async function run(op: 'take' | 'pause', arg: string): Promise<Reservation | undefined> {
    // Not connected: ioredis would queue the command until Redis is back; do not wait for that.
    if (redis.status !== 'ready') return away(`Redis is ${redis.status}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const now = options.redisNow ? String(options.redisNow()) : '';
      const answer = await Promise.race([redis.podnetKubeBudget(key, now, qps, burst, op, arg), timeout]);
      if (answer === 'timeout') return away(`no answer within ${timeoutMs} ms`);
      if (fallback) {
        fallback = false;
        options.logger?.info({ key }, 'Kubernetes API budget: Redis answers again; back on the shared budget');
      }
      return { waitMs: Number(answer[0]), epoch: Number(answer[1]) };
    } catch (err) {
      return away((err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  function away(reason: string): undefined {
    if (!fallback) {
      fallback = true;
      options.logger?.warn({ key, reason }, "Kubernetes API budget: Redis is unreachable; this worker uses its own limiter of the same size until Redis answers");
    }
    return undefined;
  }

  return {
    key,
    qps,
    burst,
    usingFallback: () => fallback,
    async take() {
      const first = await run('take', '');
      if (!first) return local.take();
      // After each wait, confirm the reservation (a 429 pause in between voids it and reserves
      // again). Redis gone meanwhile: the reservation was waited out, so it stands.
      await takeWith(async (held) => (await run('take', held === undefined ? '' : String(held))) ?? { waitMs: 0, epoch: held ?? 0 }, (ms) => clock.sleep(ms), first);
    },
    async pause(ms) {
      await local.pause(ms);
      await run('pause', String(ms));
    },
  };
}
