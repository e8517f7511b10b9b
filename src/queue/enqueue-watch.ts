/**
 * The producer's side of `watch`, `watch stop` and `sweep` (called from createProducer in
 * enqueue.ts). A watch is not a job but a BullMQ job scheduler plus its state in Redis; a
 * stop unschedules at once (so no further run starts even if every worker is busy) and queues
 * one job per cluster that posts the final messages. A sweep is one job.
 */
import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { RedisClient } from './redis.js';
import type { SweepCommand, WatchCommand, WatchStartCommand, WatchStopCommand } from '../commands/grammar.js';
import { PodnetError } from '../errors.js';
import { MAX_WATCHES_PER_CHANNEL, selectWatches, startWatch, unscheduleWatches } from '../watch/scheduler.js';
import { WatchStore } from '../watch/store.js';
import { JOB_NAMES, type SweepPayload, type WatchPayload } from './contracts.js';
import type { EnqueueContext, EnqueueResult } from './enqueue.js';

export interface WatchSweepProducerDeps {
  redis: RedisClient;
  /** The queues' Redis prefix (the watch state lives beside them). */
  prefix: string;
  /** The producer's cluster when the command names none. */
  cluster: string;
  queueOf(cluster: string): Queue;
  opts: JobsOptions;
  /**
   * Test-only: multiplies `--every` and `--for` (0.1 turns `--every 10s` into one second).
   * The grammar keeps user input at ≥ 10 s; end-to-end tests need faster watches.
   */
  watchIntervalScale?: number;
}

const safeId = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 120);

async function startWatchCommand(d: WatchSweepProducerDeps, cmd: WatchStartCommand, ctx: EnqueueContext): Promise<EnqueueResult> {
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

async function stopWatchCommand(d: WatchSweepProducerDeps, cmd: WatchStopCommand, ctx: EnqueueContext): Promise<EnqueueResult> {
  const store = new WatchStore(d.redis, d.prefix);
  const chosen = selectWatches(await store.running(ctx.slack.channel), cmd.pod, cmd.namespace);
  if (chosen.length === 0) {
    const what = cmd.pod ? `of ${cmd.pod}${cmd.namespace ? ` in ${cmd.namespace}` : ''} ` : '';
    throw new PodnetError('bad-input', `No watch ${what}is running in this channel; start one with \`watch POD -n NAMESPACE\`.`);
  }
  await unscheduleWatches(d.queueOf, store, chosen, ctx.slack.user, ctx.now?.());
  const requestId = ctx.requestId ?? randomUUID();
  const jobId = safeId(`watch-stop-${requestId}`);
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
    await d.queueOf(cluster).add(JOB_NAMES.watch, payload, { ...d.opts, jobId: byCluster.size > 1 ? safeId(`${jobId}-${cluster}`) : jobId });
  }
  return { jobId, deduplicated: false };
}

/** Routes `watch …` and `sweep` commands. */
export async function enqueueWatchOrSweep(d: WatchSweepProducerDeps, cmd: WatchCommand | SweepCommand, ctx: EnqueueContext): Promise<EnqueueResult> {
  if (cmd.verb === 'watch') return cmd.action === 'stop' ? stopWatchCommand(d, cmd, ctx) : startWatchCommand(d, cmd, ctx);
  const requestId = ctx.requestId ?? randomUUID();
  const jobId = safeId(`sweep-${requestId}`);
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
