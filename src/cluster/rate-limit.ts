/**
 * Client-side rate limiting for Kubernetes API requests: a token bucket, so podnet never floods
 * an API server that is already having a bad day. Every request — get, list, log stream, exec
 * upgrade, and each retry — takes one token. A 429 from the server pauses the bucket
 * ({@link RateLimiter.pause}). This file holds the in-process bucket (the CLI, and a worker's
 * fallback); src/cluster/shared-budget.ts runs the same algorithm in Redis so that all workers of
 * one cluster share one budget.
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

/** What the cluster client asks of a limiter. */
export interface RateLimiter {
  /** Resolves when the caller may send one request. */
  take(): Promise<void>;
  /**
   * The API server said 429 (Retry-After `ms`): nobody sharing this budget sends anything for
   * `ms` (capped at {@link MAX_PAUSE_MS}), and sending then resumes at the sustained rate, without
   * a burst.
   */
  pause(ms: number): Promise<void>;
}

export interface RateLimiterOptions {
  /** Sustained requests per second. Default {@link DEFAULT_QPS}. */
  qps?: number;
  /** Bucket size: requests allowed at once after an idle spell. Default {@link DEFAULT_BURST}. */
  burst?: number;
  clock?: Clock;
}

/**
 * One budget per cluster, for all of its workers together: 50 requests/s sustained, bursts of
 * 100. client-go's default for one client is 5 qps / burst 10 (DefaultQPS, DefaultBurst in
 * k8s.io/client-go/rest/config.go); that paced back-to-back checks of one pod at 13 / 5 = 2.6 s
 * each when a check made 13 requests (19 / 5 = 3.8 s at today's 19). kube-scheduler, a single
 * control-plane client, defaults to --kube-api-qps=50 --kube-api-burst=100 (https://kubernetes.io/docs/reference/command-line-tools-reference/kube-scheduler/),
 * and kubectl gives its discovery client 50 qps / burst 300 (WithDiscoveryQPS(50.0),
 * WithDiscoveryBurst(300) in k8s.io/kubectl/pkg/cmd/cmd.go). A worker's check of the seed pod
 * makes 19 requests (13 for the evidence, 6 for the fix's owners and its server-side dry-run):
 * a burst of 100 lets five through at once and ten people's checks through within 2 s at the
 * start of an incident; 50/s then serves about 2.6 checks a second — for all workers of one
 * cluster together, not per worker (bench/budget.bench.ts measures both). The API server's own
 * protection (API Priority and Fairness) still answers 429 when it is overloaded, and podnet
 * then pauses the whole budget (see `pause`).
 */
export const DEFAULT_QPS = 50;
export const DEFAULT_BURST = 100;
/**
 * The longest pause a 429 imposes. API Priority and Fairness rejects what it cannot queue with
 * 429 (https://kubernetes.io/docs/concepts/cluster-administration/flow-control/) and a constant
 * `Retry-After: 1` (seconds; https://github.com/kubernetes/kubernetes/issues/117734); a larger
 * value from a proxy in front of the API server is capped so a check never stalls for minutes.
 */
export const MAX_PAUSE_MS = 5000;

/** The bucket's state: stored in a Redis hash by the shared budget, in memory otherwise. */
export interface BucketState {
  /** Tokens left; negative when callers hold reservations for tokens not yet refilled. */
  tokens: number;
  /** When tokens were last refilled (ms); in the future while paused by a 429. */
  last: number;
  /** Bumped by every pause: a reservation made before it is void. */
  epoch: number;
}

/** A reservation: send after `waitMs`, then confirm with `epoch` (a pause in between voids it). */
export interface Reservation {
  waitMs: number;
  epoch: number;
}

/** Checks qps and burst; the message names what is wrong and what would be right. */
export function validateBudget(qps: number, burst: number): void {
  if (!(qps > 0) || !Number.isFinite(qps)) throw new RangeError(`rate limit qps must be a positive number, got ${qps}`);
  if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`rate limit burst must be an integer >= 1, got ${burst}`);
}

/**
 * One step of the token bucket, in place; the Lua script in src/cluster/shared-budget.ts is this
 * function line for line. With `held` (the epoch of an earlier reservation the caller has waited
 * out) the token is granted at once unless a pause came in between. Otherwise a token is taken
 * now — the count may go negative, and the caller waits until its token is refilled — so
 * concurrent callers are served in arrival order at exactly `qps`.
 */
export function reserveToken(state: BucketState, now: number, qps: number, burst: number, held?: number): Reservation {
  if (held !== undefined && held === state.epoch) return { waitMs: 0, epoch: state.epoch };
  const elapsed = Math.max(0, now - state.last);
  state.tokens = Math.min(burst, state.tokens + (elapsed * qps) / 1000);
  state.last = Math.max(state.last, now);
  state.tokens -= 1;
  const debt = state.tokens < 0 ? (-state.tokens * 1000) / qps : 0;
  return { waitMs: Math.ceil(state.last - now + debt), epoch: state.epoch };
}

/**
 * A 429 pause, in place: no token before `now + ms`, then refills from zero; every outstanding
 * reservation is void (its holder reserves again). A pause ending before the current one is ignored.
 */
export function pauseBucket(state: BucketState, now: number, ms: number): void {
  const until = now + Math.min(Math.max(0, ms), MAX_PAUSE_MS);
  if (until <= state.last) return;
  state.tokens = 0;
  state.last = until;
  state.epoch += 1;
}

/**
 * Waits out reservations until one is granted: reserve, sleep, confirm (or reserve again when
 * a pause voided it). Shared by the in-process bucket and the Redis one; `first` is a
 * reservation already made.
 */
export async function takeWith(
  reserve: (held?: number) => Promise<Reservation> | Reservation,
  sleep: (ms: number) => Promise<void>,
  first?: Reservation,
): Promise<void> {
  let r = first ?? (await reserve());
  while (r.waitMs > 0) {
    await sleep(r.waitMs);
    r = await reserve(r.epoch);
  }
}

/** The in-process token bucket: the CLI's limiter, and a worker's when its Redis is away. */
export class TokenBucket implements RateLimiter {
  readonly qps: number;
  readonly burst: number;
  private readonly clock: Clock;
  private readonly state: BucketState;

  constructor(options: RateLimiterOptions = {}) {
    const qps = options.qps ?? DEFAULT_QPS;
    const burst = options.burst ?? DEFAULT_BURST;
    validateBudget(qps, burst);
    this.qps = qps;
    this.burst = burst;
    this.clock = options.clock ?? systemClock;
    this.state = { tokens: burst, last: this.clock.now(), epoch: 0 };
  }

  take(): Promise<void> {
    return takeWith((held) => this.reserve(held), (ms) => this.clock.sleep(ms));
  }

  /** Takes (or confirms, with `held`) a token now; see {@link reserveToken}. */
  reserve(held?: number): Reservation {
    return reserveToken(this.state, this.clock.now(), this.qps, this.burst, held);
  }

  async pause(ms: number): Promise<void> {
    pauseBucket(this.state, this.clock.now(), ms);
  }
}
