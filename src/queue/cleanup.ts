/**
 * Removes everything a podnet installation keeps under one Redis key prefix: the queues of the
 * given clusters (obliterated through BullMQ, so no job is left half-deleted) and then every
 * other key under the prefix (idempotency keys, incidents, heartbeats, watch state). For
 * short-lived prefixes — the demo, tests, benchmarks — never for a production prefix.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_KINDS, queueName } from './contracts.js';

export async function removePrefix(redis: Redis, prefix: string, clusters: string[]): Promise<void> {
  for (const cluster of clusters) {
    for (const kind of QUEUE_KINDS) {
      const q = new Queue(queueName(cluster, kind), { connection: redis, prefix });
      await q.obliterate({ force: true });
      await q.close();
    }
  }
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
