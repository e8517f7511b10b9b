/**
 * Cluster heartbeats against real Redis: a worker registers at once, a clean stop removes only
 * its own entry (replicas keep the cluster live), a worker that dies without signing off
 * drops out after the TTL, and the bot's gate answers "no live worker" with the live ones.
 */
import { afterAll, afterEach, describe, expect, jest, test } from '@jest/globals';
import { Redis } from 'ioredis';
import {
  clusterWorkers,
  createClusterGate,
  heartbeatKey,
  isClusterLive,
  listClusters,
  liveClusters,
  podnetVersion,
  startHeartbeat,
  type Heartbeat,
} from '../../src/queue/heartbeat.js';
import { clustersText, formatAge, noLiveWorkerText } from '../../src/render/clusters.js';
import { testPrefix } from '../helpers/queue-fakes.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let current = testPrefix();
const beats: Heartbeat[] = [];
afterEach(async () => {
  for (const b of beats.splice(0)) await b.stop().catch(() => undefined);
  await current.cleanup(redis);
  current = testPrefix();
});
afterAll(async () => {
  await redis.quit();
});

describe('startHeartbeat', () => {
  test('registers before resolving, with its id, version and start time; stop removes it', async () => {
    const { prefix } = current;
    expect(await isClusterLive(redis, 'alpha', prefix)).toBe(false);
    const before = Date.now();
    const hb = await startHeartbeat({ redis, prefix, cluster: 'alpha', workerId: 'w-1' });
    beats.push(hb);
    expect(await isClusterLive(redis, 'alpha', prefix)).toBe(true);
    const { workers } = await clusterWorkers(redis, 'alpha', prefix);
    expect(workers).toHaveLength(1);
    expect(workers[0]).toMatchObject({ workerId: 'w-1', version: podnetVersion() });
    expect(podnetVersion()).toMatch(/^\d+\.\d+\.\d+/);
    // Its start time is this start's: between the call and now (order, not an age limit).
    expect(Date.parse(workers[0]!.startedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(workers[0]!.startedAt)).toBeLessThanOrEqual(Date.now());
    // The key carries a TTL: a dead worker cannot keep a cluster live forever.
    const pttl = await redis.pttl(heartbeatKey(prefix, 'alpha'));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(15_000);
    await hb.stop();
    expect(await isClusterLive(redis, 'alpha', prefix)).toBe(false);
    expect(await redis.exists(heartbeatKey(prefix, 'alpha'))).toBe(0);
  });

  test('two replicas: one stopping leaves the cluster live; the last one takes it down', async () => {
    const { prefix } = current;
    const a = await startHeartbeat({ redis, prefix, cluster: 'beta', workerId: 'a' });
    const b = await startHeartbeat({ redis, prefix, cluster: 'beta', workerId: 'b' });
    beats.push(a, b);
    expect((await clusterWorkers(redis, 'beta', prefix)).workers.map((w) => w.workerId)).toEqual(['a', 'b']);
    await a.stop();
    expect(await isClusterLive(redis, 'beta', prefix)).toBe(true);
    expect((await clusterWorkers(redis, 'beta', prefix)).workers.map((w) => w.workerId)).toEqual(['b']);
    await b.stop();
    expect(await isClusterLive(redis, 'beta', prefix)).toBe(false);
  });

  test('a worker that dies without signing off drops out after the TTL; it stays listed as last seen', async () => {
    const { prefix } = current;
    const own = new Redis(REDIS_URL, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    own.on('error', () => undefined);
    const hb = await startHeartbeat({ redis: own, prefix, cluster: 'gamma', intervalMs: 50, ttlMs: 300 });
    expect(await isClusterLive(redis, 'gamma', prefix)).toBe(true);
    own.disconnect(); // the process "dies": no more beats, no sign-off
    // Wait for it to drop out (however long a busy machine takes); when is the check below.
    for (let i = 0; i < 200 && (await isClusterLive(redis, 'gamma', prefix)); i++) await sleep(50);
    expect(await isClusterLive(redis, 'gamma', prefix)).toBe(false);
    const list = await listClusters(redis, prefix);
    expect(list).toEqual([expect.objectContaining({ cluster: 'gamma', live: false, workers: [] })]);
    expect(list[0]!.lastSeenAgoMs).toBeGreaterThanOrEqual(300);
    await hb.stop().catch(() => undefined);
  });

  test('refuses a TTL that is not longer than the interval', async () => {
    await expect(startHeartbeat({ redis, prefix: current.prefix, cluster: 'delta', intervalMs: 500, ttlMs: 500 })).rejects.toThrow(/ttlMs/);
  });
});

describe('listing and the bot gate', () => {
  test('liveClusters and listClusters: live first, then the ones seen before', async () => {
    const { prefix } = current;
    const b = await startHeartbeat({ redis, prefix, cluster: 'b-cluster' });
    const a = await startHeartbeat({ redis, prefix, cluster: 'a-cluster' });
    const gone = await startHeartbeat({ redis, prefix, cluster: 'old' });
    beats.push(a, b);
    await gone.stop();
    expect(await liveClusters(redis, prefix)).toEqual(['a-cluster', 'b-cluster']);
    const list = await listClusters(redis, prefix);
    expect(list.map((c) => [c.cluster, c.live])).toEqual([
      ['a-cluster', true],
      ['b-cluster', true],
      ['old', false],
    ]);
    const text = clustersText(list, 'a-cluster');
    expect(text).toContain('*a-cluster* (default) — 1 worker');
    expect(text).toMatch(/\*old\* — no live worker, last seen \d+s ago/);
    // Other prefixes do not leak in.
    expect(await liveClusters(redis, `${prefix}-other`)).toEqual([]);
  });

  test('gate: live cluster passes; dead one gets the answer naming the live ones; positive answers cached briefly', async () => {
    const { prefix } = current;
    const hb = await startHeartbeat({ redis, prefix, cluster: 'east' });
    beats.push(hb);
    let clock = 1_000_000;
    const gate = createClusterGate({ redis, prefix, cacheMs: 2000, now: () => clock });
    expect(await gate.refuse('east')).toBeUndefined();
    const refusal = await gate.refuse('west');
    expect(refusal).toContain('No live podnet worker for cluster *west* (never seen)');
    expect(refusal).toContain('live clusters: east');
    expect(refusal).toContain('podnet worker --cluster west');
    expect(refusal).toContain('Nothing was queued');
    // Within the cache window a stopped worker still reads as live (no Redis call) …
    await hb.stop();
    expect(await gate.refuse('east')).toBeUndefined();
    // … and after it, the refusal comes with the last-seen age.
    clock += 2001;
    expect(await gate.refuse('east')).toMatch(/No live podnet worker for cluster \*east\* \(last seen \d+s ago\); no cluster has a live worker/);
  });

  test('gate: a burst arriving with the cache run out shares one liveness read; the next read after it goes to Redis again', async () => {
    const { prefix } = current;
    beats.push(await startHeartbeat({ redis, prefix, cluster: 'east' }));
    const own = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    try {
      const exists = jest.spyOn(own, 'exists');
      const gate = createClusterGate({ redis: own, prefix, cacheMs: 0 });
      expect(await Promise.all(Array.from({ length: 20 }, () => gate.refuse('east')))).toEqual(Array.from({ length: 20 }, () => undefined));
      expect(exists).toHaveBeenCalledTimes(1);
      // Nothing is kept once the reply is in (cacheMs 0 here): the next command reads again.
      expect(await gate.refuse('east')).toBeUndefined();
      expect(exists).toHaveBeenCalledTimes(2);
    } finally {
      await own.quit();
    }
  });

  test('gate lets the command through when Redis cannot answer (the enqueue then reports it)', async () => {
    const broken = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    broken.on('error', () => undefined);
    const gate = createClusterGate({ redis: broken });
    expect(await gate.refuse('any')).toBeUndefined();
    broken.disconnect();
  });

  test('texts', () => {
    expect(formatAge(4_000)).toBe('4s');
    expect(formatAge(5 * 60_000)).toBe('5m');
    expect(formatAge(3 * 3600_000)).toBe('3h');
    expect(formatAge(3 * 86400_000)).toBe('3d');
    expect(clustersText([])).toContain('No podnet worker has registered yet');
    expect(noLiveWorkerText('x', [])).toContain('no cluster has a live worker');
  });
});
