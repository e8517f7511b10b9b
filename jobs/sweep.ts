/**
 * `sweep` (`/podnet sweep [-n NS] [-l SELECTOR]`): runs src/sweep/sweep.ts runSweep through
 * the worker's one rate-limited cluster client (so the sweep keeps to the API rate limit),
 * shows progress by updating one channel message as pods complete (at most one update per
 * `throttleMs`, plus the last), then replaces it with the summary table, unhealthy pods first.
 */
import type { Job } from 'bullmq';
import { describeError } from '../src/errors.js';
import type { SweepPayload } from '../src/queue/contracts.js';
import { runJob, type ProcessorDeps } from '../src/queue/processor-deps.js';
import { renderSweepProgress, renderSweepSlack } from '../src/render/sweep.js';
import type { SlackBlock } from '../src/slack/poster.js';
import { runSweep } from '../src/sweep/sweep.js';

export interface SweepProcessorOptions {
  /** Minimum time between progress updates. Default 1000 ms (Slack allows ~1 update/s per message). */
  throttleMs?: number;
  /** Checks in flight at once (the rate limiter sets the pace). Default runSweep's. */
  concurrency?: number;
}

export interface SweepJobResult {
  namespace: string;
  pods: number;
  unhealthy: number;
  checked: number;
  apiRequests: number;
  durationMs: number;
  /** Progress updates sent (the final table not counted). */
  progressUpdates: number;
  messageTs?: string;
}

export function createSweepProcessor(deps: ProcessorDeps, options: SweepProcessorOptions = {}): (job: Job<SweepPayload, SweepJobResult>) => Promise<SweepJobResult> {
  const throttleMs = options.throttleMs ?? 1000;
  return (job) =>
    runJob(async () => {
      const data = job.data;
      const jobId = job.id ?? data.requestId;
      const channel = data.slack.channel;
      const where = data.selector ? `${data.namespace} (-l ${data.selector})` : data.namespace;
      const first = renderSweepProgress(where, 0, 0, 0);
      const res = await deps.poster.post({
        channel,
        text: `Sweeping ${where}: listing pods…`,
        blocks: first.blocks as SlackBlock[],
        ...(data.slack.threadTs !== undefined && { thread_ts: data.slack.threadTs }),
        idempotencyKey: `${jobId}-progress`,
      });
      const ts = res?.ts;

      // Updates go out one at a time, never more often than throttleMs; the newest numbers win.
      let updates = 0;
      let lastSent = 0;
      let lastStarted = 0;
      let chain: Promise<unknown> = Promise.resolve();
      let latest: { done: number; total: number; unhealthy: number } | undefined;
      let timer: NodeJS.Timeout | undefined;
      const send = () => {
        timer = undefined;
        const p = latest;
        if (!p || ts === undefined) return;
        latest = undefined;
        lastSent = Date.now();
        const msg = renderSweepProgress(where, p.done, p.total, p.unhealthy);
        updates++;
        chain = chain
          .then(async () => {
            // Space the requests themselves, not only their scheduling: an update that left late
            // (a busy event loop, a 429 waited out) must not let the next one follow it closely.
            const gap = lastStarted + throttleMs - Date.now();
            if (gap > 0) await new Promise((r) => setTimeout(r, gap));
            lastStarted = Date.now();
            await deps.poster.update({ channel, ts, text: msg.text, blocks: msg.blocks as SlackBlock[] });
          })
          .catch((err: unknown) => deps.logger.warn({ job: jobId, err: describeError(err) }, 'sweep progress update failed'));
      };
      let unhealthy = 0;
      const onProgress = (done: number, total: number, row: { healthy: boolean }) => {
        if (!row.healthy) unhealthy++;
        latest = { done, total, unhealthy };
        if (done === total) return; // the table replaces the message; no point showing n/n
        const wait = lastSent + throttleMs - Date.now();
        if (wait <= 0) send();
        else timer ??= setTimeout(send, wait);
      };

      try {
        const result = await runSweep(
          deps.clusterAccess,
          { namespace: data.namespace, ...(data.selector !== undefined && { labelSelector: data.selector }) },
          { onProgress, ...(options.concurrency !== undefined && { concurrency: options.concurrency }) },
        );
        clearTimeout(timer);
        await chain;
        const table = renderSweepSlack(result);
        if (ts !== undefined) await deps.poster.update({ channel, ts, text: table.text, blocks: table.blocks as SlackBlock[] });
        const unhealthyPods = result.rows.filter((r) => !r.healthy).length;
        if (unhealthyPods > 0 && deps.renderSweepChartPng && deps.poster.uploadFile) {
          // Under the table: pods by top cause. An extra, like the timeline: logged, never fatal.
          try {
            await deps.poster.uploadFile({
              channel,
              ...(data.slack.threadTs !== undefined && { thread_ts: data.slack.threadTs }),
              filename: `sweep-${data.namespace}.png`,
              title: `Sweep of ${where}: pods by top cause`,
              content: await deps.renderSweepChartPng(result),
              idempotencyKey: `${jobId}-chart`,
            });
          } catch (err) {
            deps.logger.warn({ job: jobId, err: describeError(err) }, 'sweep chart not posted');
          }
        }
        deps.logger.info({ job: jobId, namespace: data.namespace, pods: result.rows.length, ms: result.durationMs }, 'sweep posted');
        return {
          namespace: data.namespace,
          pods: result.rows.length,
          unhealthy: result.rows.filter((r) => !r.healthy).length,
          checked: result.checked,
          apiRequests: result.apiRequests,
          durationMs: result.durationMs,
          progressUpdates: updates,
          ...(ts !== undefined && { messageTs: ts }),
        };
      } catch (err) {
        clearTimeout(timer);
        await chain;
        if (ts !== undefined) {
          const text = `Could not sweep ${where}: ${describeError(err)}`;
          await deps.poster.update({ channel, ts, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:x: ${text}` } }] }).catch(() => undefined);
        }
        throw err;
      }
    });
}
