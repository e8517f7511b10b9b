/**
 * The whole podnet stack in one process for end-to-end tests: the simulator on a scenario,
 * the Slack stand-in, real Redis (a fresh queue prefix), real client-node, the real probes,
 * analysis and renderers, podnet's workers and SlackPoster. Nothing mocked.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from '@jest/globals';
import { Job, Queue } from 'bullmq';
import { loadRedisSettings, queuePrefixFor, type RedisSettings } from '../../src/config.js';
import { createClusterAccess } from '../../src/cluster/client.js';
import { silentLogger } from '../../src/logger.js';
import { queueName } from '../../src/queue/contracts.js';
import { removePrefix } from '../../src/queue/cleanup.js';
import { createRedisClient, type RedisClient } from '../../src/queue/redis.js';
import { defaultDeps } from '../../src/queue/default-deps.js';
import type { Producer, ProducerOptions } from '../../src/queue/enqueue.js';
import { startWorkers, type RunningWorkers } from '../../src/compose/workers.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/sim/server.js';
import { collectEvidence, type CheckRequest } from '../../src/probes/collect.js';
import type { ClusterAccess } from '../../src/cluster/types.js';
import { SlackPoster } from '../../src/slack/poster.js';
import { startSlackStandIn, type SlackStandIn } from '../../src/slack/stand-in.js';
import type { SlackApp } from '../../src/slack/app.js';
import { createBot } from '../../src/compose/bot.js';
import { postSigned, slashCommandBody } from '../../src/slack/testing.js';
import { memoryAuditLog } from '../../src/authz/audit.js';
import { parsePolicy } from '../../src/authz/policy.js';

export interface E2EStack {
  sim: RunningSimulator;
  slack: SlackStandIn;
  redis: RedisClient;
  prefix: string;
  cluster: string;
  producer: Producer;
  workers: RunningWorkers;
  poster: SlackPoster;
  /** The real Bolt app (HTTP receiver) wired to the producer. */
  app: SlackApp;
  /** The Bolt app's request URL. */
  botUrl: string;
  /** This cluster's `checks` queue. */
  checks: Queue;
  /** Signs requests to the Bolt app (button presses: postSigned(botUrl, blockActionBody(…), signingSecret)). */
  signingSecret: string;
  /** Sends a signed `/podnet TEXT` from `channel` to the Bolt app, as Slack would. */
  slash(text: string, channel: string): ReturnType<typeof postSigned>;
  /** Closes the workers and starts new ones on the same queues (a redeploy mid-job). */
  restartWorkers(): Promise<void>;
  /** Resolves with the check (or logs) job once it has finished. */
  finished(jobId: string, timeoutMs?: number): Promise<Job>;
  close(): Promise<void>;
}

export interface E2EStackOptions {
  /** A scenario file or object (e.g. with a `timeline`). Default the seed incident. */
  scenario?: SimulatorOptions['scenario'];
  cluster?: string;
  /** The simulator's timeline clock (tests that drive it). */
  elapsedMs?: () => number;
  /** The cluster's clock as the workers should see it (evidence.clusterNow); default the wall clock. */
  clusterNow?: () => Date;
  /** More channels the policy allows (each with its namespaces, and who may take intrusive actions there). */
  channels?: { id: string; namespaces: string[]; intrusive?: { users: string[] } }[];
  /** How the workers verify an applied fix (ProcessorDeps.fixVerify). */
  fixVerify?: { settleMs: number; intervalMs: number; deadlineMs: number };
  /** Producer option: scales watch --every/--for (test-only). */
  watchIntervalScale?: number;
  /** Which Redis: default the environment's (REDIS_URL, else 127.0.0.1:6379). */
  redis?: RedisSettings;
  /**
   * The bot's own Redis client, as `podnet bot` has (src/bin/bot.ts: a command fails fast while
   * Redis is away). Default: the bot shares the workers' client.
   */
  botRedis?: { maxRetriesPerRequest: number };
  /** More producer settings (e.g. `replicaAcks`). */
  producer?: Omit<ProducerOptions, 'connection' | 'prefix' | 'cluster'>;
  /** Cluster client rate limit. Default qps 50, burst 100. */
  qps?: number;
  /** How the workers' SlackPoster waits (Retry-After, backoff): SlackPosterOptions.sleep. Default a real setTimeout. */
  slackSleep?: (ms: number) => Promise<void>;
  burst?: number;
}

