/**
 * The producer's side of `incident …` and `runbook …` (called from createProducer in
 * src/queue/enqueue.ts): one job on the cluster's `checks` queue. The bot-side hooks
 * (slack-hooks.ts) have already routed the command to the incident's thread.
 */
import { randomUUID } from 'node:crypto';
import type { IncidentCommand, RunbookCommand } from '../commands/grammar.js';
import { JOB_NAMES, type IncidentPayload, type RunbookPayload } from '../queue/contracts.js';
import { safeJobId, type EnqueueContext, type EnqueueResult, type ProducerEnv } from '../queue/enqueue-types.js';

/** Queues an `incident` or `runbook` job; returns its id. */
export async function enqueueIncidentOrRunbook(
  d: Pick<ProducerEnv, 'cluster' | 'queueOf' | 'opts'>,
  cmd: IncidentCommand | RunbookCommand,
  ctx: EnqueueContext,
): Promise<EnqueueResult> {
  const requestId = ctx.requestId ?? randomUUID();
  const requestedAt = (ctx.now?.() ?? new Date()).toISOString();
  if (cmd.verb === 'incident') {
    const cluster = ctx.cluster ?? d.cluster;
    const jobId = safeJobId(`incident-${cmd.action}-${requestId}`);
    const payload: IncidentPayload = {
      requestId,
      cluster,
      slack: ctx.slack,
      requestedAt,
      action: cmd.action,
      ...(cmd.action === 'open' && { title: cmd.title }),
    };
    await d.queueOf(cluster).add(JOB_NAMES.incident, payload, { ...d.opts, jobId });
    return { jobId, deduplicated: false };
  }
  const cluster = ctx.cluster ?? (cmd.action === 'run' ? cmd.cluster : undefined) ?? d.cluster;
  const jobId = safeJobId(`runbook-${cmd.action}-${requestId}`);
  const payload: RunbookPayload = {
    requestId,
    cluster,
    namespace: cmd.action === 'run' ? cmd.namespace : '',
    slack: ctx.slack,
    requestedAt,
    action: cmd.action,
    ...(cmd.action !== 'list' && { runbook: cmd.name }),
    ...(cmd.action === 'run' && { pod: cmd.pod }),
  };
  // A run gets two attempts, not the producer's default: its steps are recorded as they go, so
  // the retry resumes from the saved state; beyond that a failure is better reported than repeated.
  await d.queueOf(cluster).add(JOB_NAMES.runbook, payload, { ...d.opts, ...(cmd.action === 'run' && { attempts: 2 }), jobId });
  return { jobId, deduplicated: false };
}
