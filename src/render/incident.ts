/**
 * What an incident posts, pure: its header message (open or closed), its summaries, the notes
 * of its thread and the postmortem draft when no file can be uploaded. Titles and every other
 * outside text go through the mrkdwn escaping of ./slack-limits.ts.
 */
import { context, escapeMrkdwn, finishMessages, header, md, mention, section, sections, type Mrkdwn, type SlackMessage } from './slack-limits.js';

/** What the messages show of an incident (src/incidents/types.ts `Incident` is one). */
export interface IncidentHeading {
  id: string;
  title: string;
  openedBy: string;
  openedAt: string;
  status: 'open' | 'closed';
  closedAt?: string;
  closedBy?: string;
}

/** Pure: the header message of an incident (open or closed). */
export function renderIncidentHeader(incident: IncidentHeading): SlackMessage {
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
export function renderSummaryMessages(incident: Pick<IncidentHeading, 'title'>, lines: readonly Mrkdwn[], final: boolean): SlackMessage[] {
  const title = `${final ? 'Final summary' : 'Summary'}: ${incident.title}`;
  // lines[1] is the leading cause, already escaped: it joins the escaped title as mrkdwn.
  return finishMessages(md`${title} — ${lines[1] ?? ''}`, [header(title), ...sections(undefined, lines.slice(1))]);
}

/** The header turned into why the incident was not opened. */
export function renderIncidentNotOpened(reason: string): SlackMessage {
  return finishMessages(md`Incident not opened: ${reason}`, [section(md`:warning: Not opened: ${reason}`)])[0]!;
}

/** The first reply in an incident's thread: how the thread works. */
export function incidentHowtoText(incidentId: string): string {
  return `Incident ${incidentId} is open. Commands typed in the channel answer here; \`@podnet check POD -n NS\` works in this thread too.`;
}

/** The comment of one timeline chart uploaded with the postmortem. */
export function postmortemChartComment(incidentId: string, chart: { target: string; cause: string; at: string }): string {
  return md`Timeline chart for the postmortem of ${incidentId}: ${chart.target}, \`${chart.cause}\`, from the check at ${chart.at}.`.text;
}

/** The comment of the uploaded postmortem draft. */
export function postmortemFileComment(incidentId: string): string {
  return md`Postmortem draft for ${incidentId}: timeline, evidence, cause, fix and follow-ups. Edit it before sharing.`.text;
}

/** The postmortem draft as code blocks in the thread, when the poster cannot upload files. */
export function renderPostmortemMessages(incidentId: string, filename: string, markdown: string): SlackMessage[] {
  return finishMessages(md`Postmortem draft for ${incidentId}`, sections(md`*${filename}*`, markdown.split('\n').map((l) => escapeMrkdwn(l)), { code: true }));
}
