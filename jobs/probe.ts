/**
 * `probe` (child of `check`): collects every piece of evidence except logs — pod, events,
 * node, policies, services, and the exec probes inside the pod.
 */
import type { Job } from 'bullmq';
import type { CheckPayload, ProbeResult } from '../src/queue/contracts.js';
import { checkRequestOf, runJob, type ProcessorDeps } from '../src/queue/processor-deps.js';

export function createProbeProcessor(deps: ProcessorDeps): (job: Job<CheckPayload, ProbeResult>) => Promise<ProbeResult> {
  return (job) =>
    runJob(async () => {
      const data = job.data;
      const evidence = await deps.collectEvidence(
        deps.clusterAccess,
        {
          ...checkRequestOf(data),
          ...(data.debugContainerImage !== undefined && { debugContainerImage: data.debugContainerImage }),
        },
        { skipLogs: true },
      );
      return { kind: 'probe', evidence };
    });
}
