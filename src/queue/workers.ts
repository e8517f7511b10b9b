/**
 * The consumer side: one BullMQ Worker per queue of a cluster — `checks` (flow parents and
 * single-job commands) and `probes` (the children that talk to the cluster). Processors live
 * in jobs/, one per file; this module only routes job names to them and owns the lifecycle.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { isRedisClient, type RedisClient } from './redis.js';
import { createCheckProcessor } from '../../jobs/check.js';
import { createCollectLogsProcessor } from '../../jobs/collect-logs.js';
import { createLogsProcessor } from '../../jobs/logs.js';
import { createProbeProcessor } from '../../jobs/probe.js';
import { createSweepProcessor } from '../../jobs/sweep.js';
import { createWatchProcessor } from '../../jobs/watch.js';
import { createFixJobs } from '../../jobs/apply-fix.js';
import { WatchStore } from '../watch/store.js';
import type { ClusterAccess } from '../cluster/types.js';
import { createIncidentJobs } from '../incidents/worker.js';
import type { Logger } from '../logger.js';
import { workerJobs, type ProcessorKey, type VerbJobName } from '../commands/verbs/index.js';
import { DEFAULT_PREFIX, JOB_NAMES, queueName, type JobName } from './contracts.js';
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
  /** Folder of runbook YAML files for `runbook` jobs. Default `./runbooks` (PODNET_RUNBOOKS_DIR). */
  runbooksDir?: string;
}

export interface RunningWorkers {
  workers: Worker[];
  /** The cluster registration (absent when `heartbeat: false`). */
  heartbeat?: Heartbeat;
  /** Stops taking jobs, waits for the running ones to finish, closes connections. */
  close(): Promise<void>;
}

/** Starts the workers of one cluster. They run until `close()`. */
export async function startWorkers(options: StartWorkersOptions): Promise<RunningWorkers> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const ownsClient = !isRedisClient(options.connection);
  // Workers block on Redis; BullMQ requires maxRetriesPerRequest: null so a blocking call is never cut.
  const connection = isRedisClient(options.connection) ? options.connection : new Redis({ ...options.connection, maxRetriesPerRequest: null });
  const deps: ProcessorDeps = { ...options.deps, clusterAccess: options.clusterAccess, poster: options.poster, logger: options.logger };
  const log = options.logger;
  // One log line per Redis state change, not one per reconnect attempt per connection.
  const redisState = watchRedisState(connection, log, { name: 'worker' });
  const onQueueError = (err: Error, queue: string): void => (redisState.isConnectionError(err) ? redisState.noteError(err, queue) : log.error({ queue, err: err.message }, 'queue error'));
  // Incidents and runbooks (src/incidents/worker.ts); a check in an incident's thread adds a finding.
  const incidentJobs = createIncidentJobs({ connection, prefix, cluster: options.cluster, deps: { ...deps }, onQueueError, ...(options.runbooksDir !== undefined && { runbooksDir: options.runbooksDir }) });
  deps.onFinding ??= incidentJobs.onFinding;
  const probesQueue = new Queue(queueName(options.cluster, 'probes'), { connection, prefix });
  const check = createCheckProcessor(deps, { probes: probesQueue, childOptions: jobOptions(options) });
  const probe = createProbeProcessor(deps);
  const collectLogs = createCollectLogsProcessor(deps);
  const logs = createLogsProcessor(deps);
  // Watches remove their own job schedulers from the checks queue when they end.
  const checksQueue = new Queue(queueName(options.cluster, 'checks'), { connection, prefix });
  const watch = createWatchProcessor(deps, { checks: checksQueue, store: new WatchStore(connection, prefix) });
  const sweep = createSweepProcessor(deps);
  const fixes = createFixJobs(deps, { connection, prefix });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- jobs of several payload types share a queue
  type ChecksProcessor = (job: Job<any, any>, token?: string) => Promise<unknown>;
  // The composition root of the checks queue: each verb's spec (src/commands/verbs) names its job
  // and processor; this table must map every processor a spec names (a compile error otherwise).
  const verbProcessors: Record<ProcessorKey, ChecksProcessor> = {
    check: (job, token) => check(job, token),
    logs: (job) => logs(job),
    watch: (job) => watch(job),
    sweep: (job) => sweep(job),
    incident: (job) => incidentJobs.incident(job),
    runbook: (job) => incidentJobs.runbook(job),
  };
  const checksProcessors = new Map<string, ChecksProcessor>([
    ...workerJobs().map(({ job, processor }) => [job, verbProcessors[processor]] as const),
    // Jobs a button adds, not a verb (src/slack/app.ts Apply fix / Roll back).
    [JOB_NAMES.applyFix, (job) => fixes.applyFix(job)],
    [JOB_NAMES.rollBack, (job) => fixes.rollBack(job)],
  ]);

  const common = {
    connection,
    prefix,
    concurrency: options.concurrency ?? 4,
    ...(options.lockDurationMs !== undefined && { lockDuration: options.lockDurationMs }),
    ...(options.stalledIntervalMs !== undefined && { stalledInterval: options.stalledIntervalMs }),
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- jobs of several payload types share a queue
  const checksWorker = new Worker(queueName(options.cluster, 'checks'), async (job: Job<any, any>, token?: string) => {
    const run = checksProcessors.get(job.name);
    if (!run) throw new Error(`no processor for job "${job.name}" on the checks queue (a newer bot than worker?)`);
    return run(job, token);
  }, common);

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- jobs of several payload types share a queue
  const probesWorker = new Worker(queueName(options.cluster, 'probes'), async (job: Job<any, any>) => {
    switch (job.name) {
      case JOB_NAMES.probe:
        return probe(job);
      case JOB_NAMES.collectLogs:
        return collectLogs(job);
      default:
        throw new Error(`no processor for job "${job.name}" on the probes queue (a newer bot than worker?)`);
    }
  }, common);

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
  for (const q of [probesQueue, checksQueue]) {
    q.on('error', (err) => onQueueError(err, q.name));
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
      await probesQueue.close();
      await checksQueue.close();
      await incidentJobs.close();
      redisState.stop();
      if (ownsClient) await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** Every job a verb spec names is a job podnet knows (src/queue/contracts.ts JOB_NAMES): a compile error otherwise. */
export const VERB_JOBS_ARE_JOB_NAMES: VerbJobName extends JobName ? true : never = true;
