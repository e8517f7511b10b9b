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
import { incidentHowtoText, postmortemChartComment, postmortemFileComment, renderIncidentHeader, renderIncidentNotOpened, renderPostmortemMessages, renderSummaryMessages } from '../src/render/incident.js';
import type { SlackMessage } from '../src/render/slack-limits.js';
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
        const msg = renderIncidentNotOpened(err.message);
        await deps.poster.update({ channel, ts, text: msg.text, blocks: msg.blocks as SlackBlock[] });
        return { error: err.message };
      }
    }
    const final = renderIncidentHeader(incident);
    await deps.poster.update({ channel, ts, text: final.text, blocks: final.blocks as SlackBlock[] });
    await deps.poster.post({
      channel,
      thread_ts: ts,
      text: incidentHowtoText(incident.id),
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
        initialComment: postmortemChartComment(incident.id, c),
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
        initialComment: postmortemFileComment(incident.id),
        idempotencyKey: `${jobId}-postmortem`,
      });
      fileId = res.fileId;
    } else {
      await postAll(incident.channel, incident.threadTs, renderPostmortemMessages(incident.id, filename, markdown), `${jobId}-postmortem`);
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
