/**
 * The shared Kubernetes API budget (src/cluster/shared-budget.ts) against the real Redis:
 * three limiters of one cluster draw from one bucket; a 429 pause holds all of them; with Redis
 * away a limiter falls back to its own bucket at once. Time is injected (the script's `now`
 * and the sleeps), so the counts do not depend on how loaded the machine is.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createSharedBudget, type SharedBudget } from '../../src/cluster/shared-budget.js';
import type { Clock } from '../../src/cluster/rate-limit.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A clock that moves only when told; sleeps record their length and return at once. */
function manualClock(): Clock & { t: number; slept: number[] } {
  const c = { t: 1_000_000, slept: [] as number[], now: () => c.t, sleep: async (ms: number) => void c.slept.push(ms) };
  return c;
}

describe('shared Kubernetes API budget on Redis', () => {
  let redis: Redis;
  let prefix: string;
  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    await redis.ping();
  });
  beforeEach(() => {
    prefix = `podnet-test-budget-${randomUUID().slice(0, 8)}`;
  });
  afterEach(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  });
  afterAll(async () => {
    await redis.quit();
  });

  function three(clock: ReturnType<typeof manualClock>, qps: number, burst: number): SharedBudget[] {
    return [0, 1, 2].map(() => createSharedBudget({ redis, prefix, cluster: 'prod-eu', qps, burst, clock, redisNow: () => clock.t }));
  }

  it('three workers together get the burst at once, then exactly qps per second between them', async () => {
    const clock = manualClock();
    const workers = three(clock, 10, 20);
    // 30 takers across three workers at one instant: 20 tokens free, the other 10 wait 0.1 s apart.
    await Promise.all(Array.from({ length: 30 }, (_, i) => workers[i % 3]!.take()));
    expect(clock.slept.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 100));
    // One second later (the reservations waited out, 10 more refilled... and spent), the bucket is empty again:
    clock.t += 1000;
    clock.slept.length = 0;
    await Promise.all(Array.from({ length: 6 }, (_, i) => workers[i % 3]!.take()));
    expect(clock.slept.sort((a, b) => a - b)).toEqual([100, 200, 300, 400, 500, 600]);
    expect(workers.some((w) => w.usingFallback())).toBe(false);
  });

  it('grants no more than burst + qps × window across the workers, in any window, whatever the interleaving', async () => {
    const clock = manualClock();
    const workers = three(clock, 50, 10);
    const start = clock.t;
    const granted: number[] = [];
    for (let step = 0; step < 40; step++) {
      // Every 20 ms each worker asks twice (300/s asked for, 50/s allowed).
      for (const w of workers) {
        for (let k = 0; k < 2; k++) {
          const before = clock.slept.length;
          await w.take();
          granted.push(clock.t + clock.slept.slice(before).reduce((x, y) => x + y, 0));
        }
      }
      clock.t += 20;
    }
    for (const t of granted) expect(granted.filter((x) => x >= t && x < t + 1000).length).toBeLessThanOrEqual(10 + 50);
    // 240 tokens: 10 at once, the other 230 at 50/s — the last one 4.6 s after the first.
    expect(Math.max(...granted) - start).toBe(4600);
  });

  it('a 429 seen by one worker pauses all of them (Retry-After, capped), then resumes at qps', async () => {
    const clock = manualClock();
    const [a, b, c] = three(clock, 10, 5);
    await a!.pause(1000);
    await Promise.all([b!.take(), c!.take()]);
    // Both waited out the pause; then tokens refill from zero at 10/s.
    expect(clock.slept.sort((x, y) => x - y)).toEqual([1100, 1200]);
    clock.slept.length = 0;
    clock.t += 10_000;
    await a!.pause(60_000); // capped at 5 s
    await b!.take();
    expect(clock.slept).toEqual([5100]);
  });

  it('a reservation made before another worker’s 429 is void: its holder waits for the pause', async () => {
    const clock = manualClock();
    const [a, b] = three(clock, 10, 1);
    await a!.take(); // the only token
    let paused = false;
    // b reserves (100 ms); while it sleeps, a sees a 429 and pauses the budget for 2 s.
    const bClock = { now: () => clock.t, sleep: async (ms: number) => {
      clock.slept.push(ms);
      if (!paused) {
        paused = true;
        await a!.pause(2000);
      }
    } };
    const b2 = createSharedBudget({ redis, prefix, cluster: 'prod-eu', qps: 10, burst: 1, clock: bClock, redisNow: () => clock.t });
    await b2.take();
    expect(clock.slept).toEqual([100, 2100]);
    void b;
  });

  it('Redis away: falls back to its own bucket at once, logs once, and is back on the shared budget when Redis answers', async () => {
    const clock = manualClock();
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: () => null });
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, msg: string) => warnings.push(msg), info: () => undefined } as never;
    const budget = createSharedBudget({ redis: down, prefix, cluster: 'prod-eu', qps: 10, burst: 2, clock, logger });
    await budget.take();
    await budget.take();
    await budget.take();
    expect(budget.usingFallback()).toBe(true);
    expect(clock.slept).toEqual([100]); // the local bucket of the same size
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Redis is unreachable; this worker uses its own limiter/);
    down.disconnect();
    const up = createSharedBudget({ redis, prefix, cluster: 'prod-eu', qps: 10, burst: 2, clock, redisNow: () => clock.t });
    await up.take();
    expect(up.usingFallback()).toBe(false);
    expect(await redis.hget(`${prefix}:kube-budget:prod-eu`, 'epoch')).toBe('0');
  });

  it('rejects nonsense sizes with a one-line message', () => {
    expect(() => createSharedBudget({ redis, prefix, cluster: 'x', qps: -1 })).toThrow(/qps must be a positive number/);
  });
});