export async function startE2EStack(options: E2EStackOptions = {}): Promise<E2EStack> {
  const cluster = options.cluster ?? 'e2e';
  const settings = options.redis ?? loadRedisSettings({ REDIS_URL: process.env.REDIS_URL }, []);
  const prefix = queuePrefixFor(`podnet-e2e-${randomUUID().slice(0, 8)}`, settings);
  const redis = createRedisClient(settings);
  const sim = await startSimulator({ scenario: options.scenario ?? 'scenarios/seed-incident.yaml', port: 0, ...(options.elapsedMs && { elapsedMs: options.elapsedMs }) });
  const slack = await startSlackStandIn();
  const clusterAccess = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), qps: options.qps ?? 50, burst: options.burst ?? 100 });
  // The worker's real retry settings: a 429 is waited out for exactly its Retry-After (no
  // backoff on top), so a storm test takes as long as Slack asks and no longer.
  const poster = new SlackPoster({ token: 'xoxb-e2e', slackApiUrl: slack.url, redis, keyPrefix: `${prefix}:posted:`, ...(options.slackSleep && { sleep: options.slackSleep }) });
  const clusterNow = options.clusterNow;
  const base = { ...defaultDeps(), ...(options.fixVerify && { fixVerify: options.fixVerify }) };
  const deps = clusterNow
    ? { ...base, collectEvidence: (c: ClusterAccess, r: CheckRequest, o: { skipLogs: boolean }) => collectEvidence(c, r, { ...o, now: clusterNow }) }
    : base;
  const start = () => startWorkers({ connection: redis, cluster, clusterAccess, poster, logger: silentLogger, deps, prefix });
  let workers = await start();
  const signingSecret = randomBytes(32).toString('hex');
  const botRedis = options.botRedis ? createRedisClient(settings, options.botRedis) : redis;
  // The bot answers the user when a command cannot be queued; the client's error events are noise here.
  if (botRedis !== redis) botRedis.on('error', () => undefined);
  const bot = createBot({
    config: { slack: { botToken: 'xoxb-e2e', signingSecret, apiUrl: slack.url, socketMode: false }, defaultCluster: cluster, queuePrefix: prefix },
    redis: botRedis,
    policy: parsePolicy({ default: 'deny', channels: [{ id: 'C0MLONCALL', namespaces: ['financial-ml'] }, { id: 'C0STORM01', namespaces: ['financial-ml'] }, ...(options.channels ?? [])] }),
    audit: memoryAuditLog(),
    producer: { ...options.producer, ...(options.watchIntervalScale !== undefined && { watchIntervalScale: options.watchIntervalScale }) },
    app: { botId: 'B0PODNET', botUserId: 'U0PODNETBOT' },
  });
  const { producer, slack: app } = bot;
  const checks = new Queue(queueName(cluster, 'checks'), { connection: redis, prefix });
  checks.on('error', () => undefined);
  const { port } = await app.start(0);
  return {
    sim, slack, redis, prefix, cluster, producer, poster, app, checks, signingSecret,
    get workers() {
      return workers;
    },
    async restartWorkers() {
      await workers.close();
      workers = await start();
    },
    botUrl: `http://127.0.0.1:${port}/slack/events`,
    slash: (text, channel) => postSigned(`http://127.0.0.1:${port}/slack/events`, slashCommandBody({ text, channel, responseUrl: slack.responseUrl(channel) }), signingSecret),
    finished: (jobId, timeoutMs = 20_000) =>
      waitFor(async () => {
        const job = await Job.fromId(checks, jobId);
        return job?.finishedOn ? job : undefined;
      }, timeoutMs, `job ${jobId} to finish`),
    async close() {
      await bot.close();
      if (botRedis !== redis) await botRedis.quit();
      await checks.close();
      await workers.close();
      await removePrefix(redis, prefix, [cluster]);
      await redis.quit();
      await slack.close();
      await sim.close();
    },
  };
}

/** The text of a slash command's acknowledgement, after checking that Slack got a 200. */
export function ackText(response: { status: number; json?: unknown }): string {
  expect(response.status).toBe(200);
  return (response.json as { text?: string } | undefined)?.text ?? '';
}

/** The job id an acknowledgement names (`job \`ID\``); throws with the text when there is none. */
export function jobOf(text: string): string {
  const id = /job `([^`]+)`/.exec(text)?.[1];
  if (!id) throw new Error(`no job in: ${text}`);
  return id;
}

/** Polls `probe` until it returns a value (not undefined) or the timeout passes. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
