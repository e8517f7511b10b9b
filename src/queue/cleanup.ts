/**
 * Removes everything a podnet installation keeps under one Redis key prefix: the queues of the
 * given clusters (obliterated through BullMQ, so no job is left half-deleted) and then every
 * other key under the prefix (idempotency keys, incidents, heartbeats, watch state). For
 * short-lived prefixes — the demo, tests, benchmarks — never for a production prefix.
 */
import { Queue } from 'bullmq';
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './redis.js';
import { QUEUE_KINDS, queueName } from './contracts.js';

export async function removePrefix(redis: RedisClient, prefix: string, clusters: string[]): Promise<void> {
  for (const cluster of clusters) {
    for (const kind of QUEUE_KINDS) {
      const q = new Queue(queueName(cluster, kind), { connection: redis, prefix });
      await q.obliterate({ force: true });
      await q.close();
    }
  }
  // SCAN walks one server's keys: on a Redis Cluster, walk every primary (a hash-tagged
  // prefix lives on one of them, an untagged one on all). DEL one key at a time there, since
  // keys of an untagged prefix need not share a slot.
  const servers: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (redis instanceof Cluster) await Promise.all(keys.map((k) => redis.del(k)));
      else if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  }
}
