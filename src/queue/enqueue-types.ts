/**
 * What a feature's enqueuer (src/watch/enqueue.ts, src/sweep/enqueue.ts,
 * src/incidents/enqueue.ts) shares with the producer (enqueue.ts): who asked, what came back,
 * and the producer's queues. A leaf: features import it, it imports no feature.
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { SlackTarget } from './contracts.js';
import type { RedisClient } from './redis.js';

/** Who asked, where to answer. */
export interface EnqueueContext {
  slack: SlackTarget;
  /** Unique per command; generated when absent. */
  requestId?: string;
  /** Which cluster's queues; default: the command's `--cluster`, else the producer's cluster. */
  cluster?: string;
  /** Clock, for tests. */
  now?: () => Date;
}

export interface EnqueueResult {
  jobId: string;
  /** True when an identical check was already queued or running; its results go to its thread. */
  deduplicated: boolean;
}

/** The producer's side a feature enqueuer may use. */
export interface ProducerEnv {
  redis: RedisClient;
  /** The queues' Redis prefix (feature state such as a watch lives beside them). */
  prefix: string;
  /** The producer's cluster when the command names none. */
  cluster: string;
  /** The `checks` queue of a cluster. */
  queueOf(cluster: string): Queue;
  /** Default job options (attempts, backoff, retention). */
  opts: JobsOptions;
  /**
   * Test-only: multiplies `watch --every` and `--for` (0.1 turns `--every 10s` into one second).
   * The grammar keeps user input at ≥ 10 s; end-to-end tests need faster watches.
   */
  watchIntervalScale?: number;
}

/** Queues the job(s) of one parsed command. */
export type Enqueuer<C> = (env: ProducerEnv, cmd: C, ctx: EnqueueContext) => Promise<EnqueueResult>;

/** A custom job id from free text: BullMQ forbids ':' in custom job ids, so ids keep to a safe alphabet. */
export const safeJobId = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 120);
