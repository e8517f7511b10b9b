/**
 * The consumer side: one BullMQ Worker per queue of a cluster — `checks` (flow parents and
 * single-job commands) and `probes` (the children that talk to the cluster). Processors live
 * in jobs/, one per file; which of them a worker runs is decided by the composition root
 * (src/compose/workers.ts). This module routes job names to the processors it is given and
 * owns the lifecycle.
 */
import { Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { isRedisClient, type RedisClient } from './redis.js';
import type { ClusterAccess } from '../cluster/types.js';
import type { Logger } from '../logger.js';
import type { VerbJobName } from '../commands/verbs/index.js';
import { DEFAULT_PREFIX, queueName, type JobName, type QueueKind } from './contracts.js';
import { startHeartbeat, type Heartbeat, type HeartbeatOptions } from './heartbeat.js';
import { jobOptions } from './job-options.js';
import { watchRedisState } from './redis-state.js';
import { isFinalFailure, reportJobFailure } from './report-failure.js';
import type { PosterLike, ProcessorDeps } from './processor-deps.js';

export interface StartWorkersOptions {
  /** An ioredis client (must have `maxRetriesPerRequest: null`) or its options. */
  connection: RedisClient | RedisOptions;
  cluster: string;
  clusterAccess: ClusterAccess;
  poster: PosterLike;
  logger: Logger;
  /** Collectors, analysis and renderers; `loadDefaultDeps()` (src/queue/default-deps.ts) gives the real ones. */
  deps: Omit<ProcessorDeps, 'clusterAccess' | 'poster' | 'logger'>;
  /** Default `podnet`. */
  prefix?: string;
  /** Jobs run at once per queue. Default 4 for probes, 4 for checks. */
  concurrency?: number;
  /** Lock duration: a worker silent this long is presumed dead and its job re-run. Default 30 000 ms. */
  lockDurationMs?: number;
  /** How often to look for stalled jobs. Default 30 000 ms. */
  stalledIntervalMs?: number;
  /** Attempts of the children a check adds (transient failures). Default 3. */
  attempts?: number;
  /** First backoff delay of the children. Default 1000 ms. */
  backoffMs?: number;
  /**
   * Register this cluster's heartbeat (src/queue/heartbeat.ts) so the bot routes to it; removed
   * on `close()`. Default on; `false` for tests that want no registration.
   */
  heartbeat?: false | Pick<HeartbeatOptions, 'intervalMs' | 'ttlMs' | 'workerId' | 'version'>;
}

/** What the composition root gets to build one cluster's processors. */
export interface WorkerEnv {
  /** The workers' Redis connection (blocking-safe); processors may share it for their own queues. */
  connection: RedisClient;
  prefix: string;
  cluster: string;
  deps: ProcessorDeps;
  /** Job options of the children a processor adds (attempts, backoff). */
  childOptions: JobsOptions;
  /** Report an error of a queue a processor opened (Redis outages are logged once per state change). */
  onQueueError(err: Error, queue: string): void;
}

/** A processor as a BullMQ Worker calls it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- jobs of several payload types share a queue
export type JobProcessor = (job: Job<any, any>, token?: string) => Promise<unknown>;

/** One cluster's processors by queue kind and job name, and how to release what they opened. */
export interface ClusterProcessors {
  processors: Record<QueueKind, ReadonlyMap<string, JobProcessor>>;
  close(): Promise<void>;
}

/** StartWorkersOptions plus the processors (src/compose/workers.ts gives podnet's). */
export interface QueueWorkersOptions extends StartWorkersOptions {
  processors(env: WorkerEnv): ClusterProcessors | Promise<ClusterProcessors>;
}

export interface RunningWorkers {
  workers: Worker[];
  /** The cluster registration (absent when `heartbeat: false`). */
  heartbeat?: Heartbeat;
  /** Stops taking jobs, waits for the running ones to finish, closes connections. */
  close(): Promise<void>;
}

/**
 * Starts the workers of one cluster with the processors given. They run until `close()`. Use
 * `startWorkers` from src/compose/workers.ts, which passes podnet's processors.
 */
export async function startQueueWorkers(options: QueueWorkersOptions): Promise<RunningWorkers> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const ownsClient = !isRedisClient(options.connection);
  // Workers block on Redis; BullMQ requires maxRetriesPerRequest: null so a blocking call is never cut.
  const connection = isRedisClient(options.connection) ? options.connection : new Redis({ ...options.connection, maxRetriesPerRequest: null });
  const deps: ProcessorDeps = { ...options.deps, clusterAccess: options.clusterAccess, poster: options.poster, logger: options.logger };
  const log = options.logger;
  // One log line per Redis state change, not one per reconnect attempt per connection.
  const redisState = watchRedisState(connection, log, { name: 'worker' });
  const onQueueError = (err: Error, queue: string): void => (redisState.isConnectionError(err) ? redisState.noteError(err, queue) : log.error({ queue, err: err.message }, 'queue error'));
  const built = await options.processors({ connection, prefix, cluster: options.cluster, deps, childOptions: jobOptions(options), onQueueError });

  const common = {
    connection,
    prefix,
    concurrency: options.concurrency ?? 4,
    ...(options.lockDurationMs !== undefined && { lockDuration: options.lockDurationMs }),
    ...(options.stalledIntervalMs !== undefined && { stalledInterval: options.stalledIntervalMs }),
  };

  /** One Worker for a queue kind, routing each job by name to its processor. */
  const workerFor = (kind: QueueKind): Worker => {
    const table = built.processors[kind];
    return new Worker(queueName(options.cluster, kind), async (job: Parameters<JobProcessor>[0], token?: string) => {
      const run = table.get(job.name);
      if (!run) throw new Error(`no processor for job "${job.name}" on the ${kind} queue (a newer bot than worker?)`);
      return run(job, token);
    }, common);
  };
  const checksWorker = workerFor('checks');
  const probesWorker = workerFor('probes');

  const workers = [checksWorker, probesWorker];
  // Reports in flight, awaited on close so a shutdown does not cut a notice short.
  const reporting = new Set<Promise<void>>();
  for (const w of workers) {
    w.on('failed', (job, err) => {
      log.warn({ queue: w.name, job: job?.id, name: job?.name, attempts: job?.attemptsMade, err: err.message }, 'job failed');
      // Commands (checks queue) tell the person who asked once the failure is final — including
      // a job failed by stall detection, which never reaches a processor's catch.
      if (w !== checksWorker || !job) return;
      const p = isFinalFailure(job, err)
        .then((final) => (final ? reportJobFailure(job, err, { poster: options.poster, logger: log }) : undefined))
        .catch((e: unknown) => log.error({ job: job.id, err: String(e) }, 'failure report failed'))
        .finally(() => reporting.delete(p));
      reporting.add(p);
    });
    w.on('stalled', (jobId) => log.warn({ queue: w.name, job: jobId }, 'job stalled; it will run again'));
    w.on('error', (err) => {
      if (redisState.isConnectionError(err)) redisState.noteError(err, w.name);
      else log.error({ queue: w.name, err: err.message }, 'worker error');
    });
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  log.info({ cluster: options.cluster, queues: workers.map((w) => w.name), prefix }, 'workers started');
  const heartbeat =
    options.heartbeat === false ? undefined : await startHeartbeat({ ...options.heartbeat, redis: connection, cluster: options.cluster, prefix, logger: log });

  return {
    workers,
    ...(heartbeat && { heartbeat }),
    async close() {
      // Sign off first: the bot stops routing new commands here while the running jobs drain.
      await heartbeat?.stop().catch((err: unknown) => log.warn({ err: String(err) }, 'could not remove the heartbeat; it expires by itself'));
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...reporting]);
      await built.close();
      redisState.stop();
      if (ownsClient) await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** Every job a verb spec names is a job podnet knows (src/queue/contracts.ts JOB_NAMES): a compile error otherwise. */
export const VERB_JOBS_ARE_JOB_NAMES: VerbJobName extends JobName ? true : never = true;
