/**
 * The bot's composition: the Bolt app wired to the queue producer, the cluster gate (no
 * command for a cluster without a live worker) and the incident hooks (commands in a channel
 * with an open incident answer in its thread). `podnet bot`, the demo, the end-to-end tests
 * and the ack benchmark all build the bot here, so what is measured and tested is what runs.
 */
import type { RedisClient } from '../queue/redis.js';
import type { AuditLog } from '../authz/audit.js';
import type { Policy } from '../authz/policy.js';
import type { Config } from '../config.js';
import { describeError } from '../errors.js';
import { createIncidentHooks, type IncidentHooks } from '../incidents/slack-hooks.js';
import type { Logger } from '../logger.js';
import { withTimeout } from '../ops/with-timeout.js';
import { createProducer, type Producer, type ProducerOptions } from './producer.js';
import { createClusterGate, podnetVersion, type ClusterGate } from '../queue/heartbeat.js';
import { clustersText } from '../render/clusters.js';
import { withClusterGate } from '../queue/routing.js';
import { createSlackApp, type SlackApp, type SlackAppOptions } from '../slack/app.js';
import { createEventDeduper } from '../slack/request-guards.js';
import { authorize } from '../authz/policy.js';
import { commandNamespace } from '../commands/grammar.js';
import { createFixButtons, type FixButtons } from '../slack/fix-buttons.js';

export interface BotOptions {
  config: Pick<Config, 'slack' | 'defaultCluster' | 'queuePrefix'>;
  /** The bot's Redis connection (shared by producer, gate and incident hooks; not closed by `close()`). */
  redis: RedisClient;
  policy: Policy;
  audit: AuditLog;
  logger?: Logger;
  /** Producer settings beyond the connection, prefix and default cluster (tests tune the windows). */
  producer?: Omit<ProducerOptions, 'connection' | 'prefix' | 'cluster'>;
  /** Refuse commands for a cluster with no live worker. Default on; `{ cacheMs }` tunes the cache. */
  clusterGate?: boolean | { cacheMs?: number };
  /** Route commands into open incidents and answer `@podnet` mentions. Default on. */
  incidents?: boolean;
  /** Passed through to the Bolt app (bot ids for tests, ack budget, receiver…). */
  app?: Omit<SlackAppOptions, 'config' | 'policy' | 'audit' | 'enqueue' | 'logger' | 'incidents' | 'listClusters' | 'clusters'>;
}

export interface Bot {
  slack: SlackApp;
  producer: Producer;
  gate?: ClusterGate;
  incidents?: IncidentHooks;
  fixButtons: FixButtons;
  start(port?: number): Promise<{ port: number }>;
  /** Stops taking requests, then closes producer and hooks (the Redis connection stays open). */
  close(): Promise<void>;
}

export function createBot(options: BotOptions): Bot {
  const { config, redis } = options;
  const prefix = config.queuePrefix;
  const producer = createProducer({ ...options.producer, connection: redis, prefix, cluster: config.defaultCluster });
  const gateOption = options.clusterGate ?? true;
  const gate = gateOption === false ? undefined : createClusterGate({ redis, prefix, ...(typeof gateOption === 'object' && gateOption) });
  const incidents = options.incidents === false ? undefined : createIncidentHooks({ redis, prefix });

  const fixButtons = createFixButtons({ redis, prefix, policy: options.policy, defaultCluster: config.defaultCluster });
  // Whether the asker may take intrusive actions here: the check's summary then offers *Apply fix*.
  const mayIntrude = (cmd: Parameters<SlackAppOptions['enqueue']>[0], ctx: Parameters<SlackAppOptions['enqueue']>[1]) =>
    cmd.verb === 'check' && authorize(options.policy, { channel: ctx.channel, ...(ctx.channelName !== undefined && { channelName: ctx.channelName }), user: ctx.user, verb: 'check', ...(commandNamespace(cmd) !== undefined && { namespace: commandNamespace(cmd) }), intrusive: true }).allowed;
  const enqueue: SlackAppOptions['enqueue'] = (cmd, ctx) =>
    producer.enqueueCommand(cmd, {
      slack: {
        channel: ctx.channel,
        user: ctx.user,
        ...(mayIntrude(cmd, ctx) && { mayIntrude: true }),
        ...(ctx.responseUrl !== undefined && { responseUrl: ctx.responseUrl }),
        ...(ctx.threadTs !== undefined && { threadTs: ctx.threadTs }),
      },
    });
  const slack = createSlackApp({
    ...options.app,
    config,
    policy: options.policy,
    audit: options.audit,
    ...(options.logger && { logger: options.logger }),
    ...(incidents && { incidents }),
    fixButtons,
    eventDeduper: createEventDeduper({ redis, prefix, ...(options.logger && { logger: options.logger }) }),
    ...(gate && { listClusters: async () => clustersText(await withTimeout(gate.list(), 1500), config.defaultCluster) }),
    ...(gate && { clusters: () => withTimeout(gate.list(), 1500) }),
    version: podnetVersion(),
    enqueue: gate ? withClusterGate(enqueue, gate) : enqueue,
  });

  return {
    slack,
    producer,
    ...(gate && { gate }),
    ...(incidents && { incidents }),
    fixButtons,
    start: (port) => slack.start(port),
    async close() {
      const errors: string[] = [];
      for (const step of [() => slack.stop(), () => producer.close(), async () => incidents?.close(), () => fixButtons.close()]) {
        await step().catch((err: unknown) => errors.push(describeError(err)));
      }
      if (errors.length) throw new Error(`bot shutdown: ${errors.join('; ')}`);
    },
  };
}
