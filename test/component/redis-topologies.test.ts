/**
 * connectRedis and the key layout on real Sentinel and Cluster topologies (test/helpers/redis-servers.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Cluster } from 'ioredis';
import { loadRedisSettings, queuePrefixFor } from '../../src/config.js';
import { connectRedis } from '../../src/queue/redis.js';
import { startRedisCluster, startSentinelSet, type RedisClusterSet, type SentinelSet } from '../helpers/redis-servers.js';

describe('Sentinel', () => {
  let set: SentinelSet | undefined;
  beforeAll(async () => {
    set = await startSentinelSet();
  }, 60_000);
  afterAll(async () => set?.stop());

  test('connects to the primary the sentinels name, from the environment', async () => {
    const problems: string[] = [];
    const settings = loadRedisSettings(set!.env, problems);
    expect(problems).toEqual([]);
    const redis = await connectRedis({ redis: settings });
    try {
      expect(await redis.info('replication')).toContain('role:master');
      expect(await redis.info('server')).toContain(`tcp_port:${set!.primary.port}`);
    } finally {
      await redis.quit();
    }
  });
});

describe('Redis Cluster', () => {
  let set: RedisClusterSet | undefined;
  beforeAll(async () => {
    set = await startRedisCluster();
  }, 60_000);
  afterAll(async () => set?.stop());

  test('connects from the environment and hash-tags the prefix', async () => {
    const problems: string[] = [];
    const settings = loadRedisSettings(set!.env, problems);
    expect(problems).toEqual([]);
    const redis = await connectRedis({ redis: settings });
    try {
      expect(redis).toBeInstanceOf(Cluster);
      expect(queuePrefixFor('podnet', settings)).toBe('{podnet}');
      expect(await redis.cluster('INFO')).toContain('cluster_state:ok');
    } finally {
      await redis.quit();
    }
  });
});
