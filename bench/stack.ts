/**
 * The whole queued path for the benchmarks that go through Slack: the bot (createBot, as
 * `podnet bot` runs it, in this process) over signed HTTP → Redis → one or more `podnet worker`
 * processes of one cluster (the built bin/podnet.js), each with its own cluster client drawing
 * on the cluster's shared API budget (PODNET_KUBE_QPS/BURST) → the simulator → the Slack
 * stand-in. `close()` stops every worker by its PID (SIGTERM, then SIGKILL after 10 s) and
 * removes every key under the stack's own prefix (queues obliterated, budget, heartbeats).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { memoryAuditLog } from '../src/authz/audit.js';
import { parsePolicy } from '../src/authz/policy.js';
import { removePrefix } from '../src/queue/cleanup.js';
import { QUEUE_KINDS, queueName } from '../src/queue/contracts.js';
import { startSimulator, type RunningSimulator } from '../src/sim/server.js';
import { createBot } from '../src/compose/bot.js';
import { startSlackStandIn, type SlackStandIn } from '../src/slack/stand-in.js';
import { postSigned, slashCommandBody } from '../src/slack/testing.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The seed incident's pod, and the cause a check of it must find. */
export const SEED_CHECK = 'check mlserver-0 -n financial-ml';
export const SEED_CAUSE = 'probe-bind-mismatch';

export interface StackOptions {
  /** The scenario file the simulator serves. */
  scenarioFile: string;
  /** Worker replicas of the one cluster. Default 1. */
  workers?: number;
  /** The cluster's shared budget. Default: PODNET_KUBE_QPS/BURST's defaults (50/100). */
  qps?: number;
  burst?: number;
  /** Channels the policy allows (`C0BENCH000`…). Default 10. */
  channels?: number;
  /**
   * Coalesce identical checks from one channel within 10 s, as the bot does. Default true;
   * false when a benchmark sends the same check from one channel several times and wants each
   * to be a real check.
   */
  coalesce?: boolean;
}

export interface Stack {
  /** The simulator (its `requests()` is the API server's arrival log). */
  sim: RunningSimulator;
  slack: SlackStandIn;
  /** Channel number `i` (`C0BENCH00i`). */
  channel(i: number): string;
  /** Sends the seed check from a channel as a signed slash command; resolves on the 200 ack. */
  send(channel: string): Promise<void>;
  /** Summaries carrying the seed's cause posted in a channel so far (each check's first findings). */
  summaries(channel: string): number;
  /** Sends the seed check and resolves with the ms until its summary is in the channel. */
  timeOne(channel: string, deadlineMs?: number): Promise<number>;
  /**
   * Resolves once the cluster's queues hold no job waiting or running: the workers have also
   * posted every check's thread replies and timeline chart, which follow the summary.
   */
  drained(deadlineMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Connects to Redis, or undefined when none answers (the caller skips its figures). */
export async function connectRedis(): Promise<Redis | undefined> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
  try {
    await redis.connect();
    return redis;
  } catch {
    redis.disconnect();
    return undefined;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A `podnet worker` process (bin/podnet.js, built), as a worker pod runs it. */
interface WorkerProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Resolves once the worker logged that it is ready; rejects if it exits or stays silent for 60 s. */
function spawnWorker(env: NodeJS.ProcessEnv, cluster: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'podnet.js'), 'worker', '--cluster', cluster], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => void stop().then(() => reject(new Error(`worker not ready after 60 s: ${err.slice(-500)}`))), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      if (err.includes('podnet worker ready')) {
        clearTimeout(timer);
        err = '';
        resolve({ child, stop });
      }
      if (err.length > 100_000) err = err.slice(-10_000);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready: ${err.slice(-500)}`));
    });
  });
}

/** Starts the stack on `redis` (not closed by `close()`), under a fresh prefix and cluster. */
export async function startStack(redis: Redis, options: StackOptions): Promise<Stack> {
  const prefix = `podnet-bench-${randomUUID().slice(0, 8)}`;
  const cluster = 'bench';
  const channels = options.channels ?? 10;
  const sim = await startSimulator({ scenario: options.scenarioFile, port: 0 });
  const slack = await startSlackStandIn();
  const dir = await mkdtemp(join(tmpdir(), 'podnet-bench-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, sim.kubeconfigYaml());
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    REDIS_URL,
    PODNET_QUEUE_PREFIX: prefix,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_API_URL: slack.url,
    KUBECONFIG: kubeconfig,
    OPS_PORT: '0',
    LOG_LEVEL: 'info',
    ...(options.qps !== undefined && { PODNET_KUBE_QPS: String(options.qps) }),
    ...(options.burst !== undefined && { PODNET_KUBE_BURST: String(options.burst) }),
  };
  const workers: WorkerProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(workers.map((w) => w.stop()));
    await removePrefix(redis, prefix, [cluster]);
    await slack.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Each replica is its own process with its own cluster client, as each worker pod is; the
    // budget (`<prefix>:kube-budget:bench`) is the cluster's.
    for (let i = 0; i < (options.workers ?? 1); i++) workers.push(await spawnWorker(env, cluster));
  } catch (err) {
    await stopAll();
    throw err;
  }
  const channel = (i: number): string => `C0BENCH${String(i).padStart(3, '0')}`;
  const signingSecret = randomBytes(32).toString('hex');
  const bot = createBot({
    config: { slack: { botToken: 'xoxb-bench', signingSecret, apiUrl: slack.url, socketMode: false }, defaultCluster: cluster, queuePrefix: prefix },
    redis,
    policy: parsePolicy({ default: 'deny', channels: Array.from({ length: channels }, (_, i) => ({ id: channel(i), namespaces: ['financial-ml'] })) }),
    audit: memoryAuditLog(),
    app: { botId: 'B0PODNET', botUserId: 'U0PODNETBOT' },
    ...(options.coalesce === false && { producer: { dedupWindowMs: 0 } }),
  });
  const { port } = await bot.start(0);

  const send = async (ch: string): Promise<void> => {
    const ack = await postSigned(`http://127.0.0.1:${port}/slack/events`, slashCommandBody({ text: SEED_CHECK, channel: ch, responseUrl: slack.responseUrl(ch) }), signingSecret);
    if (ack.status !== 200) throw new Error(`ack HTTP ${ack.status}`);
  };
  const queues = QUEUE_KINDS.map((kind) => new Queue(queueName(cluster, kind), { connection: redis, prefix }));
  // The progress message edited into the summary, or (when it could not be edited) the summary posted anew.
  const summaries = (ch: string): number => slack.messages(ch).filter((m) => JSON.stringify(m.blocks ?? []).includes(SEED_CAUSE)).length;
  return {
    sim,
    slack,
    channel,
    send,
    summaries,
    async timeOne(ch, deadlineMs = 30_000) {
      const before = summaries(ch);
      const started = performance.now();
      await send(ch);
      while (summaries(ch) === before) {
        if (performance.now() - started > deadlineMs) throw new Error(`no summary in ${ch} after ${deadlineMs / 1000} s`);
        await sleep(5);
      }
      return performance.now() - started;
    },
    async drained(deadlineMs = 60_000) {
      const started = performance.now();
      for (;;) {
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'waiting-children')));
        if (counts.every((c) => Object.values(c).every((n) => n === 0))) return;
        if (performance.now() - started > deadlineMs) throw new Error(`queues still busy after ${deadlineMs / 1000} s: ${JSON.stringify(counts)}`);
        await sleep(10);
      }
    },
    async close() {
      await bot.close();
      for (const q of queues) await q.close();
      await stopAll();
    },
  };
}
