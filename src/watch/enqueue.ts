/**
 * The producer's side of `watch` and `watch stop` (called from the producer,
 * src/queue/enqueue.ts, and from a runbook's watch step). A watch is not a job but a BullMQ
 * job scheduler plus its state in Redis; a stop unschedules at once (so no further run starts
 * even if every worker is busy) and queues one job per cluster that posts the final messages.
 */
import { randomUUID } from 'node:crypto';
import type { WatchCommand, WatchStartCommand, WatchStopCommand } from '../commands/grammar.js';
import { PodnetError } from '../errors.js';
import { JOB_NAMES, type WatchPayload } from '../queue/contracts.js';
import { safeJobId, type EnqueueContext, type EnqueueResult, type ProducerEnv } from '../queue/enqueue-types.js';
import { MAX_WATCHES_PER_CHANNEL, selectWatches, startWatch, unscheduleWatches } from './scheduler.js';
import { WatchStore } from './store.js';

async function startWatchCommand(d: ProducerEnv, cmd: WatchStartCommand, ctx: EnqueueContext): Promise<EnqueueResult> {
  const store = new WatchStore(d.redis, d.prefix);
  const cluster = ctx.cluster ?? cmd.cluster ?? d.cluster;
  const running = await store.running(ctx.slack.channel);
  const same = running.some((w) => w.cluster === cluster && w.namespace === cmd.namespace && w.pod === cmd.pod);
  if (!same && running.length >= MAX_WATCHES_PER_CHANNEL) {
    throw new PodnetError(
      'bad-input',
      `This channel already has ${running.length} watches running (at most ${MAX_WATCHES_PER_CHANNEL}); stop one with \`watch stop POD\` first.`,
    );
  }
  const scale = d.watchIntervalScale ?? 1;
  const { watchId } = await startWatch(d.queueOf(cluster), store, {
    requestId: ctx.requestId ?? randomUUID(),
    cluster,
    namespace: cmd.namespace,
    pod: cmd.pod,
    slack: ctx.slack,
    everyMs: Math.round(cmd.everySeconds * 1000 * scale),
    forMs: Math.round(cmd.forSeconds * 1000 * scale),
    ...(ctx.now && { now: ctx.now() }),
  });
  return { jobId: watchId, deduplicated: false };
}

async function stopWatchCommand(d: ProducerEnv, cmd: WatchStopCommand, ctx: EnqueueContext): Promise<EnqueueResult> {
  const store = new WatchStore(d.redis, d.prefix);
  const chosen = selectWatches(await store.running(ctx.slack.channel), cmd.pod, cmd.namespace);
  if (chosen.length === 0) {
    const what = cmd.pod ? `of ${cmd.pod}${cmd.namespace ? ` in ${cmd.namespace}` : ''} ` : '';
    throw new PodnetError('bad-input', `No watch ${what}is running in this channel; start one with \`watch POD -n NAMESPACE\`.`);
  }
  await unscheduleWatches(d.queueOf, store, chosen, ctx.slack.user, ctx.now?.());
  const requestId = ctx.requestId ?? randomUUID();
  const jobId = safeJobId(`watch-stop-${requestId}`);
  const byCluster = new Map<string, string[]>();
  for (const w of chosen) byCluster.set(w.cluster, [...(byCluster.get(w.cluster) ?? []), w.id]);
  for (const [cluster, watchIds] of byCluster) {
    const first = chosen.find((w) => w.cluster === cluster)!;
    const payload: WatchPayload = {
      action: 'stop',
      requestId,
      cluster,
      namespace: first.namespace,
      watchIds,
      slack: ctx.slack,
      requestedAt: (ctx.now?.() ?? new Date()).toISOString(),
    };
    await d.queueOf(cluster).add(JOB_NAMES.watch, payload, { ...d.opts, jobId: byCluster.size > 1 ? safeJobId(`${jobId}-${cluster}`) : jobId });
  }
  return { jobId, deduplicated: false };
}

/** Queues `watch POD …` or `watch stop [POD]`. */
export async function enqueueWatch(d: ProducerEnv, cmd: WatchCommand, ctx: EnqueueContext): Promise<EnqueueResult> {
  return cmd.action === 'stop' ? stopWatchCommand(d, cmd, ctx) : startWatchCommand(d, cmd, ctx);
}
