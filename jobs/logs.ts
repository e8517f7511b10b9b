/**
 * `logs` (the `logs POD [-c C] [--previous] [--since D] [--grep RE]` command): one bounded,
 * streamed read of one container's log, scanned for known signatures (and the user's
 * pattern), posted as one message: what matched and the last lines (secrets masked by the
 * scanner). In its thread: the whole bounded log as a file, secrets redacted, with a short
 * excerpt of the matched lines as the file's comment.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { describeError, isPermanent, PodnetError } from '../src/errors.js';
import { compileGrep } from '../src/logscan/grep.js';
import { redactLines } from '../src/logscan/redact.js';
import { scanLog } from '../src/logscan/scan.js';
import type { LogsPayload, LogsResult } from '../src/queue/contracts.js';
import { runJob, type ProcessorDeps } from '../src/queue/processor-deps.js';
import { undeliveredText, userTarget } from '../src/queue/report-failure.js';
import { findSlackCallError } from '../src/slack/slack-errors.js';
import { LOGS_BOUNDS } from '../src/logscan/bounds.js';
import { matchedExcerpt, renderExcerptComment, renderLogFileRefused, renderLogsFailed, renderLogsMessage } from '../src/render/logs.js';

/** The annotation `kubectl logs` honours when a pod has several containers. */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** Options of {@link createLogsProcessor}. */
export interface LogsProcessorOptions {
  /** Time budget of the read and scan. Default {@link LOGS_BOUNDS}.budgetMs. */
  budgetMs?: number;
  /** Clock (ms since the epoch). Default `Date.now`. */
  now?: () => number;
}

/** True for the error {@link scanLog} throws when a read runs past its time budget. */
function overBudget(err: unknown): boolean {
  return err instanceof PodnetError && err.code === 'timeout' && err.detail?.budgetExceeded === true;
}

export function createLogsProcessor(deps: ProcessorDeps, options: LogsProcessorOptions = {}): (job: Job<LogsPayload, LogsResult>) => Promise<LogsResult> {
  const read = readAndPost(deps, options);
  return async (job) => {
    try {
      return await runJob(() => read(job));
    } catch (err) {
      // Over budget: the same read would run over again, so it is not retried.
      const budget = overBudget(err);
      // Tell the user when this was the last try (a permanent error, or retries used up). A
      // Slack failure is not a failed read: the worker's failed handler tells the user that
      // (src/queue/report-failure.ts).
      const last = budget || err instanceof UnrecoverableError || isPermanent(err) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (last && !findSlackCallError(err)) {
        const hint = budget ? ` (budget ${Math.round((options.budgetMs ?? LOGS_BOUNDS.budgetMs) / 1000)} s). Ask for less: --since 10m, or one container with -c.` : '';
        const text = renderLogsFailed(job.data, describeError(err), hint).text;
        // The notice failing must not change how the job fails (a thrown post error would
        // retry it and read the log again): reach the user another way instead.
        await deps.poster
          .post({
            channel: job.data.slack.channel,
            text,
            ...(job.data.slack.threadTs !== undefined && { thread_ts: job.data.slack.threadTs }),
            idempotencyKey: `${job.id ?? job.data.requestId}-logs-error`,
          })
          .catch(async (postErr: unknown) => {
            const s = findSlackCallError(postErr);
            const asker = userTarget(job.data);
            if (asker && deps.poster.tellUser) {
              await deps.poster.tellUser(asker, s ? `${text}\n${undeliveredText('this notice', job.data.slack.channel, s)}` : text, { onceKey: `${job.id ?? job.data.requestId}-logs-error` });
            }
          });
      }
      if (budget) throw new UnrecoverableError(describeError(err));
      throw err;
    }
  };
}

