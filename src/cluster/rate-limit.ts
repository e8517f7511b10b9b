/**
 * Client-side rate limiting for Kubernetes API requests: a token bucket with client-go's
 * defaults (5 requests/s sustained, bursts of 10), so podnet never floods an API server that
 * is already having a bad day. Every request — get, list, log stream, exec upgrade, and each
 * retry — takes one token.
 */

/** Time source, injectable so tests run without waiting. */
export interface Clock {
  /** Milliseconds, monotonic enough for rate limiting. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RateLimiterOptions {
  /** Sustained requests per second. Default 5 (client-go's default QPS). */
  qps?: number;
  /** Bucket size: requests allowed at once after an idle spell. Default 10 (client-go's Burst). */
  burst?: number;
  clock?: Clock;
}

export const DEFAULT_QPS = 5;
export const DEFAULT_BURST = 10;

/**
 * A token bucket that hands out reservations in arrival order. A caller that finds the bucket
 * empty still takes its token (the count goes negative) and sleeps until that token would have
 * been refilled; that keeps concurrent callers fair and the rate exact without a queue.
 */
export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(options: RateLimiterOptions = {}) {
    const qps = options.qps ?? DEFAULT_QPS;
    const burst = options.burst ?? DEFAULT_BURST;
    if (!(qps > 0) || !Number.isFinite(qps)) throw new RangeError(`rate limit qps must be a positive number, got ${qps}`);
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`rate limit burst must be an integer >= 1, got ${burst}`);
    this.qps = qps;
    this.burst = burst;
    this.clock = options.clock ?? systemClock;
    this.tokens = burst;
    this.last = this.clock.now();
  }

  /** Resolves when the caller may send one request. */
  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.clock.sleep(wait);
  }

  /** Takes a token now and returns how long (ms) the caller must wait before using it. */
  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }
}
