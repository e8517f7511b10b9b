/**
 * The producer side: turns an accepted command into one BullMQ job on the cluster's `checks`
 * queue. A `check` job then adds its own children (`probe`, `collect-logs`) when a worker
 * picks it up: one `Queue.add` here is ~10× cheaper than adding the whole flow with a
 * FlowProducer (measured: p50 4 ms vs 35 ms at 50 concurrent adds), and the bot waits for
 * this call before it acks. Nothing here talks to Slack or to a cluster.
 */
import { randomUUID, createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import { createChecksQueues } from './checks-queues.js';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { isRedisClient, type RedisClient } from './redis.js';
import type { CheckCommand, LogsCommand, ParsedCommand } from '../commands/grammar.js';
import { specOf, type Commands, type WorkerVerb } from '../commands/verbs/index.js';
import { PodnetError } from '../errors.js';
import { safeJobId as safeId, type EnqueueContext, type EnqueueResult, type Enqueuer, type ProducerEnv } from './enqueue-types.js';
import { jobOptions } from './job-options.js';
import {
  DEFAULT_PREFIX,
  JOB_NAMES,
  type CheckPayload,
  type LogsPayload,
} from './contracts.js';

/** The parsed commands the producer can queue (src/commands/grammar.ts). */
export type EnqueueCommandInput = ParsedCommand;

export type { EnqueueContext, EnqueueResult };

/**
 * The enqueuers of the worker verbs that live with their feature (watch, sweep, incident,
 * runbook): one per verb, a compile error when one is missing. The producer handles `check`
 * and `logs` itself; the composition root (src/compose/producer.ts) fills this table, so
 * src/queue imports no feature.
 */
export type VerbEnqueuers = { [V in Exclude<WorkerVerb, 'check' | 'logs'>]: Enqueuer<Commands[V]> };

export interface ProducerOptions {
  /** An ioredis client or its options. A client passed in is not closed by `close()`. */
  connection: RedisClient | RedisOptions;
  /** Redis key prefix of the queues. Default `podnet`. */
  prefix?: string;
  /** The cluster whose queues this producer feeds when a command names none (DNS-1123 label). */
  cluster: string;
  /** Identical checks within this window coalesce. Default 10 000 ms; 0 disables. */
  dedupWindowMs?: number;
  /** Attempts for transient failures (exponential backoff from `backoffMs`). Default 3. */
  attempts?: number;
  /** First backoff delay. Default 1000 ms. */
  backoffMs?: number;
  /** Test-only: scales `watch --every/--for` (src/watch/enqueue.ts). */
  watchIntervalScale?: number;
  /**
   * Wait until this many replicas have a command's job before answering (Redis WAIT on the
   * producer's connection, at most `timeoutMs`). Replication is asynchronous: without it, a
   * job acknowledged by a primary that dies a moment later may never reach the replica
   * Sentinel promotes (https://redis.io/docs/latest/commands/wait/). Not for a Redis Cluster
   * client (WAIT names no key, so ioredis could send it to any node). Default off.
   */
  replicaAcks?: { replicas: number; timeoutMs: number };
}

/** ProducerOptions plus the feature verbs' enqueuers (src/compose/producer.ts gives podnet's). */
export interface QueueProducerOptions extends ProducerOptions {
  enqueuers: VerbEnqueuers;
}

export interface Producer {
  enqueueCommand(cmd: EnqueueCommandInput, ctx: EnqueueContext): Promise<EnqueueResult>;
  close(): Promise<void>;
}

/**
 * Creates a producer. It adds single jobs only: the check job adds its own children. Use
 * `createProducer` from src/compose/producer.ts, which passes podnet's feature enqueuers.
 */
export function createQueueProducer(options: QueueProducerOptions): Producer {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const cluster = options.cluster;
  const dedupWindowMs = options.dedupWindowMs ?? 10_000;
  const opts = jobOptions(options);
  const ownsClient = !isRedisClient(options.connection);
  const redis = isRedisClient(options.connection) ? options.connection : new Redis(options.connection);
  const queues = createChecksQueues(redis, prefix);
  const queueOf = (target: string): Queue => queues.of(target);

  /**
   * Identical checks (same target, same channel and thread) within the window coalesce into
   * the first, through BullMQ's own deduplication: the second add returns the first job's id.
   */
  function dedupId(p: CheckPayload): string {
    const identity = JSON.stringify([
      p.cluster, p.namespace, p.pod, p.client ?? '', p.server ?? '', p.port ?? 0, p.debugContainerImage ?? '', p.evidence === true, p.slack.channel, p.slack.threadTs ?? '',
    ]);
    return `check-${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;
  }

  async function enqueueCheck(cmd: CheckCommand, ctx: EnqueueContext): Promise<EnqueueResult> {
    const requestId = ctx.requestId ?? randomUUID();
    const jobId = safeId(`check-${requestId}`);
    const target = ctx.cluster ?? cmd.cluster ?? cluster;
    const payload: CheckPayload = {
      requestId,
      cluster: target,
      namespace: cmd.namespace,
      pod: cmd.pod,
      ...(cmd.client !== undefined && { client: cmd.client }),
      ...(cmd.server !== undefined && { server: cmd.server }),
      ...(cmd.port !== undefined && { port: cmd.port }),
      ...(cmd.debugContainerImage !== undefined && { debugContainerImage: cmd.debugContainerImage }),
      ...(cmd.evidence === true && { evidence: true }),
      slack: ctx.slack,
      requestedAt: (ctx.now?.() ?? new Date()).toISOString(),
    };
    const job = await queueOf(target).add(JOB_NAMES.check, payload, {
      ...opts,
      jobId,
      ...(dedupWindowMs > 0 && { deduplication: { id: dedupId(payload), ttl: dedupWindowMs } }),
    });
    const id = job.id ?? jobId;
    return { jobId: id, deduplicated: id !== jobId };
  }

  async function enqueueLogs(cmd: LogsCommand, ctx: EnqueueContext): Promise<EnqueueResult> {
    const requestId = ctx.requestId ?? randomUUID();
    const jobId = safeId(`logs-${requestId}`);
    const target = ctx.cluster ?? cmd.cluster ?? cluster;
    const payload: LogsPayload = {
      requestId,
      cluster: target,
      namespace: cmd.namespace,
      pod: cmd.pod,
      ...(cmd.container !== undefined && { container: cmd.container }),
      previous: cmd.previous,
      ...(cmd.sinceSeconds !== undefined && { sinceSeconds: cmd.sinceSeconds }),
      ...(cmd.grep !== undefined && { grep: cmd.grep }),
      slack: ctx.slack,
      requestedAt: (ctx.now?.() ?? new Date()).toISOString(),
    };
    await queueOf(target).add(JOB_NAMES.logs, payload, { ...opts, jobId });
    return { jobId, deduplicated: false };
  }

  const acks = options.replicaAcks;
  if (acks !== undefined && redis instanceof Cluster) {
    throw new PodnetError('bad-input', 'replicaAcks needs a single-server or Sentinel client; on a Redis Cluster WAIT would go to an arbitrary node');
  }
  /** Resolves once the writes so far on this connection reached `acks.replicas` replicas, or the timeout passed. */
  const replicated = async <T>(result: T): Promise<T> => {
    if (acks !== undefined) await (redis as Redis).wait(acks.replicas, acks.timeoutMs);
    return result;
  };

  const scale = options.watchIntervalScale;
  const env: ProducerEnv = { redis, prefix, cluster, queueOf, opts, ...(scale !== undefined && { watchIntervalScale: scale }) };
  const feature = options.enqueuers;
  /** One enqueuer per verb a worker runs (src/commands/verbs `run.on: 'worker'`): a compile error when one is missing. */
  const enqueuers: { [V in WorkerVerb]: (cmd: Commands[V], ctx: EnqueueContext) => Promise<EnqueueResult> } = {
    check: enqueueCheck,
    logs: enqueueLogs,
    watch: (cmd, ctx) => feature.watch(env, cmd, ctx),
    sweep: (cmd, ctx) => feature.sweep(env, cmd, ctx),
    incident: (cmd, ctx) => feature.incident(env, cmd, ctx),
    runbook: (cmd, ctx) => feature.runbook(env, cmd, ctx),
  };

  return {
    async enqueueCommand(cmd, ctx) {
      return replicated(await enqueueAny(cmd, ctx));
    },
    async close() {
      await queues.close();
      if (ownsClient) await redis.quit().catch(() => redis.disconnect());
    },
  };

  async function enqueueAny(cmd: EnqueueCommandInput, ctx: EnqueueContext): Promise<EnqueueResult> {
    if (specOf(cmd).run.on !== 'worker') {
      throw new PodnetError('bad-input', `\`${cmd.verb}\` is not available in this version yet; try \`check POD -n NAMESPACE\`.`);
    }
    const enqueue = enqueuers[cmd.verb as WorkerVerb] as (cmd: EnqueueCommandInput, ctx: EnqueueContext) => Promise<EnqueueResult>;
    return enqueue(cmd, ctx);
  }
}
