/**
 * `collect-logs` (child of `check`): bounded, streamed collection of every container's log,
 * current and previous, scanned for known signatures. Runs beside `probe`, not after it.
 */
import type { Job } from 'bullmq';
import type { CheckPayload, CollectLogsResult } from '../src/queue/contracts.js';
import { checkRequestOf, runJob, type ProcessorDeps } from '../src/queue/processor-deps.js';

export function createCollectLogsProcessor(deps: ProcessorDeps): (job: Job<CheckPayload, CollectLogsResult>) => Promise<CollectLogsResult> {
  return (job) =>
    runJob(async () => {
      const { logs, steps } = await deps.collectLogs(deps.clusterAccess, checkRequestOf(job.data), undefined);
      return { kind: 'collect-logs', logs, steps };
    });
}
