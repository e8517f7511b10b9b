/**
 * The producer's side of `sweep` (called from the producer, src/queue/enqueue.ts): one job on
 * the cluster's `checks` queue.
 */
import { randomUUID } from 'node:crypto';
import type { SweepCommand } from '../commands/grammar.js';
import { JOB_NAMES, type SweepPayload } from '../queue/contracts.js';
import { safeJobId, type EnqueueContext, type EnqueueResult, type ProducerEnv } from '../queue/enqueue-types.js';

/** Queues `sweep -n NAMESPACE [-l SELECTOR]`. */
export async function enqueueSweep(d: ProducerEnv, cmd: SweepCommand, ctx: EnqueueContext): Promise<EnqueueResult> {
  const requestId = ctx.requestId ?? randomUUID();
  const jobId = safeJobId(`sweep-${requestId}`);
  const cluster = ctx.cluster ?? cmd.cluster ?? d.cluster;
  const payload: SweepPayload = {
    requestId,
    cluster,
    namespace: cmd.namespace,
    ...(cmd.selector !== undefined && { selector: cmd.selector }),
    slack: ctx.slack,
    requestedAt: (ctx.now?.() ?? new Date()).toISOString(),
  };
  // One attempt: a sweep re-run from the start after a failure would repeat every check;
  // the user can simply ask again.
  await d.queueOf(cluster).add(JOB_NAMES.sweep, payload, { ...d.opts, attempts: 1, jobId });
  return { jobId, deduplicated: false };
}
