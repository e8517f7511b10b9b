/**
 * The whole stack for incident and runbook tests: simulator (seed incident), Slack stand-in,
 * real Redis with a fresh prefix, real workers (runbooks from a folder), the real Bolt app
 * with the incident hooks, and helpers to send signed slash commands, `@podnet` mentions and
 * button presses as Slack would.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Job, Queue } from 'bullmq';
import { loadRedisSettings, queuePrefixFor, type RedisSettings } from '../../src/config.js';
import { memoryAuditLog, type AuditLog } from '../../src/authz/audit.js';
import { parsePolicy } from '../../src/authz/policy.js';
import { createClusterAccess } from '../../src/cluster/client.js';
import { createIncidentHooks, type IncidentHooks } from '../../src/incidents/slack-hooks.js';
import { silentLogger } from '../../src/logger.js';
import { removePrefix } from '../../src/queue/cleanup.js';
import { createRedisClient, type RedisClient } from '../../src/queue/redis.js';
import { queueName } from '../../src/queue/contracts.js';
import { defaultDeps } from '../../src/queue/default-deps.js';
import { createProducer, type Producer } from '../../src/compose/producer.js';
import { startWorkers, type RunningWorkers } from '../../src/compose/workers.js';
import { startSimulator, type RunningSimulator } from '../../src/sim/server.js';
import { createSlackApp, type SlackApp } from '../../src/slack/app.js';
import { SlackPoster } from '../../src/slack/poster.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/slack/stand-in.js';
import { blockActionBody, postSigned, slashCommandBody } from '../../src/slack/testing.js';
import { waitFor } from './e2e-stack.js';

export { ackText, jobOf, waitFor } from './e2e-stack.js';

/** Alice may run commands; Bob (SRE) may also take intrusive actions. */
export const USERS = { alice: 'U0ALICE001', bob: 'U0BOBSRE01' } as const;
export const CHANNELS = ['C0INCIDENT', 'C0RUNBOOK1', 'C0RUNBOOK2'] as const;

export interface IncidentStack {
  sim: RunningSimulator;
  slack: SlackStandIn;
  redis: RedisClient;
  prefix: string;
  cluster: string;
  /** The standalone Redis URL (absent on Sentinel or Cluster; see `redisEnv`). */
  redisUrl: string;
  /** The environment that points `podnet` commands at this Redis. */
  redisEnv: Record<string, string>;
  hooks: IncidentHooks;
  audit: AuditLog;
  checks: Queue;
  slash(text: string, channel: string, user?: string): ReturnType<typeof postSigned>;
  /** An `app_mention` event (`<@bot> TEXT`) in `threadTs`, as Slack's Events API sends it. */
  mention(text: string, channel: string, threadTs?: string, user?: string): ReturnType<typeof postSigned>;
  /** A button press on the message `messageTs` (in `threadTs`); answers go to `responseUrl(id)`. */
  press(actionId: string, value: string, channel: string, user: string, messageTs: string, threadTs: string | undefined, responseId: string): ReturnType<typeof postSigned>;
  finished(jobId: string, timeoutMs?: number): Promise<Job>;
  close(): Promise<void>;
}

export async function startIncidentStack(options: { runbooksDir?: string; redis?: RedisSettings; redisEnv?: Record<string, string> } = {}): Promise<IncidentStack> {
  const cluster = 'e2e';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const settings = options.redis ?? loadRedisSettings({ REDIS_URL: redisUrl }, []);
  const prefix = queuePrefixFor(`podnet-inc-${randomUUID().slice(0, 8)}`, settings);
  const redis = createRedisClient(settings);
  const redisEnv = options.redisEnv ?? { REDIS_URL: redisUrl };
  const sim = await startSimulator({ scenario: 'scenarios/seed-incident.yaml', port: 0 });
  const slack = await startSlackStandIn();
  const clusterAccess = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), qps: 50, burst: 100 });
  const poster = new SlackPoster({ token: 'xoxb-e2e', slackApiUrl: slack.url, redis, keyPrefix: `${prefix}:posted:`, minRetryDelayMs: 20, maxRetryDelayMs: 200 });
  const workers: RunningWorkers = await startWorkers({
    connection: redis, cluster, clusterAccess, poster, logger: silentLogger, deps: defaultDeps(), prefix, heartbeat: false,
    runbooksDir: options.runbooksDir ?? 'runbooks',
  });
  const producer: Producer = createProducer({ connection: redis, prefix, cluster, dedupWindowMs: 0 });
  const checks = new Queue(queueName(cluster, 'checks'), { connection: redis, prefix });
  const hooks = createIncidentHooks({ redis, prefix });
  const audit = memoryAuditLog();
  const signingSecret = randomBytes(32).toString('hex');
  const app: SlackApp = createSlackApp({
    config: { slack: { botToken: 'xoxb-e2e', signingSecret, apiUrl: slack.url, socketMode: false }, defaultCluster: cluster },
    policy: parsePolicy({
      default: 'deny',
      channels: CHANNELS.map((id) => ({ id, namespaces: ['financial-ml'], intrusive: { users: [USERS.bob] } })),
    }),
    audit,
    enqueue: (cmd, ctx) =>
      producer.enqueueCommand(cmd, { slack: { channel: ctx.channel, user: ctx.user, responseUrl: ctx.responseUrl, ...(ctx.threadTs !== undefined && { threadTs: ctx.threadTs }) } }),
    incidents: hooks,
    botId: 'B0PODNET',
    botUserId: 'U0PODNETBOT',
  });
  const { port } = await app.start(0);
  const url = `http://127.0.0.1:${port}/slack/events`;
  return {
    sim, slack, redis, prefix, cluster, redisUrl, redisEnv, hooks, audit, checks,
    slash: (text, channel, user = USERS.alice) => postSigned(url, slashCommandBody({ text, channel, user, responseUrl: slack.responseUrl(channel) }), signingSecret),
    mention(text, channel, threadTs, user = USERS.alice) {
      const ts = `${Math.floor(Date.now() / 1000)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
      const body = JSON.stringify({
        token: 'deprecated', team_id: 'T0STANDIN', api_app_id: 'A0PODNET', type: 'event_callback',
        event_id: `Ev${randomUUID().slice(0, 8)}`, event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_mention', user, text: `<@U0PODNETBOT> ${text}`, ts, channel, event_ts: ts, ...(threadTs !== undefined && { thread_ts: threadTs }) },
      });
      return postSigned(url, body, signingSecret, { contentType: 'application/json' });
    },
    press: (actionId, value, channel, user, messageTs, threadTs, responseId) =>
      postSigned(url, blockActionBody({ actionId, value, channel, user, messageTs, ...(threadTs !== undefined && { threadTs }), responseUrl: slack.responseUrl(responseId) }), signingSecret),
    finished: (jobId, timeoutMs = 30_000) =>
      waitFor(async () => {
        const job = await Job.fromId(checks, jobId);
        return job?.finishedOn ? job : undefined;
      }, timeoutMs, `job ${jobId} to finish`),
    async close() {
      await app.stop();
      await hooks.close();
      await checks.close();
      await workers.close();
      await producer.close();
      await removePrefix(redis, prefix, [cluster]);
      await redis.quit();
      await slack.close();
      await sim.close();
    },
  };
}

