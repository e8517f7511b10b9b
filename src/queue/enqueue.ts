/**
 * The producer side: turns an accepted command into BullMQ jobs. A `check` becomes a flow
 * (parent `check`, children `probe` and `collect-logs`); `logs` a single job. The bot calls
 * this after it has acked; nothing here talks to Slack or to a cluster.
 */
import { randomUUID, createHash } from 'node:crypto';
import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { CheckCommand, LogsCommand, ParsedCommand } from '../commands/grammar.js';
import { PodnetError } from '../errors.js';
import {
  childJobId,
  DEFAULT_PREFIX,
  JOB_NAMES,
  queueName,
  type CheckPayload,
  type LogsPayload,
  type SlackTarget,
} from './contracts.js';

/** The parsed commands the producer can queue (src/commands/grammar.ts). */
export type EnqueueCommandInput = ParsedCommand;

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

export interface ProducerOptions {
  /** An ioredis client or its options. A client passed in is not closed by `close()`. */
  connection: Redis | RedisOptions;
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
}

export interface Producer {
  enqueueCommand(cmd: EnqueueCommandInput, ctx: EnqueueContext): Promise<EnqueueResult>;
  close(): Promise<void>;
}

// BullMQ forbids ':' in custom job ids; keep ids to a safe alphabet.
const safeId = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 120);

/** Creates a producer for one cluster's queues. */
export function createProducer(options: ProducerOptions): Producer {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const cluster = options.cluster;
  const dedupWindowMs = options.dedupWindowMs ?? 10_000;
  const attempts = options.attempts ?? 3;
  const backoffMs = options.backoffMs ?? 1000;

  const ownsClient = !(options.connection instanceof Redis);
  const redis = options.connection instanceof Redis ? options.connection : new Redis(options.connection);
  const flows = new FlowProducer({ connection: redis, prefix });
  const singleJobQueues = new Map<string, Queue>();

  const retry: JobsOptions = {
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
  // A failed child (after its attempts) must not sink the check: the parent still runs with
  // what the other child found and shows the failure as data.
  const childOpts: JobsOptions = { ...retry, ignoreDependencyOnFailure: true };

  /**
   * BullMQ 6 rejects `deduplication` on flow nodes with children, so coalescing of identical
   * checks is a SET NX with a TTL next to the queue's keys: the first caller wins the key and
   * adds the flow; later callers within the window get the first job id.
   */
  async function claimDedup(payload: CheckPayload, jobId: string, checks: string): Promise<string | undefined> {
    if (dedupWindowMs <= 0) return undefined;
    const identity = JSON.stringify([
      payload.cluster, payload.namespace, payload.pod, payload.client ?? '', payload.server ?? '',
      payload.port ?? 0, payload.debugContainerImage ?? '', payload.slack.channel, payload.slack.threadTs ?? '',
    ]);
    const key = `${prefix}:${checks}:dedup:${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;
    const won = await redis.set(key, jobId, 'PX', dedupWindowMs, 'NX');
    if (won === 'OK') return undefined;
    const existing = await redis.get(key);
    // The key may have expired between SET and GET: then this request simply runs.
    if (existing === null) {
      await redis.set(key, jobId, 'PX', dedupWindowMs);
      return undefined;
    }
    return existing;
  }

  async function enqueueCheck(cmd: CheckCommand, ctx: EnqueueContext): Promise<EnqueueResult> {
    const requestId = ctx.requestId ?? randomUUID();
    const jobId = safeId(`check-${requestId}`);
    const target = ctx.cluster ?? cmd.cluster ?? cluster;
    const checks = queueName(target, 'checks');
    const probes = queueName(target, 'probes');
    const payload: CheckPayload = {
      requestId,
      cluster: target,
      namespace: cmd.namespace,
      pod: cmd.pod,
      ...(cmd.client !== undefined && { client: cmd.client }),
      ...(cmd.server !== undefined && { server: cmd.server }),
      ...(cmd.port !== undefined && { port: cmd.port }),
      ...(cmd.debugContainerImage !== undefined && { debugContainerImage: cmd.debugContainerImage }),
      slack: ctx.slack,
      requestedAt: (ctx.now?.() ?? new Date()).toISOString(),
    };
    const existing = await claimDedup(payload, jobId, checks);
    if (existing !== undefined) return { jobId: existing, deduplicated: true };
    await flows.add({
      name: JOB_NAMES.check,
      queueName: checks,
      data: payload,
      opts: { ...retry, jobId },
      children: [
        { name: JOB_NAMES.probe, queueName: probes, data: payload, opts: { ...childOpts, jobId: childJobId(jobId, 'probe') } },
        { name: JOB_NAMES.collectLogs, queueName: probes, data: payload, opts: { ...childOpts, jobId: childJobId(jobId, 'collect-logs') } },
      ],
    });
    return { jobId, deduplicated: false };
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
      slack: ctx.slack,
      requestedAt: (ctx.now?.() ?? new Date()).toISOString(),
    };
    const name = queueName(target, 'checks');
    let queue = singleJobQueues.get(name);
    if (!queue) singleJobQueues.set(name, (queue = new Queue(name, { connection: redis, prefix })));
    await queue.add(JOB_NAMES.logs, payload, { ...retry, jobId });
    return { jobId, deduplicated: false };
  }

  return {
    async enqueueCommand(cmd, ctx) {
      if (cmd.verb === 'check') return enqueueCheck(cmd, ctx);
      if (cmd.verb === 'logs') return enqueueLogs(cmd, ctx);
      throw new PodnetError('bad-input', `\`${cmd.verb}\` is not available in this version yet; try \`check POD -n NAMESPACE\`.`);
    },
    async close() {
      await flows.close();
      await Promise.all([...singleJobQueues.values()].map((q) => q.close()));
      if (ownsClient) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