function readAndPost(deps: ProcessorDeps, options: LogsProcessorOptions): (job: Job<LogsPayload, LogsResult>) => Promise<LogsResult> {
  const now = options.now ?? Date.now;
  return async (job) => {
    const started = now();
    const data = job.data;
    const jobId = job.id ?? data.requestId;
    let container = data.container;
    if (container === undefined) {
      const pod = await deps.clusterAccess.getPod(data.namespace, data.pod);
      const names = pod.spec?.containers.map((c) => c.name) ?? [];
      // Like `kubectl logs`: the pod's default-container annotation picks one of several.
      const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
      if (names.length === 1) container = names[0]!;
      else if (annotated !== undefined && names.includes(annotated)) container = annotated;
      else throw new PodnetError('bad-input', `${data.pod} has ${names.length} containers (${names.join(', ')}); name one with -c CONTAINER.`);
    }
    const previous = data.previous ?? false;
    const chunks = await deps.clusterAccess.streamLog(data.namespace, data.pod, {
      container,
      previous,
      timestamps: true,
      tailLines: LOGS_BOUNDS.tailLines,
      limitBytes: LOGS_BOUNDS.limitBytes,
      ...(data.sinceSeconds !== undefined && { sinceSeconds: data.sinceSeconds }),
    });
    // Keep the bounded raw log beside the scan, for the file (the read is bounded by limitBytes).
    const raw: Buffer[] = [];
    let rawBytes = 0;
    const tee = async function* (): AsyncIterable<Buffer> {
      for await (const chunk of chunks) {
        if (rawBytes < LOGS_BOUNDS.limitBytes) {
          raw.push(chunk);
          rawBytes += chunk.length;
        }
        yield chunk;
      }
    };
    const grepRe = data.grep !== undefined ? compileGrep(data.grep) : undefined;
    const { grepLines, grepCount, matchedLines: _m, ...log } = await scanLog(tee(), {
      container,
      previous,
      tailLines: LOGS_BOUNDS.shownLines,
      ...(grepRe && { grep: grepRe, grepMax: LOGS_BOUNDS.grepLines }),
      deadline: started + (options.budgetMs ?? LOGS_BOUNDS.budgetMs),
      now,
    });
    const grep = grepRe ? { count: grepCount ?? 0, lines: grepLines ?? [] } : undefined;
    const messages = renderLogsMessage(data, log, grep);
    let messageTs: string | undefined;
    for (const [i, msg] of messages.entries()) {
      const res = await deps.poster.post({
        channel: data.slack.channel,
        text: msg.text,
        blocks: msg.blocks,
        ...((data.slack.threadTs ?? messageTs) !== undefined && { thread_ts: data.slack.threadTs ?? messageTs }),
        idempotencyKey: `${jobId}-logs-${i}`,
      });
      messageTs ??= res?.ts;
    }
    let uploaded = true;
    if (deps.poster.uploadFile) {
      const excerpt = matchedExcerpt(log, grep?.lines);
      const threadTs = data.slack.threadTs ?? messageTs;
      await deps.poster.uploadFile({
        channel: data.slack.channel,
        ...((data.slack.threadTs ?? messageTs) !== undefined && { thread_ts: data.slack.threadTs ?? messageTs }),
        filename: `${data.pod}-${container}${previous ? '-previous' : ''}.log`,
        title: `${data.pod}/${container}${previous ? ' (previous)' : ''} in ${data.namespace} — secrets redacted`,
        content: redactLines(Buffer.concat(raw).toString('utf8'), LOGS_BOUNDS.fileLineChars),
        initialComment: renderExcerptComment(data, log, excerpt, grep?.count).text,
        idempotencyKey: `${jobId}-logs-file`,
      }).catch(async (err: unknown) => {
        // The log was read and its summary posted: a refused upload is not a failed read and
        // must not retry the job. Say so in the thread, else to the user directly.
        const s = findSlackCallError(err);
        if (!s) throw err;
        uploaded = false;
        deps.logger.warn({ jobId, slackCode: s.slackCode }, 'could not upload the log file');
        const what = `the full log of ${data.pod}/${container} as a file`;
        const note = renderLogFileRefused(s.slackCode, s.info.meaning, s.info.action);
        try {
          await deps.poster.post({ channel: data.slack.channel, text: note, ...(threadTs !== undefined && { thread_ts: threadTs }), idempotencyKey: `${jobId}-logs-file-failed` });
        } catch {
          const asker = userTarget(data);
          if (asker && deps.poster.tellUser) await deps.poster.tellUser(asker, undeliveredText(what, data.slack.channel, s), { onceKey: `${jobId}-logs-file` });
        }
      });
    }
    return {
      logs: [log],
      steps: [
        { name: `logs:${container}${previous ? ':previous' : ''}`, ok: true },
        ...(uploaded ? [] : [{ name: 'upload-log-file', ok: false, error: 'Slack refused the upload', code: 'unavailable' as const }]),
      ],
      ...(messageTs !== undefined && { messageTs }),
    };
  };
}
