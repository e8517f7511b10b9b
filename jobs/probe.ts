/**
 * `probe` (child of `check`): posts the channel message "Checking POD in NS…" first — so the
 * user sees life within a second — then collects every piece of evidence except logs.
 */
import type { Job } from 'bullmq';
import { postKeys, type CheckPayload, type ProbeResult } from '../src/queue/contracts.js';
import { runJob, type ProcessorDeps } from '../src/queue/processor-deps.js';

/** Idempotency keys are those of the parent, so every post of one check shares one key space. */
export function parentIdOf(job: Job): string {
  return job.parent?.id ?? job.id ?? job.data?.requestId;
}

/** Posts (idempotently) the progress message of a check; returns its ts. */
export async function postProgress(deps: ProcessorDeps, parentId: string, data: CheckPayload): Promise<string | undefined> {
  const msg = deps.renderProgress({ namespace: data.namespace, pod: data.pod }, `Checking ${data.pod} in ${data.namespace}…`);
  const res = await deps.poster.post({
    channel: data.slack.channel,
    text: msg.text,
    ...(msg.blocks && { blocks: msg.blocks }),
    ...(data.slack.threadTs !== undefined && { thread_ts: data.slack.threadTs }),
    idempotencyKey: postKeys.progress(parentId),
  });
  return res?.ts;
}

export function createProbeProcessor(deps: ProcessorDeps): (job: Job<CheckPayload, ProbeResult>) => Promise<ProbeResult> {
  return (job) =>
    runJob(async () => {
      const data = job.data;
      const progressTs = await postProgress(deps, parentIdOf(job), data);
      const evidence = await deps.collectEvidence(
        deps.clusterAccess,
        {
          namespace: data.namespace,
          pod: data.pod,
          ...(data.client !== undefined && { client: data.client }),
          ...(data.server !== undefined && { server: data.server }),
          ...(data.port !== undefined && { port: data.port }),
          ...(data.debugContainerImage !== undefined && { debugContainerImage: data.debugContainerImage }),
        },
        { skipLogs: true },
      );
      return { kind: 'probe', evidence, ...(progressTs !== undefined && { progressTs }) };
    });
}
