/**
 * `incident` (open | summary | close). Touches Slack and Redis only, never the cluster.
 *
 * - open: posts the incident's header message in the channel; its ts becomes the incident's
 *   thread (IncidentStore.open), then a short "how this thread works" reply.
 * - summary: posts summarizeIncident in the thread.
 * - close: closes the record, posts the final summary, uploads the timeline chart of each of
 *   the leading findings (drawn from the model the finding kept; findings stored without one
 *   give none) and the Markdown postmortem draft that links them into the thread; the header
 *   message is updated to say it is closed.
 *
 * Every post has an idempotency key derived from the job id, so a re-run posts nothing twice.
 */
import type { Job } from 'bullmq';
import { PodnetError } from '../src/errors.js';
import type { IncidentRecorder } from '../src/incidents/hooks.js';
import { postmortemCharts, postmortemMarkdown, summarizeIncident } from '../src/incidents/summary.js';
import type { Incident, IncidentEntry } from '../src/incidents/types.js';
import type { IncidentPayload } from '../src/queue/contracts.js';
import { runJob, type PosterLike, type ProcessorDeps } from '../src/queue/processor-deps.js';
import { context, escapeMrkdwn, finishMessages, header, md, mention, section, sections, type Mrkdwn, type SlackMessage } from '../src/render/slack-limits.js';
import type { SlackBlock } from '../src/slack/poster.js';
import type { Logger } from '../src/logger.js';
import { postTimelineChart } from './check.js';

/** The poster's file upload (SlackPoster.uploadFile); without it the postmortem is posted as text. */
export interface FileUploader {
  uploadFile(file: { channel: string; thread_ts?: string; filename: string; content: string; title?: string; initialComment?: string; idempotencyKey?: string }): Promise<{ fileId: string }>;
}

export interface IncidentJobDeps {
  poster: PosterLike & Partial<FileUploader>;
  incidents: IncidentRecorder;
  logger: Logger;
  /** Draws the postmortem's timeline charts (ProcessorDeps'); without it none are uploaded. */
  renderTimelinePng?: ProcessorDeps['renderTimelinePng'];
  now?: () => Date;
}

export interface IncidentJobResult {
  incidentId?: string;
  threadTs?: string;
  fileId?: string;
  /** The timeline charts uploaded with the postmortem. */
  chartFileIds?: string[];
  error?: string;
}

/** Pure: the header message of an incident (open or closed). */
export function renderIncidentHeader(incident: Incident): SlackMessage {
  const closed = incident.status === 'closed';
  const head = md`${closed ? ':white_check_mark: Incident closed' : ':rotating_light: Incident'}: ${incident.title}`;
  const blocks = [
    header(`${closed ? 'Closed' : 'Incident'}: ${incident.title}`),
    section(
      closed
        ? md`Closed by ${mention(incident.closedBy ?? '')} at ${incident.closedAt ?? ''}. The final summary and the postmortem draft are in the thread.`
        : md`Opened by ${mention(incident.openedBy)}. Every \`/podnet\` command typed in this channel now answers in this thread, and lands on the incident's timeline. Mention *@podnet* in the thread to run a command there.`,
    ),
    context(md`\`${incident.id}\``, md`opened ${incident.openedAt}`, md`\`/podnet incident summary\` · \`/podnet incident close\``),
  ];
  return finishMessages(head, blocks)[0]!;
}

/** Pure: the summary (or final summary) as Slack messages within Block Kit limits. */
export function renderSummaryMessages(incident: Incident, lines: readonly Mrkdwn[], final: boolean): SlackMessage[] {
  const title = `${final ? 'Final summary' : 'Summary'}: ${incident.title}`;
  // lines[1] is the leading cause, already escaped: it joins the escaped title as mrkdwn.
  return finishMessages(md`${title} — ${lines[1] ?? ''}`, [header(title), ...sections(undefined, lines.slice(1))]);
}

