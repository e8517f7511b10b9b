/**
 * The workers' composition root: which processors (jobs/, one per file) a cluster's workers
 * run. src/queue knows only job names and queues; the processors and the features they need
 * (watch store, incidents, runbooks) are wired here, so imports run one way:
 * compose → jobs → features → queue. The producer's side is ./producer.ts.
 */
import { Queue, type Job } from 'bullmq';
import { createFixJobs } from '../../jobs/apply-fix.js';
import { createCheckProcessor } from '../../jobs/check.js';
import { createCollectLogsProcessor } from '../../jobs/collect-logs.js';
import { createIncidentProcessor } from '../../jobs/incident.js';
import { createLogsProcessor } from '../../jobs/logs.js';
import { createProbeProcessor } from '../../jobs/probe.js';
import { createRunbookProcessor, type RunbookJobDeps } from '../../jobs/runbook.js';
import { createSweepProcessor } from '../../jobs/sweep.js';
import { createWatchProcessor } from '../../jobs/watch.js';
import type { Diagnosis } from '../analysis/types.js';
import type { Evidence } from '../evidence.js';
import { workerJobs, type ProcessorKey } from '../commands/verbs/index.js';
import { IncidentRecorder } from '../incidents/hooks.js';
import { JOB_NAMES, queueName, type SlackTarget } from '../queue/contracts.js';
import { jobOptions } from '../queue/job-options.js';
import type { ProcessorDeps } from '../queue/processor-deps.js';
import type { RedisClient } from '../queue/redis.js';
import { startQueueWorkers, type ClusterProcessors, type JobProcessor, type RunningWorkers, type StartWorkersOptions, type WorkerEnv } from '../queue/workers.js';
import { loadRunbookDir } from '../runbooks/loader.js';
import { RunStore } from '../runbooks/runs.js';
import type { Runbook } from '../runbooks/schema.js';
import { enqueueWatch } from '../watch/enqueue.js';
import { WatchStore } from '../watch/store.js';

export type { RunningWorkers };

/** Options of podnet's workers: the queue side's plus where the runbooks are. */
export interface PodnetWorkersOptions extends StartWorkersOptions {
  /** Folder of runbook YAML files for `runbook` jobs. Default `./runbooks` (PODNET_RUNBOOKS_DIR). */
  runbooksDir?: string;
}

/** Starts one cluster's workers (src/queue/workers.ts) running every podnet processor. */
export function startWorkers(options: PodnetWorkersOptions): Promise<RunningWorkers> {
  return startQueueWorkers({ ...options, processors: (env) => podnetProcessors(env, options.runbooksDir) });
}

/** Every processor of one cluster, by queue and job name. */
function podnetProcessors(env: WorkerEnv, runbooksDir: string | undefined): ClusterProcessors {
  const { connection, prefix, cluster, deps } = env;
  // Incidents and runbooks; a check in an incident's thread adds a finding.
  const incidentJobs = createIncidentJobs({ connection, prefix, cluster, deps: { ...deps }, onQueueError: env.onQueueError, ...(runbooksDir !== undefined && { runbooksDir }) });
  deps.onFinding ??= incidentJobs.onFinding;
  const probesQueue = new Queue(queueName(cluster, 'probes'), { connection, prefix });
  // Watches remove their own job schedulers from the checks queue when they end.
  const checksQueue = new Queue(queueName(cluster, 'checks'), { connection, prefix });
  for (const q of [probesQueue, checksQueue]) q.on('error', (err) => env.onQueueError(err, q.name));
  const check = createCheckProcessor(deps, { probes: probesQueue, childOptions: env.childOptions });
  const fixes = createFixJobs(deps, { connection, prefix });
  // Each verb's spec (src/commands/verbs) names its job and processor; this table must map
  // every processor a spec names (a compile error otherwise).
  const verbProcessors: Record<ProcessorKey, JobProcessor> = {
    check: (job, token) => check(job, token),
    logs: createLogsProcessor(deps),
    watch: createWatchProcessor(deps, { checks: checksQueue, store: new WatchStore(connection, prefix) }),
    sweep: createSweepProcessor(deps),
    incident: (job) => incidentJobs.incident(job),
    runbook: (job) => incidentJobs.runbook(job),
  };
  return {
    processors: {
      checks: new Map<string, JobProcessor>([
        ...workerJobs().map(({ job, processor }) => [job, verbProcessors[processor]] as const),
        // Jobs a button adds, not a verb (src/slack/app.ts Apply fix / Roll back).
        [JOB_NAMES.applyFix, (job) => fixes.applyFix(job)],
        [JOB_NAMES.rollBack, (job) => fixes.rollBack(job)],
      ]),
      probes: new Map<string, JobProcessor>([
        [JOB_NAMES.probe, createProbeProcessor(deps)],
        [JOB_NAMES.collectLogs, createCollectLogsProcessor(deps)],
      ]),
    },
    async close() {
      await probesQueue.close();
      await checksQueue.close();
      await incidentJobs.close();
    },
  };
}

