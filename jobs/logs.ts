/**
 * `logs` (the `logs POD [-c C] [--previous] [--since D] [--grep RE]` command): one bounded,
 * streamed read of one container's log, scanned for known signatures (and the user's
 * pattern), posted as one message: what matched and the last lines (secrets masked by the
 * scanner). In its thread: the whole bounded log as a file, secrets redacted, with a short
 * excerpt of the matched lines as the file's comment.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { LogEvidence } from '../src/evidence.js';
import { describeError, isPermanent, PodnetError } from '../src/errors.js';
import { compileGrep } from '../src/logscan/grep.js';
import { redactLines } from '../src/logscan/redact.js';
import { scanLog, type LogLine } from '../src/logscan/scan.js';
import type { LogsPayload, LogsResult } from '../src/queue/contracts.js';
import { runJob, type ProcessorDeps } from '../src/queue/processor-deps.js';
import { undeliveredText, userTarget } from '../src/queue/report-failure.js';
import { findSlackCallError } from '../src/slack/slack-errors.js';
import { context, escapeMrkdwn, finishMessages, header, inlineMrkdwn, joinMrkdwn, md, sections, type Mrkdwn, type SlackMessage } from '../src/render/slack-limits.js';

/** Bounds of one `logs` read: what a person can read in Slack, and what Redis should carry. */
export const LOGS_BOUNDS = {
  tailLines: 5000,
  limitBytes: 2 * 1024 * 1024,
  shownLines: 40,
  excerptLines: 15,
  grepLines: 500,
  /** A line of the uploaded file longer than this is cut (and says so) before redaction. */
  fileLineChars: 16 * 1024,
  /** Time budget of the read and scan; past it the job is cancelled and the user told. */
  budgetMs: 60_000,
} as const;

/** The annotation `kubectl logs` honours when a pod has several containers. */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

const codeSafe = (l: LogLine): string => `${l.at ? `${l.at} ` : ''}${l.text}`.replace(/```/g, "'''");

/** The lines to quote: the `--grep` hits, else the lines that matched a known signature, in log order. */
export function matchedExcerpt(log: LogEvidence, grepLines: LogLine[] | undefined, max: number = LOGS_BOUNDS.excerptLines): LogLine[] {
  if (grepLines !== undefined) return grepLines.slice(0, max);
  const seen = new Set<string>();
  const lines: LogLine[] = [];
  for (const m of [...log.matches].sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''))) {
    const k = `${m.at ?? ''} ${m.line}`;
    if (seen.has(k)) continue;
    seen.add(k);
    lines.push({ ...(m.at !== undefined && { at: m.at }), text: m.line });
  }
  return lines.slice(0, max);
}

/** A pattern in a code span: escaped, and a backtick in it cannot end the span early. */
const codeSpan = (text: string): Mrkdwn => md`\`${text.replace(/`/g, "'")}\``;

/**
 * The file's comment in the thread (Slack renders it as mrkdwn): a short excerpt of the
 * matched lines, bounded, every outside text escaped.
 */
export function renderExcerptComment(data: LogsPayload, log: LogEvidence, excerpt: LogLine[], grepCount: number | undefined): Mrkdwn {
  const pattern = data.grep !== undefined ? codeSpan(data.grep) : undefined;
  const what = pattern ? md`${grepCount ?? excerpt.length} line${grepCount === 1 ? '' : 's'} matching ${pattern}` : md`lines matching a known signature`;
  const head = md`Full log of ${data.pod}/${log.container}${log.previous ? ' (previous)' : ''} attached (${log.lines} lines, secrets redacted).`;
  if (excerpt.length === 0) return md`${head} No ${pattern ? md`line matches ${pattern}` : 'line matches a known signature'}.`;
  const body = excerpt.map((l) => codeSafe(l).replace(/\r?\n|\r/g, " ⏎ ").slice(0, 300)).join('\n').slice(0, 3000);
  const shown = excerpt.length < (grepCount ?? excerpt.length) ? ` (first ${excerpt.length})` : '';
  return md`${head} ${what}${shown}:\n\`\`\`\n${escapeMrkdwn(body)}\n\`\`\``;
}

/** Pure: the Slack message for one scanned log. */
export function renderLogsMessage(data: LogsPayload, log: LogEvidence, grep?: { count: number; lines: LogLine[] }): SlackMessage[] {
  const which = `${data.pod}/${log.container}${log.previous ? ' (previous)' : ''} in ${data.namespace}`;
  const counts = new Map<string, number>();
  for (const m of log.matches) counts.set(m.signature, (counts.get(m.signature) ?? 0) + 1);
  const found = [...counts].map(([sig, n]) => md`\`${sig}\` ×${log.signatureCounts?.[sig as keyof typeof log.signatureCounts] ?? n}`);
  const tail = log.tail.slice(-LOGS_BOUNDS.shownLines).map(codeSafe);
  const grepBlocks =
    data.grep === undefined || !grep
      ? []
      : sections(
          md`*Lines matching* ${codeSpan(data.grep)}: ${grep.count}${grep.count > LOGS_BOUNDS.excerptLines ? ` (first ${LOGS_BOUNDS.excerptLines} below, all in the file)` : ''}`,
          grep.lines.slice(0, LOGS_BOUNDS.excerptLines).map((l) => inlineMrkdwn(codeSafe(l))),
          { code: grep.lines.length > 0 },
        );
  const blocks = [
    header(`Logs: ${which}`),
    context(
      md`${log.lines} lines, ${log.bytes} bytes${log.truncated ? ' (cut at the bound)' : ''}`,
      ...(log.firstAt && log.lastAt ? [md`${log.firstAt} → ${log.lastAt}`] : []),
    ),
    ...sections(md`*Known signatures*`, found.length ? found : [md`none of the known signatures matched`]),
    ...grepBlocks,
    ...(tail.length ? sections(md`*Last ${tail.length} lines*`, tail.map((l) => inlineMrkdwn(l)), { code: true }) : []),
  ];
  const grepText = data.grep !== undefined && grep ? md`; ${grep.count} line${grep.count === 1 ? '' : 's'} matching ${data.grep}` : '';
  return finishMessages(md`Logs of ${which}: ${found.length ? joinMrkdwn(found, ', ') : 'no known signature'}${grepText}`, blocks);
}

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
        const text = inlineMrkdwn(`Could not read the logs of ${job.data.pod} in ${job.data.namespace}: ${describeError(err)}${hint}`).text;
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
        const note = `:warning: Could not attach the full log (${LOGS_BOUNDS.tailLines} lines at most) as a file: Slack said \`${s.slackCode}\` — ${s.info.meaning}. The summary above stands; ${s.info.action}`;
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
