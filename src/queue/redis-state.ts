/**
 * One JSON log line per Redis state change. During an outage ioredis retries every ≤ 2 s on
 * every connection (BullMQ duplicates one per worker and queue) and each failed attempt is an
 * `error` event: logged one by one — or printed by ioredis as "[ioredis] Unhandled error event"
 * with a stack trace when a client has no listener — they were hundreds of lines a second.
 * Here the first connection error after "up" logs `redis unreachable`, the next `ready` logs
 * `redis reachable again` with how long it was down; everything in between is counted, not logged.
 */
import type { RedisClient } from './redis.js';
import type { Logger } from '../logger.js';

/** Errors that mean "cannot talk to Redis" (socket-level), as opposed to a failing command. */
const CONNECTION_ERROR = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|Connection is closed|connect ETIMEDOUT|Stream isn't writeable|MaxRetriesPerRequestError/;

export interface RedisStateLog {
  /** True for a socket-level error (to be routed here rather than logged). */
  isConnectionError(err: unknown): boolean;
  /** Records a connection error; logs only when this turns the state to down. */
  noteError(err: unknown, source?: string): void;
  /** Records a successful (re)connection; logs only when this turns the state to up. */
  noteReady(source?: string): void;
  readonly state: 'up' | 'down';
  /** Removes the listeners from the client. */
  stop(): void;
}

export function watchRedisState(client: RedisClient, logger: Logger, options: { name: string; now?: () => number }): RedisStateLog {
  const now = options.now ?? Date.now;
  let state: 'up' | 'down' = 'up';
  let downSince = 0;
  let suppressed = 0;
  const isConnectionError = (err: unknown): boolean => CONNECTION_ERROR.test(err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}` : String(err));
  const log: RedisStateLog = {
    isConnectionError,
    get state() {
      return state;
    },
    noteError(err, source) {
      if (state === 'down') {
        suppressed++;
        return;
      }
      state = 'down';
      downSince = now();
      suppressed = 0;
      logger.error({ event: 'redis-state', redis: options.name, state: 'down', source, err: err instanceof Error ? err.message : String(err) }, 'redis unreachable; retrying quietly until it is back');
    },
    noteReady(source) {
      if (state === 'up') return;
      state = 'up';
      logger.info({ event: 'redis-state', redis: options.name, state: 'up', source, downMs: now() - downSince, errorsWhileDown: suppressed }, 'redis reachable again');
    },
    stop() {
      client.off('error', onError);
      client.off('ready', onReady);
    },
  };
  const onError = (err: Error): void => log.noteError(err, 'client');
  const onReady = (): void => log.noteReady('client');
  client.on('error', onError);
  client.on('ready', onReady);
  return log;
}
