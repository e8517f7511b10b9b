/**
 * Wires the `incident` and `runbook` jobs into a cluster's workers (src/queue/workers.ts):
 * one IncidentRecorder and RunStore on the workers' Redis and prefix, the runbooks loaded
 * once from a folder (in a cluster: a ConfigMap mounted there), and the `checks` queue for
 * delayed continuations.
 */
import { Queue, type Job } from 'bullmq';
import type { RedisClient } from '../queue/redis.js';
import type { Diagnosis } from '../analysis/types.js';
import { createIncidentProcessor } from '../../jobs/incident.js';
import { createRunbookProcessor, type RunbookJobDeps } from '../../jobs/runbook.js';
import { queueName, type SlackTarget } from '../queue/contracts.js';
import { enqueueWatchOrSweep } from '../queue/enqueue-watch.js';
import { jobOptions } from '../queue/job-options.js';
import type { ProcessorDeps } from '../queue/processor-deps.js';
import { loadRunbookDir } from '../runbooks/loader.js';
import { RunStore } from '../runbooks/runs.js';
import type { Runbook } from '../runbooks/schema.js';
import { IncidentRecorder } from './hooks.js';

export interface IncidentJobsOptions {
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

export interface IncidentJobs {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- routed by job name from a shared queue
  incident(job: Job<any, any>): Promise<unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- routed by job name from a shared queue
  runbook(job: Job<any, any>): Promise<unknown>;
  /** The hook jobs/check.ts calls: a check answered in an incident's thread becomes a finding. */
  onFinding(slack: SlackTarget, jobId: string, diagnosis: Diagnosis): Promise<void>;
  close(): Promise<void>;
}

export function createIncidentJobs(options: IncidentJobsOptions): IncidentJobs {
  const incidents = new IncidentRecorder({ redis: options.connection, prefix: options.prefix });
  const runs = new RunStore({ redis: options.connection, prefix: options.prefix });
  const queue = new Queue(queueName(options.cluster, 'checks'), { connection: options.connection, prefix: options.prefix });
  queue.on('error', (err) => options.onQueueError?.(err, queue.name));
  // A runbook's watch step starts a watch as `/podnet watch` would, answering in the run's thread.
  const startWatch: RunbookJobDeps['startWatch'] = (cmd, slack, requestId) =>
    enqueueWatchOrSweep({ redis: options.connection, prefix: options.prefix, cluster: options.cluster, queueOf: () => queue, opts: jobOptions() }, cmd, { slack, requestId, cluster: options.cluster });
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
  const incident = createIncidentProcessor({ poster: options.deps.poster, incidents, logger: options.deps.logger });
  const runbook = createRunbookProcessor({ processor: options.deps, incidents, runs, runbooks, queue, startWatch });
  return {
    incident,
    runbook,
    onFinding: (slack, jobId, diagnosis) => incidents.onFinding(slack, jobId, diagnosis),
    async close() {
      await queue.close();
    },
  };
}
