/**
 * What a `logs` read posts, pure: the message with the known signatures, the `--grep` hits and
 * the last lines, and the excerpt that comments the uploaded file. Every text from the log or
 * the user goes through the mrkdwn escaping of ./slack-limits.ts.
 */
import type { LogEvidence } from '../evidence.js';
import { LOGS_BOUNDS } from '../logscan/bounds.js';
import type { LogLine } from '../logscan/scan.js';
import { context, escapeMrkdwn, finishMessages, header, inlineMrkdwn, joinMrkdwn, md, sections, type Mrkdwn, type SlackMessage } from './slack-limits.js';

/** What the messages name of the request (a `logs` job's payload is one). */
export interface LogsRequest {
  pod: string;
  namespace: string;
  /** `--grep RE`, as the user wrote it. */
  grep?: string;
}

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
export function renderExcerptComment(data: LogsRequest, log: LogEvidence, excerpt: LogLine[], grepCount: number | undefined): Mrkdwn {
  const pattern = data.grep !== undefined ? codeSpan(data.grep) : undefined;
  const what = pattern ? md`${grepCount ?? excerpt.length} line${grepCount === 1 ? '' : 's'} matching ${pattern}` : md`lines matching a known signature`;
  const head = md`Full log of ${data.pod}/${log.container}${log.previous ? ' (previous)' : ''} attached (${log.lines} lines, secrets redacted).`;
  if (excerpt.length === 0) return md`${head} No ${pattern ? md`line matches ${pattern}` : 'line matches a known signature'}.`;
  const body = excerpt.map((l) => codeSafe(l).replace(/\r?\n|\r/g, " ⏎ ").slice(0, 300)).join('\n').slice(0, 3000);
  const shown = excerpt.length < (grepCount ?? excerpt.length) ? ` (first ${excerpt.length})` : '';
  return md`${head} ${what}${shown}:\n\`\`\`\n${escapeMrkdwn(body)}\n\`\`\``;
}

/** Pure: the Slack message for one scanned log. */
export function renderLogsMessage(data: LogsRequest, log: LogEvidence, grep?: { count: number; lines: LogLine[] }): SlackMessage[] {
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

/** The notice of a read that failed for good (`hint` says how to ask for less, when it ran over its budget). */
export function renderLogsFailed(data: Pick<LogsRequest, 'pod' | 'namespace'>, reason: string, hint: string): Mrkdwn {
  return inlineMrkdwn(`Could not read the logs of ${data.pod} in ${data.namespace}: ${reason}${hint}`);
}

/** The thread note when Slack refused the log file (`slackCode`, `meaning`, `action` from src/slack/slack-errors.ts). */
export function renderLogFileRefused(slackCode: string, meaning: string, action: string): string {
  return `:warning: Could not attach the full log (${LOGS_BOUNDS.tailLines} lines at most) as a file: Slack said \`${slackCode}\` — ${meaning}. The summary above stands; ${action}`;
}
