/**
 * `podnet worker [--cluster NAME] [--concurrency N]`: runs the BullMQ workers of one cluster.
 * Deploy one per cluster, with in-cluster credentials; it needs no inbound access — it pulls
 * jobs from Redis and posts to Slack.
 *
 * Environment: REDIS_URL (or PODNET_REDIS_SENTINELS / PODNET_REDIS_CLUSTER_NODES), SLACK_BOT_TOKEN, SLACK_API_URL (a Slack API stand-in), KUBECONFIG
 * (else in-cluster credentials when running in a pod), KUBE_CONTEXT, PODNET_CLUSTER (default
 * `default`), PODNET_QUEUE_PREFIX (default `podnet`), PODNET_OPS_PORT or OPS_PORT (health + metrics, default 9464;
 * 0 = off), LOG_LEVEL.
 */
import { Queue } from 'bullmq';
import { createClusterAccess } from '../cluster/client.js';
import { createSharedBudget } from '../cluster/shared-budget.js';
import { BadInputError, PodnetError } from '../errors.js';
import { createLogger } from '../logger.js';
import { installProcessHandlers } from '../ops/process-handlers.js';
import { createMetrics } from '../ops/metrics.js';
import { startOpsServer } from '../ops/health.js';
import { describeRedis, loadConfig } from '../config.js';
import { queueName } from '../queue/contracts.js';
import { defaultDeps } from '../queue/default-deps.js';
import { connectRedis } from '../queue/redis.js';
import { startWorkers } from '../compose/workers.js';
import { SlackPoster } from '../slack/poster.js';
import { EXIT } from './exit.js';
import { parseFlags } from './flags.js';

const USAGE = `Usage: podnet worker [--cluster NAME] [--concurrency N]

Runs the workers that probe one cluster and post results to Slack.
  --cluster NAME     the cluster whose queues to serve (default: $PODNET_CLUSTER, else "default")
  --concurrency N    jobs at once per queue (default 4)
Environment: REDIS_URL (or PODNET_REDIS_SENTINELS + PODNET_REDIS_SENTINEL_NAME, or
  PODNET_REDIS_CLUSTER_NODES; see the README's Settings), SLACK_BOT_TOKEN, SLACK_API_URL, KUBECONFIG, KUBE_CONTEXT, OPS_PORT,
  PODNET_RUNBOOKS_DIR (runbook YAML folder, default ./runbooks).`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    {
      args: argv,
      options: { cluster: { type: 'string' }, concurrency: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    },
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const env = process.env;
  const cluster = values.cluster ?? env.PODNET_CLUSTER ?? 'default';
  try {
    queueName(cluster, 'checks');
  } catch (err) {
    throw new BadInputError(`--cluster: ${(err as Error).message}`);
  }
  const concurrency = Number(values.concurrency ?? env.WORKER_CONCURRENCY ?? 4);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new BadInputError(`--concurrency must be a whole number from 1 to 64, not "${values.concurrency}".`);
  }
  const config = loadConfig(env, { role: 'worker' });
  // PODNET_OPS_PORT (or OPS_PORT), validated by loadConfig; 0 turns the ops server off.
  const opsPort = config.opsPort;
  const prefix = config.queuePrefix;
  const logger = createLogger({ name: 'podnet-worker', level: config.logLevel });
  installProcessHandlers(logger);

  let redis;
  try {
    redis = await connectRedis({ redis: config.redis });
  } catch (err) {
    if (err instanceof PodnetError && err.code === 'unavailable') {
      console.error(`podnet worker: ${err.message}`);
      return EXIT.unreachable;
    }
    throw err;
  }

  const metrics = createMetrics({ defaultLabels: { component: 'worker', cluster } });
  const inCluster = !env.KUBECONFIG && Boolean(env.KUBERNETES_SERVICE_HOST);
  const clusterAccess = createClusterAccess({
    ...(inCluster ? { inCluster: true } : env.KUBECONFIG ? { kubeconfigPath: env.KUBECONFIG } : {}),
    ...(env.KUBE_CONTEXT && { context: env.KUBE_CONTEXT }),
    logger,
    // One API budget for all workers of this cluster, kept in Redis (PODNET_KUBE_QPS/BURST).
    limiter: createSharedBudget({ redis, prefix, cluster, qps: config.kube.qps, burst: config.kube.burst, logger }),
    onRequest: (r) => metrics.kubeRequestsTotal.inc(r),
  });
  const poster = new SlackPoster({
    token: config.slack.botToken,
    redis,
    logger,
    keyPrefix: `${prefix}:posted:`,
    ...(config.slack.apiUrl !== undefined && { slackApiUrl: config.slack.apiUrl }),
    onCall: (c) => metrics.slackCallsTotal.inc(c),
    onRateLimited: () => metrics.slackRateLimitWaitsTotal.inc(),
  });

  const running = await startWorkers({ connection: redis, cluster, clusterAccess, poster, logger, deps: defaultDeps(), prefix, concurrency, runbooksDir: config.runbooksDir });
  for (const w of running.workers) {
    const observe = (job: { name: string; processedOn?: number; finishedOn?: number } | undefined): void => {
      if (job?.processedOn && job.finishedOn) metrics.jobDurationSeconds.observe({ job: job.name }, (job.finishedOn - job.processedOn) / 1000);
    };
    w.on('completed', observe);
    w.on('failed', observe);
  }
  const depthQueues = running.workers.map((w) => new Queue(w.name, { connection: redis, prefix }));
  for (const q of depthQueues) {
    q.on('error', () => undefined); // the workers' 'error' handlers log connection trouble once
    metrics.watchQueue(q);
  }
  const ops = opsPort === 0 ? undefined : await startOpsServer({
    port: opsPort,
    // The Kubernetes check goes through the client's rate limiter like any request (one token per probe).
    checks: { redis: async () => void (await redis.ping()), kubernetes: async () => void (await clusterAccess.version()) },
    metrics: metrics.registry,
  });
  logger.info({ cluster, prefix, redis: describeRedis(config.redis), concurrency, ops: ops?.url, inCluster }, 'podnet worker ready');

  // SIGTERM (Kubernetes, docker stop): stop taking jobs, let the running ones finish, then exit.
  // A second signal exits at once; BullMQ's stalled-job check hands those jobs to another worker.
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down: finishing running jobs');
      process.once('SIGTERM', () => process.exit(EXIT.failure));
      process.once('SIGINT', () => process.exit(EXIT.failure));
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  ops?.markShuttingDown();
  await running.close();
  await ops?.close();
  await Promise.all(depthQueues.map((q) => q.close()));
  await redis.quit().catch(() => redis.disconnect());
  logger.info('worker stopped');
  return EXIT.ok;
}
