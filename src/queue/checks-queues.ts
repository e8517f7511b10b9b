/**
 * Each cluster's `checks` queue, opened once on first use and closed together: the producer,
 * the incident hooks and the fix buttons all add jobs to it.
 */
import { Queue } from 'bullmq';
import { queueName } from './contracts.js';
import type { RedisClient } from './redis.js';

export interface ChecksQueues {
  /** The `checks` queue of `cluster`, opened on first use. */
  of(cluster: string): Queue;
  /** Closes every queue opened so far (the connection stays its owner's). */
  close(): Promise<void>;
}

export function createChecksQueues(redis: RedisClient, prefix: string): ChecksQueues {
  const queues = new Map<string, Queue>();
  return {
    of(cluster) {
      const name = queueName(cluster, 'checks');
      let queue = queues.get(name);
      if (!queue) {
        queues.set(name, (queue = new Queue(name, { connection: redis, prefix })));
        // A Queue without an 'error' listener prints each connection error with console.error. A
        // failed add already reaches the user, and the connection's owner logs Redis trouble.
        queue.on('error', () => undefined);
      }
      return queue;
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