interface IncidentJobsOptions {
  connection: RedisClient;
  prefix: string;
  cluster: string;
  /** Processor deps without the finding hook (it is this module's). */
  deps: ProcessorDeps;
  /** Folder of runbook YAML files. Default `./runbooks`. */
  runbooksDir?: string;
  /** Runbooks given directly (tests); wins over `runbooksDir`. */
  runbooks?: Map<string, Runbook>;
  /** Errors of the continuation queue (Redis outages); without a listener BullMQ prints each to stderr. */
  onQueueError?: (err: Error, queue: string) => void;
}

interface IncidentJobs {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- routed by job name from a shared queue
  incident(job: Job<any, any>): Promise<unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- routed by job name from a shared queue
  runbook(job: Job<any, any>): Promise<unknown>;
  /** The hook jobs/check.ts calls: a check answered in an incident's thread becomes a finding. */
  onFinding(slack: SlackTarget, jobId: string, diagnosis: Diagnosis, evidence?: Evidence): Promise<void>;
  close(): Promise<void>;
}

/**
 * The `incident` and `runbook` jobs: one IncidentRecorder and RunStore on the workers' Redis
 * and prefix, the runbooks loaded once from a folder (in a cluster: a ConfigMap mounted
 * there), and the `checks` queue for delayed continuations.
 */
function createIncidentJobs(options: IncidentJobsOptions): IncidentJobs {
  const incidents = new IncidentRecorder({ redis: options.connection, prefix: options.prefix });
  const runs = new RunStore({ redis: options.connection, prefix: options.prefix });
  const queue = new Queue(queueName(options.cluster, 'checks'), { connection: options.connection, prefix: options.prefix });
  queue.on('error', (err) => options.onQueueError?.(err, queue.name));
  // A runbook's watch step starts a watch as `/podnet watch` would, answering in the run's thread.
  const startWatch: RunbookJobDeps['startWatch'] = (cmd, slack, requestId) =>
    enqueueWatch({ redis: options.connection, prefix: options.prefix, cluster: options.cluster, queueOf: () => queue, opts: jobOptions() }, cmd, { slack, requestId, cluster: options.cluster });
  let loaded: Promise<Map<string, Runbook>> | undefined;
  const runbooks = () => {
    if (options.runbooks) return Promise.resolve(options.runbooks);
    // Loaded once; a failed load is retried on the next job (the folder may be fixed meanwhile).
    loaded ??= loadRunbookDir(options.runbooksDir ?? 'runbooks').catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return loaded;
  };
  const incident = createIncidentProcessor({ poster: options.deps.poster, incidents, logger: options.deps.logger, renderTimelinePng: options.deps.renderTimelinePng });
  const runbook = createRunbookProcessor({ processor: options.deps, incidents, runs, runbooks, queue, startWatch });
  return {
    incident,
    runbook,
    onFinding: (slack, jobId, diagnosis, evidence) => incidents.onFinding(slack, jobId, diagnosis, new Date(), evidence),
    async close() {
      await queue.close();
    },
  };
}
