/**
 * `logs` (the `logs POD [-c C] [--previous] [--since D]` command): one bounded, streamed read
 * of one container's log, scanned for known signatures, posted as one message: what matched,
 * and the last lines in a code block (secrets masked by the scanner).
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { LogEvidence } from '../src/evidence.js';
import { describeError, isPermanent, PodnetError } from '../src/errors.js';
import { scanLog } from '../src/logscan/scan.js';
import type { LogsPayload, LogsResult } from '../src/queue/contracts.js';
import { runJob, type ProcessorDeps } from '../src/queue/processor-deps.js';
import { context, escapeMrkdwn, finishMessages, header, sections, type SlackMessage } from '../src/render/slack-limits.js';

/** Bounds of one `logs` read: what a person can read in Slack, and what Redis should carry. */
export const LOGS_BOUNDS = { tailLines: 5000, limitBytes: 2 * 1024 * 1024, shownLines: 40 } as const;

/** Pure: the Slack message for one scanned log. */
export function renderLogsMessage(data: LogsPayload, log: LogEvidence): SlackMessage[] {
  const which = `${data.pod}/${log.container}${log.previous ? ' (previous)' : ''} in ${data.namespace}`;
  const counts = new Map<string, number>();
  for (const m of log.matches) counts.set(m.signature, (counts.get(m.signature) ?? 0) + 1);
  const found = [...counts].map(([sig, n]) => `\`${sig}\` ×${log.signatureCounts?.[sig as keyof typeof log.signatureCounts] ?? n}`);
  const tail = log.tail.slice(-LOGS_BOUNDS.shownLines).map((l) => `${l.at ? `${l.at} ` : ''}${l.text}`.replace(/```/g, "'''"));
  const blocks = [
    header(`Logs: ${which}`),
    context(
      `${log.lines} lines, ${log.bytes} bytes${log.truncated ? ' (cut at the bound)' : ''}`,
      ...(log.firstAt && log.lastAt ? [`${log.firstAt} → ${log.lastAt}`] : []),
    ),
    ...sections('*Known signatures*', found.length ? found : ['none of the known signatures matched']),
    ...(tail.length ? sections(`*Last ${tail.length} lines*`, tail.map(escapeMrkdwn), { code: true }) : []),
  ];
  return finishMessages(`Logs of ${which}: ${found.length ? found.join(', ') : 'no known signature'}`, blocks);
}

export function createLogsProcessor(deps: ProcessorDeps): (job: Job<LogsPayload, LogsResult>) => Promise<LogsResult> {
  const read = readAndPost(deps);
  return async (job) => {
    try {
      return await runJob(() => read(job));
    } catch (err) {
      // Tell the user when this was the last try (a permanent error, or retries used up).
      const last = err instanceof UnrecoverableError || isPermanent(err) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (last) {
        await deps.poster.post({
          channel: job.data.slack.channel,
          text: `Could not read the logs of ${job.data.pod} in ${job.data.namespace}: ${describeError(err)}`,
          ...(job.data.slack.threadTs !== undefined && { thread_ts: job.data.slack.threadTs }),
          idempotencyKey: `${job.id ?? job.data.requestId}-logs-error`,
        });
      }
      throw err;
    }
  };
}

function readAndPost(deps: ProcessorDeps): (job: Job<LogsPayload, LogsResult>) => Promise<LogsResult> {
  return async (job) => {
    const data = job.data;
    const jobId = job.id ?? data.requestId;
    let container = data.container;
    if (container === undefined) {
      const pod = await deps.clusterAccess.getPod(data.namespace, data.pod);
      const names = pod.spec?.containers.map((c) => c.name) ?? [];
      if (names.length !== 1) {
        throw new PodnetError('bad-input', `${data.pod} has ${names.length} containers (${names.join(', ')}); name one with -c CONTAINER.`);
      }
      container = names[0]!;
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
    const { grepLines: _g, grepCount: _c, matchedLines: _m, ...log } = await scanLog(chunks, { container, previous, tailLines: LOGS_BOUNDS.shownLines });
    const messages = renderLogsMessage(data, log);
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
    return { logs: [log], steps: [{ name: `logs:${container}${previous ? ':previous' : ''}`, ok: true }], ...(messageTs !== undefined && { messageTs }) };
  };
}
