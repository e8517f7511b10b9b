/**
 * The bot's ops port: /healthz, /readyz (Redis answers, the default cluster's queue is usable),
 * /metrics (commands by verb and outcome, queue depth of every known cluster) and, when
 * configured, the queue dashboard. The bot is the one place that sees every cluster's queues,
 * so its `podnet_queue_depth` (label `component="bot"`) covers clusters whose worker is down —
 * the queue nobody drains is the one to alert on.
 */
import { Queue } from 'bullmq';
import type { RedisClient } from '../queue/redis.js';
import type { AuditEntry, AuditLog } from '../authz/audit.js';
import type { BoardConfig } from '../config.js';
import { silentLogger, type Logger } from '../logger.js';
import { QUEUE_KINDS, queueName } from '../queue/contracts.js';
import { listClusters } from '../queue/heartbeat.js';
import { NO_LIVE_WORKER } from '../render/clusters.js';
import { createQueueBoard, type QueueBoard } from './board.js';
import { startOpsServer, type OpsServer } from './health.js';
import { createMetrics, type PodnetMetrics } from './metrics.js';

export interface BotOpsOptions {
  /** The bot's Redis client (not closed by `close()`). */
  redis: RedisClient;
  prefix: string;
  defaultCluster: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Default `0.0.0.0`. */
  host?: string;
  /** The dashboard's login; absent = no dashboard (404 on its path). */
  board?: BoardConfig;
  /** Default: a fresh registry with `component="bot"`. */
  metrics?: PodnetMetrics;
  logger?: Logger;
  /** How often the known clusters (for queue depth and the dashboard) are re-read. Default 30 s. */
  refreshMs?: number;
  /** Bound on each readiness check. Default 2000 ms. */
  checkTimeoutMs?: number;
}

export interface BotOps {
  readonly url: string;
  readonly port: number;
  readonly metrics: PodnetMetrics;
  readonly board?: QueueBoard;
  /** Clusters whose queues are watched (the default one and every one with a heartbeat, live or last seen). */
  clusters(): string[];
  /** Re-reads the known clusters now. */
  refresh(): Promise<void>;
  /** /readyz answers 503 from now on (first thing on SIGTERM). */
  markShuttingDown(): void;
  close(): Promise<void>;
}

/** Starts the bot's ops server. */
export async function startBotOps(options: BotOpsOptions): Promise<BotOps> {
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? createMetrics({ defaultLabels: { component: 'bot' } });
  const queues = new Map<string, Queue[]>();
  const board = options.board ? createQueueBoard({ user: options.board.user, password: options.board.password }) : undefined;

  function watch(cluster: string): void {
    if (queues.has(cluster)) return;
    const qs = QUEUE_KINDS.map((kind) => {
      const q = new Queue(queueName(cluster, kind), { connection: options.redis, prefix: options.prefix });
      // Redis trouble is reported by /readyz and the connection's own handler; do not crash on it.
      q.on('error', (err) => logger.debug({ queue: q.name, err: err.message }, 'queue error'));
      metrics.watchQueue(q);
      return q;
    });
    queues.set(cluster, qs);
    board?.setQueues([...queues.values()].flat());
  }
  watch(options.defaultCluster);
  const defaultChecks = (queues.get(options.defaultCluster) as Queue[])[0] as Queue;

  async function refresh(): Promise<void> {
    const known = await listClusters(options.redis, options.prefix);
    for (const c of known) watch(c.cluster);
  }
  await refresh().catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not list the clusters yet; retrying in the background'));
  const timer = setInterval(() => {
    refresh().catch((err: unknown) => logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'cluster refresh failed'));
  }, options.refreshMs ?? 30_000);
  timer.unref();

  let ops: OpsServer;
  try {
    ops = await startOpsServer({
      port: options.port,
      ...(options.host !== undefined && { host: options.host }),
      ...(options.checkTimeoutMs !== undefined && { checkTimeoutMs: options.checkTimeoutMs }),
      metrics: metrics.registry,
      checks: {
        redis: async () => void (await options.redis.ping()),
        // The producer's path: BullMQ's scripts load and run against the default cluster's queue.
        queue: async () => void (await defaultChecks.getJobCounts('waiting')),
      },
      ...(board && { extraRoutes: (req, res) => board.handle(req, res) }),
    });
  } catch (err) {
    clearInterval(timer);
    await Promise.all([...queues.values()].flat().map((q) => q.close().catch(() => undefined)));
    throw err;
  }

  return {
    url: ops.url,
    port: ops.port,
    metrics,
    ...(board && { board }),
    clusters: () => [...queues.keys()].sort(),
    refresh,
    markShuttingDown: () => ops.markShuttingDown(),
    async close() {
      clearInterval(timer);
      await ops.close();
      await Promise.all([...queues.values()].flat().map((q) => q.close().catch(() => undefined)));
    },
  };
}

/** The `outcome` label of `podnet_commands_total` for an audit record. */
export function commandOutcome(entry: AuditEntry): string {
  if (entry.outcome === 'failed' && entry.reason?.startsWith(NO_LIVE_WORKER)) return 'no-worker';
  return entry.outcome;
}

/**
 * Counts every handled command in `podnet_commands_total{verb,outcome}` by watching the audit
 * log, which the Slack app writes exactly once per command or button press.
 */
export function countCommands(audit: AuditLog, metrics: PodnetMetrics): AuditLog {
  return {
    record(entry) {
      metrics.commandsTotal.inc({ verb: entry.verb ?? 'unknown', outcome: commandOutcome(entry) });
      audit.record(entry);
    },
    close: () => audit.close(),
  };
}
