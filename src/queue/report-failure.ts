/**
 * What the person who asked is told when a command's job fails for good — whatever failed it:
 * an error thrown by its processor, its retries used up, BullMQ's stall detection (a worker
 * that stopped renewing its lock twice: "job stalled more than allowable limit") or a time
 * budget. Runs from the worker's `failed` event, after the job is already failed, so nothing
 * here can make the job retry or read the cluster again; it never throws.
 *
 * - Slack refused podnet's post (src/slack/slack-errors.ts): the channel is the one place that
 *   did not work, so the notice goes by response_url → ephemeral → DM
 *   (SlackPoster.tellUser), saying what could not be posted, what Slack said and what to do.
 * - Anything else: a notice where the answer would have been (the check's "Checking…"
 *   message is updated to it; other commands post it in the channel or thread), and by
 *   response_url → ephemeral → DM when even that fails.
 */
import type { Job } from 'bullmq';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { UserTarget } from '../slack/poster.js';
import { findSlackCallError, type SlackCallError } from '../slack/slack-errors.js';
import { escapeSlackText } from '../slack/text.js';
import { JOB_NAMES, type SlackTarget } from './contracts.js';
import type { PosterLike } from './processor-deps.js';

/** BullMQ's reason for a job failed by stall detection (moveStalledJobsToWait.lua, bullmq 6). */
export const STALLED_REASON = 'job stalled more than allowable limit';

interface CommandData {
  slack?: SlackTarget;
  requestedAt?: string;
  requestId?: string;
  namespace?: string;
  pod?: string;
  action?: string;
  runbook?: string;
  selector?: string;
  watchId?: string;
  state?: { progressTs?: string };
}

/** The command a job stands for, as the user would have typed it (names only: DNS labels and ids). */
export function describeJobCommand(name: string, data: CommandData): string {
  const ns = data.namespace !== undefined ? ` -n ${data.namespace}` : '';
  switch (name) {
    case JOB_NAMES.check:
    case JOB_NAMES.logs:
      return `/podnet ${name} ${data.pod ?? ''}${ns}`;
    case JOB_NAMES.sweep:
      return `/podnet sweep${ns}${data.selector !== undefined ? ` -l ${data.selector}` : ''}`;
    case JOB_NAMES.watch:
      return `/podnet watch ${data.pod ?? ''}${ns}`.trimEnd();
    case JOB_NAMES.incident:
      return `/podnet incident ${data.action ?? ''}`.trimEnd();
    case JOB_NAMES.runbook:
      return `/podnet runbook ${data.action ?? ''}${data.runbook !== undefined ? ` ${data.runbook}` : ''}${data.pod !== undefined ? ` ${data.pod}` : ''}`;
    default:
      return `/podnet ${name}`;
  }
}

/** The user's target from a job payload. */
export function userTarget(data: CommandData): UserTarget | undefined {
  const s = data.slack;
  if (!s?.channel || !s.user) return undefined;
  return {
    channel: s.channel,
    user: s.user,
    ...(s.threadTs !== undefined && { threadTs: s.threadTs }),
    ...(s.responseUrl !== undefined && s.responseUrl !== '' && { responseUrl: s.responseUrl }),
    ...(data.requestedAt !== undefined && { requestedAt: data.requestedAt }),
  };
}

/** "podnet could not post … in <#C…>: Slack said `code` — meaning. Action." */
export function undeliveredText(what: string, channel: string, err: SlackCallError): string {
  const info = err.info;
  return `:warning: podnet could not post ${what} in <#${channel}>: Slack said \`${err.slackCode}\` — ${info.meaning}. ${info.action}`;
}

/** The notice for a job that failed for a reason other than Slack. */
export function failedText(name: string, data: CommandData, reason: string): string {
  const command = `\`${escapeSlackText(describeJobCommand(name, data))}\``;
  if (reason === STALLED_REASON) {
    return `:x: ${command} did not finish: the worker running it stopped responding twice, so podnet gave up on it. Nothing more will be posted for it; run the command again.`;
  }
  if (name === JOB_NAMES.logs) return `Could not read the logs of ${data.pod ?? '?'} in ${data.namespace ?? '?'}: ${escapeSlackText(reason)}`;
  return `:x: ${command} failed: ${escapeSlackText(reason)}`;
}

/**
 * Jobs whose processor already says in the channel why it failed: sweep updates its progress
 * message, a watch posts "failing", logs posts "Could not read the logs…" (with the time-budget
 * hint) and falls back to tellUser itself when the channel refuses that.
 */
const SAYS_ITS_OWN_FAILURE = new Set<string>([JOB_NAMES.sweep, JOB_NAMES.watch, JOB_NAMES.logs]);

export interface ReportFailureOptions {
  poster: PosterLike;
  logger: Logger;
}

/** Is this failure the job's last (no retry coming)? */
export async function isFinalFailure(job: Job, err: Error): Promise<boolean> {
  if (err.name === 'UnrecoverableError') return true;
  if (job.attemptsMade >= (job.opts.attempts ?? 1)) return true;
  return (await job.getState().catch(() => 'unknown')) === 'failed';
}

/** Tells the person who asked that their command's job failed (see the file comment). Never throws. */
export async function reportJobFailure(job: Job, err: Error, options: ReportFailureOptions): Promise<void> {
  const { poster, logger } = options;
  const data = (job.data ?? {}) as CommandData;
  const target = userTarget(data);
  if (!target) return;
  const jobId = job.id ?? data.requestId ?? 'job';
  // A watch's runs share its payload: one notice per watch and cause, not one per tick.
  const onceBase = job.name === JOB_NAMES.watch && data.watchId !== undefined ? `${data.watchId}-${data.requestId ?? ''}` : jobId;
  const tell = async (text: string, once: string) => {
    if (!poster.tellUser) return logger.warn({ jobId }, 'poster cannot tell the user (no tellUser)');
    await poster.tellUser(target, text, { onceKey: once });
  };
  try {
    const slackErr = findSlackCallError(err);
    if (slackErr) {
      await tell(undeliveredText(`the answer to \`${escapeSlackText(describeJobCommand(job.name, data))}\``, target.channel, slackErr), `${onceBase}-undelivered-${slackErr.slackCode}`);
      return;
    }
    const reason = err.message || describeError(err);
    const text = failedText(job.name, data, reason);
    const processorSaidIt = SAYS_ITS_OWN_FAILURE.has(job.name) && reason !== STALLED_REASON;
    if (processorSaidIt) return;
    try {
      const progressTs = job.name === JOB_NAMES.check ? data.state?.progressTs : undefined;
      if (progressTs !== undefined) {
        await poster.update({ channel: target.channel, ts: progressTs, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
      } else {
        await poster.post({ channel: target.channel, text, ...(target.threadTs !== undefined && { thread_ts: target.threadTs }), idempotencyKey: `${jobId}-failed` });
      }
    } catch (postErr) {
      // The channel refused the notice too: reach the user another way, with both reasons.
      const s = findSlackCallError(postErr);
      await tell(s ? `${text}\n${undeliveredText('this notice', target.channel, s)}` : text, `${onceBase}-failed`);
    }
  } catch (e) {
    logger.error({ jobId, err: describeError(e) }, 'could not report the job failure to the user');
  }
}
