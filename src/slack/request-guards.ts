/**
 * Two guards in front of the Bolt listeners.
 *
 * - Timestamps: Slack signs `v0:<timestamp>:<body>` and asks apps to refuse requests whose
 *   X-Slack-Request-Timestamp is more than five minutes from local time, to stop replays
 *   (docs.slack.dev/authentication/verifying-requests-from-slack: "If the difference …
 *   is more than five minutes, ignore the request"). Bolt's verify-request.js only refuses
 *   stale ones (`requestTimestampSec < fiveMinutesAgoSec`); a request signed for the future
 *   passed. {@link timestampWithinWindow} checks both ways, with the clock as a parameter.
 * - Events API retries: when an app does not answer within 3 s (or errors), Slack sends the
 *   same event again with the same `event_id` and `X-Slack-Retry-Num: 1`, `2`, `3`
 *   (docs.slack.dev/apis/events-api/#retries). {@link createEventDeduper} remembers each
 *   `event_id` in Redis for an hour (SET NX EX; Slack retries within ~5 minutes) so a retry
 *   never runs the command a second time, on any bot replica.
 */
import type { RedisClient } from '../queue/redis.js';
import type { Logger } from '../logger.js';

/** Slack's replay window for signed requests, seconds. */
export const REQUEST_WINDOW_SECONDS = 5 * 60;

/** True when `timestampHeader` (seconds) is within ±5 minutes of `nowMs`. */
export function timestampWithinWindow(timestampHeader: string | undefined, nowMs: number, windowSeconds: number = REQUEST_WINDOW_SECONDS): boolean {
  if (timestampHeader === undefined || !/^\d{1,12}$/.test(timestampHeader)) return false;
  return Math.abs(Math.floor(nowMs / 1000) - Number(timestampHeader)) <= windowSeconds;
}

export interface EventDeduper {
  /**
   * True the first time `eventId` is seen (run it), false for a repeat. `retryNum` is Slack's
   * X-Slack-Retry-Num: when Redis cannot answer, a retry (≥ 1) is dropped — its first delivery
   * most likely ran — and a first delivery runs.
   */
  firstDelivery(eventId: string, retryNum: number | undefined): Promise<boolean>;
}

export interface EventDeduperOptions {
  redis: RedisClient;
  prefix: string;
  /** How long an event id is remembered. Default 3600 s (Slack retries for ~5 minutes). */
  ttlSeconds?: number;
  logger?: Logger;
}

export function createEventDeduper(options: EventDeduperOptions): EventDeduper {
  const ttl = Math.max(3600, options.ttlSeconds ?? 3600);
  return {
    async firstDelivery(eventId, retryNum) {
      try {
        const set = await options.redis.set(`${options.prefix}:slack-event:${eventId}`, String(retryNum ?? 0), 'EX', ttl, 'NX');
        return set === 'OK';
      } catch (err) {
        options.logger?.warn({ err: String(err), eventId, retryNum }, 'event dedupe store unavailable');
        return (retryNum ?? 0) === 0;
      }
    },
  };
}
