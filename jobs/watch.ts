/**
 * `watch` jobs. The watch's job scheduler (src/watch/scheduler.ts) produces one `run` job per
 * interval; `stop` closes watches the bot has already unscheduled.
 *
 * A run checks the pod exactly as `check` does (probe + logs, merged, diagnosed on the
 * cluster's clock), reduces the result to a snapshot and compares it with the previous one in
 * Redis. It posts only when something changed: the first run posts the baseline (with a Stop
 * button), later runs post the changes in the baseline's thread, a flap episode is announced
 * once. The run that reaches `--for` or the run limit ends the watch with a final message.
 *
 * Every post is keyed by the scheduler job's id (unique per run), so a run re-executed after a
 * worker crash posts nothing twice; the run is recorded in Redis once per job id as well.
 */
import { randomUUID } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import { describeError, PodnetError } from '../src/errors.js';
import type { Evidence } from '../src/evidence.js';
import type { SlackTarget, WatchPayload } from '../src/queue/contracts.js';
import type { ProcessorDeps } from '../src/queue/processor-deps.js';
import { detectFlap, diffSnapshots, snapshotOf, type FlapOptions, type WatchSnapshot } from '../src/watch/changes.js';
import {
  endReasonText,
  renderWatchBaseline,
  renderWatchChanges,
  renderWatchEnd,
  renderWatchFailing,
  renderWatchFlap,
} from '../src/render/watch.js';
import type { WatchState, WatchStore } from '../src/watch/store.js';
import { mergeEvidence, postTimelineChart } from './check.js';

export interface WatchProcessorOptions {
  /** This cluster's `checks` queue (the watches' schedulers live there). */
  checks: Queue;
  store: WatchStore;
  flap?: FlapOptions;
  /** Wall clock, for the `--for` bound. */
  now?: () => number;
}

