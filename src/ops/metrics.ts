/**
 * podnet's Prometheus metrics: one registry per process, the metric objects the bot and the
 * workers update, and a pull-style queue-depth gauge filled at scrape time.
 *
 * Label values must stay bounded: verbs, job names, queue names, API resources, Slack method
 * names and outcome words. Never a pod name, a channel or a user — each distinct value is a
 * new time series kept in memory for the life of the process.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { withTimeout } from './with-timeout.js';

/** BullMQ states reported by `podnet_queue_depth`. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/**
 * Anything that can report job counts per state; a BullMQ `Queue` fits as it is
 * (`queue.getJobCounts(...states)`), so this module does not import bullmq.
 */
export interface QueueDepthSource {
  readonly name: string;
  getJobCounts(...states: QueueState[]): Promise<Record<string, number>>;
}

/** Buckets for job durations: a check takes ~1-5 s, a sweep of 500 pods minutes. */
export const JOB_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

export interface PodnetMetrics {
  /** The registry every metric below is registered in; hand it to `startOpsServer`. */
  readonly registry: Registry;
  /** Slash commands and button actions handled, by verb (`check`, `logs`, …) and outcome (`queued`, `bad-input`, `denied`, `error`). */
  readonly commandsTotal: Counter<'verb' | 'outcome'>;
  /** Wall time of each BullMQ job, by job name (`check`, `logs`, `sweep`, `post`, …). */
  readonly jobDurationSeconds: Histogram<'job'>;
  /** Jobs per queue and state; filled from the registered sources at every scrape. */
  readonly queueDepth: Gauge<'queue' | 'state'>;
  /** Kubernetes API requests, by verb (`get`, `list`, `create`, `patch`), resource (`pods`, `pods/log`, …) and HTTP status (or `error` when none came back). */
  readonly kubeRequestsTotal: Counter<'verb' | 'resource' | 'status'>;
  /** Slack Web API calls, by method (`chat.postMessage`, …) and status (`ok`, `rate-limited`, `error`). */
  readonly slackCallsTotal: Counter<'method' | 'status'>;
  /** Times podnet waited out a Slack 429 Retry-After instead of dropping a message. */
  readonly slackRateLimitWaitsTotal: Counter;
  /** Adds a queue to the depth gauge; returns a function that removes it again. */
  watchQueue(source: QueueDepthSource): () => void;
}

export interface MetricsOptions {
  /** Registry to register into; a fresh one by default (tests and libraries must not share the global one). */
  registry?: Registry;
  /** Also collect Node's process metrics (CPU, memory, event-loop lag, GC). Default true. */
  defaultMetrics?: boolean;
  /** Static labels added to every series, e.g. `{ component: 'worker', cluster: 'prod-eu' }`. */
  defaultLabels?: Record<string, string>;
  /** Bound on each queue's `getJobCounts` at scrape time, so a slow Redis cannot hang a scrape. Default 2000 ms. */
  queueCountTimeoutMs?: number;
}

/** Creates the registry and all podnet metric objects. Call once per process. */
export function createMetrics(options: MetricsOptions = {}): PodnetMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const timeoutMs = options.queueCountTimeoutMs ?? 2000;
  const sources = new Set<QueueDepthSource>();
  const registers = [registry];

  const commandsTotal = new Counter({
    name: 'podnet_commands_total',
    help: 'Slash commands and button actions handled, by verb and outcome.',
    labelNames: ['verb', 'outcome'] as const,
    registers,
  });
  const jobDurationSeconds = new Histogram({
    name: 'podnet_job_duration_seconds',
    help: 'Wall time of each job, by job name.',
    labelNames: ['job'] as const,
    buckets: JOB_DURATION_BUCKETS,
    registers,
  });
  const queueDepth = new Gauge({
    name: 'podnet_queue_depth',
    help: 'Jobs in each queue by state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      // Reset first so a queue that was removed (or a state that emptied) does not linger.
      this.reset();
      await Promise.all(
        [...sources].map(async (source) => {
          let counts: Record<string, number>;
          try {
            counts = await withTimeout(source.getJobCounts(...QUEUE_STATES), timeoutMs);
          } catch {
            // A scrape must not fail because one queue could not be read; the gap in the
            // series (and readyz's redis check) tells the story.
            return;
          }
          for (const state of QUEUE_STATES) {
            this.set({ queue: source.name, state }, counts[state] ?? 0);
          }
        }),
      );
    },
  });
  const kubeRequestsTotal = new Counter({
    name: 'podnet_kube_requests_total',
    help: 'Kubernetes API requests, by verb, resource and HTTP status.',
    labelNames: ['verb', 'resource', 'status'] as const,
    registers,
  });
  const slackCallsTotal = new Counter({
    name: 'podnet_slack_calls_total',
    help: 'Slack Web API calls, by method and status.',
    labelNames: ['method', 'status'] as const,
    registers,
  });
  const slackRateLimitWaitsTotal = new Counter({
    name: 'podnet_slack_rate_limit_waits_total',
    help: 'Times a Slack call waited out a 429 Retry-After instead of dropping the message.',
    registers,
  });

  return {
    registry,
    commandsTotal,
    jobDurationSeconds,
    queueDepth,
    kubeRequestsTotal,
    slackCallsTotal,
    slackRateLimitWaitsTotal,
    watchQueue(source) {
      sources.add(source);
      return () => {
        sources.delete(source);
      };
    },
  };
}
