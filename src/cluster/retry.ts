/**
 * Bounded retries with exponential backoff and full jitter, for transient Kubernetes API
 * failures only: 5xx, 429 (honouring Retry-After), timeouts and connection errors. A 4xx other
 * than 429 is permanent — a 403 stays a 403 — and is never retried.
 */
import type { PodnetError } from '../errors.js';
import type { ErrorCode } from '../evidence.js';
import { systemClock, type Clock } from './rate-limit.js';

export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  retries?: number;
  /** First backoff ceiling in ms; doubles each attempt. Default 200. */
  baseMs?: number;
  /** Largest wait in ms, also the cap on Retry-After. Default 5000. */
  maxMs?: number;
  clock?: Pick<Clock, 'sleep'>;
  /** [0, 1) source for jitter; injectable for tests. */
  random?: () => number;
  /** Called before each retry (for logs). */
  onRetry?: (err: PodnetError, attempt: number, waitMs: number) => void;
}

export const DEFAULT_RETRIES = 3;

const TRANSIENT: ReadonlySet<ErrorCode> = new Set(['server-error', 'rate-limited', 'timeout', 'unavailable']);

/** True for the codes a retry may fix. */
export function isTransient(err: PodnetError): boolean {
  return TRANSIENT.has(err.code);
}

/** The wait before retry number `attempt` (1-based): Retry-After when given, else jittered backoff. */
export function backoffMs(err: PodnetError, attempt: number, options: RetryOptions = {}): number {
  const base = options.baseMs ?? 200;
  const max = options.maxMs ?? 5000;
  const retryAfter = err.detail?.retryAfterMs;
  if (typeof retryAfter === 'number') return Math.min(max, retryAfter);
  const ceiling = Math.min(max, base * 2 ** (attempt - 1));
  // Full jitter, but never less than half the ceiling so a retry storm still spreads out.
  const random = options.random ?? Math.random;
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or the retries run out. `attempt` must
 * throw {@link PodnetError}s (map raw errors first); anything else is rethrown at once.
 */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? DEFAULT_RETRIES;
  const clock = options.clock ?? systemClock;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const e = err as PodnetError;
      if (typeof e?.code !== 'string' || !isTransient(e) || n >= retries) throw err;
      const wait = backoffMs(e, n + 1, options);
      options.onRetry?.(e, n + 1, wait);
      await clock.sleep(wait);
    }
  }
}