export interface WatchJobResult {
  action: 'run' | 'stop';
  /** What this run posted: baseline, changes, flap, flap-chart, failing, end. */
  posted: string[];
  skipped?: 'stale' | 'stopped' | 'busy';
  changes?: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createWatchProcessor(deps: ProcessorDeps, options: WatchProcessorOptions): (job: Job<WatchPayload, WatchJobResult>) => Promise<WatchJobResult> {
  const { store, checks } = options;
  const now = options.now ?? Date.now;
  const log = deps.logger;

  /** The pod's evidence, exactly as a `check` gathers it (probe and logs side by side, merged). */
  async function collect(state: WatchState): Promise<Evidence> {
    const request = { namespace: state.namespace, pod: state.pod };
    const [evidence, logs] = await Promise.all([
      deps.collectEvidence(deps.clusterAccess, request, { skipLogs: true }),
      deps.collectLogs(deps.clusterAccess, request, undefined).then(
        (l) => ({ ok: true as const, ...l }),
        (err: unknown) => {
          if (err instanceof PodnetError && err.code === 'not-found') throw err;
          return { ok: false as const, reason: describeError(err) };
        },
      ),
    ]);
    return mergeEvidence(
      { kind: 'probe', evidence },
      logs.ok ? { kind: 'collect-logs', logs: logs.logs, steps: logs.steps } : undefined,
      logs.ok ? undefined : logs.reason,
    );
  }

  function target(state: WatchState, threadTs: string | undefined): Pick<SlackTarget, 'channel'> & { thread_ts?: string } {
    return { channel: state.channel, ...(threadTs !== undefined && { thread_ts: threadTs }) };
  }

  const threadOf = (state: WatchState): string | undefined => state.threadTs ?? state.baselineTs;

  async function refreshBaseline(state: WatchState, status: Parameters<typeof renderWatchBaseline>[2]): Promise<void> {
    if (state.baselineTs === undefined || state.baseline === undefined) return;
    const msg = renderWatchBaseline(state, JSON.parse(state.baseline) as WatchSnapshot, status);
    await deps.poster.update({ channel: state.channel, ts: state.baselineTs, text: msg.text, blocks: msg.blocks }).catch((err: unknown) => {
      // The thread carries the news; a stale status line is not worth failing the run.
      log.warn({ watch: state.id, err: describeError(err) }, 'could not update the watch baseline');
    });
  }

  /** Ends a watch: unschedules it, posts the final message once, updates the baseline. */
  async function end(state: WatchState, reason: string): Promise<void> {
    await checks.removeJobScheduler(state.id);
    await store.set(state.id, { endedAt: now(), endReason: reason });
    const fresh = (await store.get(state.id)) ?? state;
    const why = endReasonText(fresh, reason);
    const msg = renderWatchEnd(fresh, why, fresh.runs, fresh.changes);
    await deps.poster.post({ ...target(fresh, threadOf(fresh)), text: msg.text, blocks: msg.blocks, idempotencyKey: `${state.id}-${state.requestId}-end` });
    const latest = (await store.history(state.id)).at(-1);
    await refreshBaseline(fresh, {
      runs: fresh.runs,
      changes: fresh.changes,
      ...(latest && { latest }),
      ...(fresh.lastChangeAt !== undefined && { lastChangeAt: fresh.lastChangeAt }),
      ended: `Watch ended: ${why}`,
    });
    log.info({ watch: state.id, reason, runs: fresh.runs, changes: fresh.changes }, 'watch ended');
  }

  async function run(job: Job<WatchPayload, WatchJobResult>): Promise<WatchJobResult> {
    const data = job.data;
    const id = data.watchId ?? '';
    const jobId = job.id ?? `${id}-${randomUUID()}`;
    const state = await store.get(id);
    if (!state || state.requestId !== data.requestId) {
      // A run of an older incarnation (the pod was watched again) or of a forgotten watch.
      log.info({ watch: id, job: jobId }, 'stale watch run skipped');
      return { action: 'run', posted: [], skipped: 'stale' };
    }
    if (state.stoppedAt !== undefined || state.endedAt !== undefined) {
      await checks.removeJobScheduler(id);
      return { action: 'run', posted: [], skipped: 'stopped' };
    }
    const token = randomUUID();
    if (!(await store.lock(id, token, Math.max(60_000, state.everyMs * 3)))) {
      log.info({ watch: id, job: jobId }, 'previous watch run still going; this one skipped');
      return { action: 'run', posted: [], skipped: 'busy' };
    }
    const posted: string[] = [];
    try {
      let evidence: Evidence;
      try {
        evidence = await collect(state);
      } catch (err) {
        if (err instanceof PodnetError && err.code === 'not-found') {
          await end(state, 'gone');
          return { action: 'run', posted: ['end'] };
        }
        const reason = describeError(err);
        if (!state.failing) {
          const msg = renderWatchFailing(state, reason);
          await deps.poster.post({ ...target(state, threadOf(state)), text: msg.text, blocks: msg.blocks, idempotencyKey: `${jobId}-failing` });
          posted.push('failing');
        }
        const runs = await store.recordRun(id, jobId, undefined, { failing: reason });
        await endIfDue(state, runs, posted);
        return { action: 'run', posted };
      }

      // The cluster's clock, not the worker's: ages and "N s after the restart" must match it.
      const diagnosis = deps.diagnose(evidence, { now: new Date(evidence.clusterNow ?? evidence.collectedAt) });
      const snap = snapshotOf(evidence, diagnosis);
      const history = await store.history(id);
      // Stopped while this run was collecting: say nothing more.
      if ((await store.get(id))?.stoppedAt !== undefined) return { action: 'run', posted, skipped: 'stopped' };

      const fields: Partial<Record<keyof WatchState, string | number>> = { lastCause: snap.cause, lastConfidence: snap.confidence };
      const prev = history.at(-1);
      let changes: { text: string }[] = [];
      if (!prev || state.baselineTs === undefined) {
        const msg = renderWatchBaseline(state, snap, { runs: state.runs + 1, changes: 0 });
        const res = await deps.poster.post({ ...target(state, state.threadTs), text: msg.text, blocks: msg.blocks, idempotencyKey: `${id}-${state.requestId}-baseline` });
        if (res?.ts !== undefined) {
          fields.baselineTs = res.ts;
          state.baselineTs = res.ts;
        }
        fields.baseline = JSON.stringify(snap);
        state.baseline = fields.baseline;
        posted.push('baseline');
      } else {
        changes = diffSnapshots(prev, snap);
        if (state.failing) changes.unshift({ text: `checks work again (they had failed: ${state.failing})` });
        if (changes.length > 0) {
          const msg = renderWatchChanges(state, changes, snap);
          await deps.poster.post({ ...target(state, threadOf(state)), text: msg.text, blocks: msg.blocks, idempotencyKey: `${jobId}-changes` });
          fields.changes = state.changes + 1;
          fields.lastChangeAt = snap.at;
          posted.push('changes');
        }
      }
      if (state.failing) fields.failing = '';

      const flap = detectFlap([...history, snap], options.flap);
      if (flap && !state.flapping) {
        const msg = renderWatchFlap(state, flap);
        await deps.poster.post({ ...target(state, threadOf(state)), text: msg.text, blocks: msg.blocks, idempotencyKey: `${jobId}-flap` });
        fields.flapping = flap;
        posted.push('flap');
        // The episode as a picture: this check's timeline over the flap window, in the same thread.
        const thread = threadOf(state);
        const windowMs = options.flap?.windowMs ?? 10 * 60_000;
        const chart = await postTimelineChart(deps, {
          channel: state.channel,
          ...(thread !== undefined && { threadTs: thread }),
          chart: { diagnosis, evidence, window: { from: new Date(Date.parse(snap.at) - windowMs).toISOString(), to: snap.at } },
          filename: `${state.pod}-flapping.png`,
          title: `Flapping in ${state.pod} (${state.namespace}): the last ${Math.round(windowMs / 60_000)} min, cluster time (UTC)`,
          idempotencyKey: `${jobId}-flap-timeline`,
        });
        if (chart !== undefined) posted.push('flap-chart');
      } else if (!flap && state.flapping) {
        fields.flapping = '';
      }

      const runs = await store.recordRun(id, jobId, snap, fields);
      if (posted.includes('changes')) {
        await refreshBaseline({ ...state, ...(fields.baselineTs !== undefined && { baselineTs: String(fields.baselineTs) }) }, {
          runs,
          changes: state.changes + 1,
          latest: snap,
          lastChangeAt: snap.at,
        });
      }
      await endIfDue(state, runs, posted);
      return { action: 'run', posted, ...(changes.length > 0 && { changes: changes.map((c) => c.text) }) };
    } finally {
      await store.unlock(id, token);
    }
  }

  async function endIfDue(state: WatchState, runs: number, posted: string[]): Promise<void> {
    const reason = runs >= state.maxRuns ? 'count' : now() + state.everyMs > state.endsAt ? 'time' : undefined;
    if (reason === undefined) return;
    await end((await store.get(state.id)) ?? state, reason);
    posted.push('end');
  }

  /** Closes watches the bot unscheduled: waits for a run in flight, then posts the final word. */
  async function stop(job: Job<WatchPayload, WatchJobResult>): Promise<WatchJobResult> {
    const posted: string[] = [];
    for (const id of job.data.watchIds ?? []) {
      const state = await store.get(id);
      if (!state) continue;
      if (state.endedAt !== undefined && state.endReason !== 'stopped') continue; // it ended on its own first
      const token = randomUUID();
      // A run in flight finishes first (bounded wait), so the final message is the last one.
      const until = now() + 15_000;
      while (!(await store.lock(id, token, 30_000)) && now() < until) await sleep(100);
      try {
        await end(state, 'stopped');
        posted.push('end');
      } finally {
        await store.unlock(id, token);
      }
    }
    return { action: 'stop', posted };
  }

  return (job) => (job.data.action === 'stop' ? stop(job) : run(job));
}
