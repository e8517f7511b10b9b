/**
 * `podnet bot` — the Slack app. Reads the environment (src/config.ts), loads the channel
 * policy, opens the audit log and the queue producer, and serves Slack until SIGTERM/SIGINT;
 * then it stops taking requests, lets in-flight acks finish and closes its connections.
 */
import { watchRedisState } from '../queue/redis-state.js';
import { createAuditLog } from '../authz/audit.js';
import { DENY_ALL, loadPolicy } from '../authz/policy.js';
import { describeConfig, loadConfig } from '../config.js';
import { describeError } from '../errors.js';
import { createLogger } from '../logger.js';
import { installProcessHandlers } from '../ops/process-handlers.js';
import { createRedisClient } from '../queue/redis.js';
import { createBot } from '../compose/bot.js';
import { countCommands, startBotOps } from '../ops/bot-ops.js';

const USAGE = `Usage: podnet bot

Runs the Slack app (Bolt). Configuration comes from the environment:
  SLACK_BOT_TOKEN        bot token (xoxb-…), required
  SLACK_SIGNING_SECRET   verifies Slack's requests (HTTP mode), required unless SLACK_APP_TOKEN is set
  SLACK_APP_TOKEN        app-level token (xapp-…): use Socket Mode instead of HTTP
  SLACK_API_URL          Web API base override (e.g. a local stand-in)
  PORT                   HTTP port (default 3000); endpoints /slack/events, /slack/commands, /slack/actions, /healthz
  REDIS_URL              queue Redis (default redis://127.0.0.1:6379; rediss:// for TLS, user:password@ for ACL)
  PODNET_REDIS_SENTINELS     host:port,… of the sentinels, with PODNET_REDIS_SENTINEL_NAME (instead of REDIS_URL)
  PODNET_REDIS_CLUSTER_NODES host:port,… of Redis Cluster nodes (instead of REDIS_URL)
  PODNET_POLICY_FILE     channel → namespaces policy (YAML); without it every channel is denied
  PODNET_AUDIT_LOG       audit log file (JSON lines); default stdout
  PODNET_DEFAULT_CLUSTER cluster for channels whose policy names none (default "default")
  PODNET_QUEUE_PREFIX    Redis key prefix of the queues (default "podnet")
  PODNET_OPS_PORT        /healthz, /readyz, /metrics and the queue dashboard (default 9464; 0 = off)
  PODNET_BOARD_USER      with PODNET_BOARD_PASSWORD: serve the queue dashboard at /admin/queues
  PODNET_BOARD_PASSWORD    on the ops port, behind HTTP basic auth (both or neither)
  LOG_LEVEL              fatal|error|warn|info|debug|trace (default info)`;

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (argv.length > 0) {
    console.error(`podnet bot: unexpected argument "${argv[0]}"; it is configured through the environment.\n\n${USAGE}`);
    return 2;
  }
  const config = loadConfig(process.env, { role: 'bot' });
  const logger = createLogger({ level: config.logLevel, name: 'podnet-bot' });
  installProcessHandlers(logger);
  logger.info({ config: describeConfig(config) }, 'starting podnet bot');

  let policy = DENY_ALL;
  if (config.policyFile) {
    policy = await loadPolicy(config.policyFile);
    logger.info({ channels: policy.channels.length, default: policy.default }, 'policy loaded');
  } else {
    logger.warn('PODNET_POLICY_FILE is not set: every channel is denied (help still answers); see deploy/ for an example policy');
  }

  const audit = createAuditLog({
    ...(config.auditLog !== undefined && { path: config.auditLog }),
    onError: (err) => logger.error({ err: err.message }, 'audit log write failed'),
  });
  // Fail a command fast when Redis is down rather than holding it in memory: the user is told
  // it was not queued, and nothing is claimed as accepted that could be lost.
  const redis = createRedisClient(config.redis, { maxRetriesPerRequest: 2 });
  // One log line per Redis state change (src/queue/redis-state.ts), not one per reconnect attempt.
  const redisState = watchRedisState(redis, logger, { name: 'bot' });
  redis.on('error', (err) => {
    if (!redisState.isConnectionError(err)) logger.warn({ err: err.message }, 'redis error');
  });

  // Ops port first: a port clash fails the start before Slack traffic is accepted.
  const ops = config.opsPort === 0
    ? undefined
    : await startBotOps({ redis, prefix: config.queuePrefix, defaultCluster: config.defaultCluster, port: config.opsPort, logger, ...(config.board && { board: config.board }) });
  // Sentinel: a command counts as queued once a replica has its job too (see ProducerOptions.replicaAcks).
  const producer = config.redis.mode === 'sentinel' ? { replicaAcks: { replicas: 1, timeoutMs: 500 } } : undefined;
  const bot = createBot({ config, redis, policy, ...(producer && { producer }), audit: ops ? countCommands(audit, ops.metrics) : audit, logger });
  const { port } = await bot.start(config.port);
  logger.info({ port, ops: ops?.url, board: ops?.board ? `${ops.url}${ops.board.basePath}` : 'off', socketMode: config.slack.socketMode }, config.slack.socketMode ? 'connected to Slack (Socket Mode)' : `listening on :${port}`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: no new requests');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

  ops?.markShuttingDown();
  const steps: [string, () => Promise<unknown>][] = [
    ['bot', () => bot.close()],
    ['ops', async () => ops?.close()],
    ['redis', () => redis.quit()],
    ['audit', () => audit.close()],
  ];
  let code = 0;
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      code = 1;
      logger.error({ err: describeError(err), step: name }, 'shutdown step failed');
    }
  }
  logger.info('stopped');
  return code;
}