export function createIncidentProcessor(deps: IncidentJobDeps): (job: Job<IncidentPayload, IncidentJobResult>) => Promise<IncidentJobResult> {
  const now = deps.now ?? (() => new Date());
  const store = deps.incidents.store;

  async function postAll(channel: string, threadTs: string, messages: SlackMessage[], key: string): Promise<void> {
    for (const [i, m] of messages.entries()) {
      await deps.poster.post({ channel, thread_ts: threadTs, text: m.text, blocks: m.blocks as SlackBlock[], idempotencyKey: `${key}-${i}` });
    }
  }

  async function open(data: IncidentPayload, jobId: string): Promise<IncidentJobResult> {
    const channel = data.slack.channel;
    const title = data.title ?? 'untitled incident';
    const at = new Date(data.requestedAt);
    const draft: Incident = { id: 'pending', title, channel, threadTs: '', openedBy: data.slack.user, openedAt: at.toISOString(), status: 'open' };
    const head = renderIncidentHeader(draft);
    const posted = await deps.poster.post({ channel, text: head.text, blocks: head.blocks as SlackBlock[], idempotencyKey: `${jobId}-header` });
    const ts = posted?.ts;
    if (ts === undefined) throw new Error('Slack returned no ts for the incident header');
    // A re-run finds the incident it already opened on this thread.
    let incident = await store.byThread(channel, ts);
    if (!incident) {
      try {
        incident = await store.open({ title, channel, threadTs: ts, openedBy: data.slack.user, at });
      } catch (err) {
        if (!(err instanceof PodnetError) || err.code !== 'bad-input') throw err;
        const msg = finishMessages(md`Incident not opened: ${err.message}`, [section(md`:warning: Not opened: ${err.message}`)])[0]!;
        await deps.poster.update({ channel, ts, text: msg.text, blocks: msg.blocks as SlackBlock[] });
        return { error: err.message };
      }
    }
    const final = renderIncidentHeader(incident);
    await deps.poster.update({ channel, ts, text: final.text, blocks: final.blocks as SlackBlock[] });
    await deps.poster.post({
      channel,
      thread_ts: ts,
      text: `Incident ${incident.id} is open. Commands typed in the channel answer here; \`@podnet check POD -n NS\` works in this thread too.`,
      idempotencyKey: `${jobId}-howto`,
    });
    deps.logger.info({ incident: incident.id, channel }, 'incident opened');
    return { incidentId: incident.id, threadTs: ts };
  }

  async function threadIncident(data: IncidentPayload): Promise<Incident> {
    const incident = data.slack.threadTs !== undefined ? await store.byThread(data.slack.channel, data.slack.threadTs) : await store.openIn(data.slack.channel);
    if (!incident) throw new PodnetError('bad-input', 'there is no incident in this channel or thread; start one with `/podnet incident open TITLE`');
    return incident;
  }

  async function summary(data: IncidentPayload, jobId: string): Promise<IncidentJobResult> {
    const incident = await threadIncident(data);
    const s = summarizeIncident(incident, await store.timeline(incident.id), now());
    await postAll(incident.channel, incident.threadTs, renderSummaryMessages(incident, s.lines, false), `${jobId}-summary`);
    return { incidentId: incident.id, threadTs: incident.threadTs };
  }

  /**
   * The leading findings' timeline charts, uploaded into the thread the way a check uploads its
   * own (postTimelineChart: once per key, a failure logged and skipped). Returns the file ids.
   */
  async function uploadCharts(incident: Incident, timeline: IncidentEntry[], jobId: string): Promise<string[]> {
    const ids: string[] = [];
    for (const c of postmortemCharts(incident, timeline)) {
      const id = await postTimelineChart(deps, {
        channel: incident.channel,
        threadTs: incident.threadTs,
        chart: { model: c.model },
        filename: c.filename,
        title: c.title,
        initialComment: md`Timeline chart for the postmortem of ${incident.id}: ${c.target}, \`${c.cause}\`, from the check at ${c.at}.`.text,
        idempotencyKey: `${jobId}-chart-${c.filename}`,
      });
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  async function close(data: IncidentPayload, jobId: string): Promise<IncidentJobResult> {
    const found = await threadIncident(data);
    const incident = await store.close(found.id, data.slack.user, found.status === 'closed' ? new Date(found.closedAt!) : now());
    const timeline = await store.timeline(incident.id);
    const s = summarizeIncident(incident, timeline, now());
    await postAll(incident.channel, incident.threadTs, renderSummaryMessages(incident, s.lines, true), `${jobId}-final`);
    const chartFileIds = await uploadCharts(incident, timeline, jobId);
    const markdown = postmortemMarkdown(incident, timeline, now());
    let fileId: string | undefined;
    const filename = `postmortem-${incident.id}.md`;
    if (typeof deps.poster.uploadFile === 'function') {
      const res = await deps.poster.uploadFile({
        channel: incident.channel,
        thread_ts: incident.threadTs,
        filename,
        title: `Postmortem draft: ${incident.title}`,
        content: markdown,
        initialComment: md`Postmortem draft for ${incident.id}: timeline, evidence, cause, fix and follow-ups. Edit it before sharing.`.text,
        idempotencyKey: `${jobId}-postmortem`,
      });
      fileId = res.fileId;
    } else {
      await postAll(incident.channel, incident.threadTs, finishMessages(md`Postmortem draft for ${incident.id}`, sections(md`*${filename}*`, markdown.split('\n').map((l) => escapeMrkdwn(l)), { code: true })), `${jobId}-postmortem`);
    }
    const head = renderIncidentHeader(incident);
    await deps.poster.update({ channel: incident.channel, ts: incident.threadTs, text: head.text, blocks: head.blocks as SlackBlock[] });
    deps.logger.info({ incident: incident.id }, 'incident closed');
    return { incidentId: incident.id, threadTs: incident.threadTs, ...(fileId !== undefined && { fileId }), ...(chartFileIds.length > 0 && { chartFileIds }) };
  }

  return (job) =>
    runJob(async () => {
      const jobId = job.id ?? job.data.requestId;
      switch (job.data.action) {
        case 'open':
          return open(job.data, jobId);
        case 'summary':
          return summary(job.data, jobId);
        case 'close':
          return close(job.data, jobId);
      }
    });
}
