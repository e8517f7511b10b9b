/**
 * Starting and stopping watches. A watch is a BullMQ job scheduler on the cluster's `checks`
 * queue producing one `watch` job per interval; the scheduler lives in Redis, so a watch
 * survives worker restarts and redeploys. Its bounds are enforced twice: the run that
 * reaches `--for` or the run count ends the watch itself (with a final message), and the
 * scheduler's own `endDate` and `limit` stop it even if that run never happens.
 */
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import { JOB_NAMES, type SlackTarget, type WatchPayload } from '../queue/contracts.js';
import type { WatchState, WatchStore } from './store.js';

/** At most this many checks per watch, whatever `--for` / `--every` say (24 h at 30 s). */
export const MAX_WATCH_RUNS = 2880;
/** At most this many running watches per channel. */
export const MAX_WATCHES_PER_CHANNEL = 20;

const SAFE = /[^A-Za-z0-9_.-]/g;

/**
 * The scheduler id of a watch: one per cluster, namespace, pod and channel, so watching the
 * same pod again from the same channel replaces the watch instead of doubling it. BullMQ
 * forbids ':' in ids; long names are shortened with a hash suffix.
 */
export function watchSchedulerId(t: { cluster: string; namespace: string; pod: string; channel: string }): string {
  const readable = `watch-${t.cluster}-${t.channel}-${t.namespace}-${t.pod}`.replace(SAFE, '-');
  if (readable.length <= 120) return readable;
  const hash = createHash('sha256').update(readable).digest('hex').slice(0, 16);
  return `${readable.slice(0, 100)}-${hash}`;
}

export interface StartWatchRequest {
  requestId: string;
  cluster: string;
  namespace: string;
  pod: string;
  slack: SlackTarget;
  everyMs: number;
  forMs: number;
  /** Clock, for tests. */
  now?: Date;
}

/** Runs a `--for` of `forMs` at `everyMs` allows, capped by {@link MAX_WATCH_RUNS}. */
export function maxRunsOf(everyMs: number, forMs: number): number {
  return Math.max(1, Math.min(MAX_WATCH_RUNS, Math.floor(forMs / everyMs) + 1));
}

/**
 * Records the watch's state and upserts its job scheduler; the first check runs at once.
 * Returns the scheduler id. `everyMs` is not bounded here (the grammar bounds user input to
 * ≥ 10 s; tests run faster).
 */
export async function startWatch(queue: Queue, store: WatchStore, req: StartWatchRequest): Promise<{ watchId: string; replaced: boolean }> {
  const watchId = watchSchedulerId({ cluster: req.cluster, namespace: req.namespace, pod: req.pod, channel: req.slack.channel });
  const now = (req.now ?? new Date()).getTime();
  const maxRuns = maxRunsOf(req.everyMs, req.forMs);
  const previous = await store.get(watchId);
  const replaced = previous !== undefined && previous.stoppedAt === undefined && previous.endedAt === undefined;
  const state: WatchState = {
    id: watchId,
    requestId: req.requestId,
    cluster: req.cluster,
    namespace: req.namespace,
    pod: req.pod,
    channel: req.slack.channel,
    ...(req.slack.threadTs !== undefined && { threadTs: req.slack.threadTs }),
    user: req.slack.user,
    everyMs: req.everyMs,
    endsAt: now + req.forMs,
    startedAt: now,
    maxRuns,
    runs: 0,
    changes: 0,
  };
  await store.create(state);
  const data: WatchPayload = {
    action: 'run',
    requestId: req.requestId,
    cluster: req.cluster,
    namespace: req.namespace,
    pod: req.pod,
    watchId,
    slack: req.slack,
    requestedAt: new Date(now).toISOString(),
  };
  await queue.upsertJobScheduler(
    watchId,
    // Backstops only: the runs end the watch themselves, one interval before these bite.
    { every: req.everyMs, limit: maxRuns + 1, endDate: now + req.forMs + req.everyMs },
    {
      name: JOB_NAMES.watch,
      data,
      // A failed run is not retried (the next interval is the retry); keep little history.
      opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 20 } },
    },
  );
  return { watchId, replaced };
}

/**
 * Unschedules the given watches and marks them stopped (a run already in flight sees the mark
 * and posts nothing). Returns the ids actually stopped.
 */
export async function unscheduleWatches(queueOf: (cluster: string) => Queue, store: WatchStore, watches: WatchState[], by: string, now = new Date()): Promise<string[]> {
  const stopped: string[] = [];
  for (const w of watches) {
    await queueOf(w.cluster).removeJobScheduler(w.id);
    await store.set(w.id, { stoppedAt: now.getTime(), stoppedBy: by });
    stopped.push(w.id);
  }
  return stopped;
}

/**
 * The running watches a `watch stop [POD] [-n NS]` names in a channel: all of them without a
 * pod; with one, those of that pod in that namespace, else (the namespace was only the
 * channel's default) those of that pod in any namespace.
 */
export function selectWatches(running: WatchState[], pod: string | undefined, namespace: string | undefined): WatchState[] {
  if (pod === undefined) return namespace === undefined ? running : running.filter((w) => w.namespace === namespace);
  const exact = running.filter((w) => w.pod === pod && (namespace === undefined || w.namespace === namespace));
  return exact.length > 0 ? exact : running.filter((w) => w.pod === pod);
}
