/**
 * connectRedis against a port where nothing listens: a one-line `unavailable` error, and
 * nothing left running afterwards (a CLI that cannot reach Redis exits at once).
 */
import { jest } from '@jest/globals';
import { connectRedis } from '../../src/queue/redis.js';
import { PodnetError } from '../../src/errors.js';

test('a refused connection rejects with how to start Redis and leaves no timer behind', async () => {
  const setTimeoutSpy = jest.spyOn(globalThis, 'setTimeout');
  const err = await connectRedis({ url: 'redis://127.0.0.1:1', timeoutMs: 3000 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PodnetError);
  expect((err as PodnetError).code).toBe('unavailable');
  expect((err as Error).message).toMatch(/^No Redis answers at redis:\/\/127\.0\.0\.1:1 .*redis-server/);
  // ioredis arms a 2 s "stream still open" timer when a client whose socket already closed is
  // disconnected; it kept `podnet incident export` (and jest workers) alive for 2 s.
  // (its delay is ioredis's disconnectTimeout, 2000 ms by default).
  const armed = setTimeoutSpy.mock.calls.filter((c) => c[1] === 2000);
  setTimeoutSpy.mockRestore();
  expect(armed).toHaveLength(0);
});

test('a reachable Redis connects and answers', async () => {
  const redis = await connectRedis({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  expect(await redis.ping()).toBe('PONG');
  await redis.quit();
});
