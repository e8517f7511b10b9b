/**
 * Pure renderers for an incident: the in-thread summary and the Markdown postmortem draft.
 * The clock is a parameter.
 */
import { joinMrkdwn, md, mention, type Mrkdwn } from '../render/slack-limits.js';
import type { TimelineChartModel } from '../render/timeline-chart.js';
import type { Incident, IncidentEntry } from './types.js';

function hhmm(iso: string): string {
  return iso.slice(11, 19);
}

function pct(confidence: number | undefined): string {
  return confidence === undefined ? '' : ` (${Math.round(confidence * 100)}%)`;
}

function duration(fromIso: string, to: Date): string {
  const s = Math.max(0, Math.round((to.getTime() - Date.parse(fromIso)) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : m ? `${m} min` : `${s} s`;
}

/** The latest finding: the leading cause as the incident now stands. */
export function leadingFinding(timeline: IncidentEntry[]): IncidentEntry | undefined {
  return [...timeline].reverse().find((e) => e.kind === 'finding' && e.cause);
}

/** At most this many timeline charts go with a postmortem. */
export const MAX_POSTMORTEM_CHARTS = 3;

/** A timeline chart the postmortem carries: a finding that kept its chart's model. */
export interface PostmortemChart {
  /** `namespace/pod`. */
  target: string;
  cause: string;
  confidence?: number;
  /** When the check was recorded (ISO). */
  at: string;
  model: TimelineChartModel;
  /** The PNG's file name (uploaded beside the Markdown; the Markdown links it by this name). */
  filename: string;
  title: string;
}

/**
 * Pure: the charts of the incident's leading findings — the latest finding of each pod that
 * kept its chart's model, the leading finding's pod first, then the most recently checked;
 * at most {@link MAX_POSTMORTEM_CHARTS}. Findings stored without a model (before it was kept)
 * give none.
 */
export function postmortemCharts(incident: Incident, timeline: IncidentEntry[]): PostmortemChart[] {
  const latest = new Map<string, IncidentEntry>();
  for (const e of timeline) if (e.kind === 'finding' && e.target) latest.set(e.target, e);
  const lead = leadingFinding(timeline)?.target;
  const ordered = [...latest.values()].reverse().sort((a, b) => Number(b.target === lead) - Number(a.target === lead));
  return ordered
    .filter((e): e is IncidentEntry & { target: string; chart: TimelineChartModel } => e.chart !== undefined)
    .slice(0, MAX_POSTMORTEM_CHARTS)
    .map((e) => {
      const pod = e.target.slice(e.target.indexOf('/') + 1);
      const namespace = e.target.slice(0, e.target.indexOf('/'));
      return {
        target: e.target,
        cause: e.cause ?? 'unknown',
        ...(e.confidence !== undefined && { confidence: e.confidence }),
        at: e.at,
        model: e.chart,
        filename: `${incident.id}-${pod.replace(/[^A-Za-z0-9_.-]/g, '-')}-timeline.png`,
        title: `Timeline of ${pod} in ${namespace}: ${e.cause ?? 'unknown'}${pct(e.confidence)}, cluster time (UTC)`,
      };
    });
}

export interface IncidentSummary {
  leading?: { cause: string; confidence?: number; fix?: string; evidence: string[] };
  done: string[];
  open: string[];
  /** The mrkdwn lines for Slack: everything from a user or the cluster escaped, on one line each. */
  lines: Mrkdwn[];
  /** The same lines joined. */
  text: Mrkdwn;
}

/** What happened when, the leading cause, what was done and what is still open. */
export function summarizeIncident(incident: Incident, timeline: IncidentEntry[], now: Date): IncidentSummary {
  const lead = leadingFinding(timeline);
  const done = timeline.filter((e) => e.kind === 'action' || (e.kind === 'runbook-step' && !/awaiting|skipped/.test(e.text))).map((e) => `${hhmm(e.at)} ${e.text}`);
  const open: string[] = [];
  if (!lead) open.push('No finding yet: run `/podnet check POD -n NS` in this thread.');
  else if (lead.cause === 'unknown') open.push('The evidence does not settle the cause yet; see what to collect next in the last check.');
  else if (lead.fix) open.push(`Apply and verify the fix: ${lead.fix}`);
  // A confirmation is still pending when no later entry reports the same step (`runbook NAME N. ID:`).
  const pending = timeline.filter((e, i) => {
    const m = e.kind === 'runbook-step' ? /^(.*?): awaiting confirmation/.exec(e.text) : null;
    return m !== null && !timeline.slice(i + 1).some((later) => later.kind === 'runbook-step' && later.text.startsWith(`${m[1]}:`) && !/: awaiting confirmation/.test(later.text));
  });
  for (const p of pending) open.push(`Waiting for confirmation: ${p.text}`);
  if (incident.status === 'open') open.push('Close the incident with `/podnet incident close` when service is restored.');

  const lines: Mrkdwn[] = [];
  lines.push(md`*Incident: ${incident.title}* (${incident.id}, ${incident.status}, ${incident.status === 'open' ? `open for ${duration(incident.openedAt, now)}` : `closed at ${incident.closedAt}`})`);
  if (lead) {
    lines.push(md`*Leading cause:* \`${lead.cause ?? ''}\`${pct(lead.confidence)}${lead.target ? ` on ${lead.target}` : ''}`);
    for (const ev of (lead.evidence ?? []).slice(0, 5)) lines.push(md`  • ${ev}`);
    if (lead.fix) lines.push(md`*Fix:* ${lead.fix}`);
  } else {
    lines.push(md`*Leading cause:* none yet`);
  }
  lines.push(md`*Timeline:*`);
  for (const e of timeline) lines.push(md`  ${hhmm(e.at)}  ${e.who === 'podnet' ? 'podnet' : mention(e.who)}  ${e.text}${e.kind === 'finding' ? pct(e.confidence) : ''}`);
  lines.push(md`*Done:* ${done.length ? '' : 'nothing recorded yet'}`);
  for (const d of done) lines.push(md`  • ${d}`);
  lines.push(md`*Still open:*`);
  // The open items are podnet's own sentences (with `code`); only the fix and step texts in them came from outside.
  for (const o of open) lines.push(md`  • ${o}`);

  return {
    leading: lead ? { cause: lead.cause!, confidence: lead.confidence, fix: lead.fix, evidence: lead.evidence ?? [] } : undefined,
    done,
    open,
    lines,
    text: joinMrkdwn(lines, '\n'),
  };
}

/**
 * Outside text (a title, a log line, an event message, a fix) as one line of Markdown that
 * renders as typed: line breaks become ` ⏎ `, and the characters that make headings, emphasis,
 * links, images, HTML, code and table cells are backslash-escaped (CommonMark lets any ASCII
 * punctuation be escaped: https://spec.commonmark.org/0.31.2/#backslash-escapes; a `|` in a
 * GFM table cell needs `\|`: https://github.github.com/gfm/#tables-extension-).
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ⏎ ')
    .replace(/[\\`*[\]#!|<>~&]/g, (c) => `\\${c}`)
    // `_` makes emphasis only at a word's edge (MLSERVER_HOST stays as it is).
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    .replace(/^(\s*)([-+]|\d+[.)])(?=\s)/, '$1\\$2');
}

/** A Markdown postmortem draft: summary, timeline, evidence, cause, fix, follow-ups. */
export function postmortemMarkdown(incident: Incident, timeline: IncidentEntry[], now: Date): string {
  const summary = summarizeIncident(incident, timeline, now);
  const lead = summary.leading;
  const out: string[] = [];
  out.push(`# Postmortem draft: ${escapeMarkdown(incident.title)}`, '');
  out.push(`- Incident: ${incident.id}`);
  out.push(`- Opened: ${incident.openedAt} by ${escapeMarkdown(incident.openedBy)}`);
  out.push(`- Closed: ${incident.closedAt ?? 'still open'}${incident.closedBy ? ` by ${escapeMarkdown(incident.closedBy)}` : ''}`);
  out.push(`- Duration: ${duration(incident.openedAt, incident.closedAt ? new Date(incident.closedAt) : now)}`, '');
  out.push('## Root cause', '');
  if (lead) {
    out.push(`\`${lead.cause.replace(/[`\r\n]/g, '')}\`${pct(lead.confidence)}.`, '');
    out.push('### Evidence', '');
    for (const ev of lead.evidence) out.push(`- ${escapeMarkdown(ev)}`);
    if (lead.evidence.length === 0) out.push('- (no evidence lines recorded)');
    out.push('', '### Fix', '', lead.fix !== undefined ? escapeMarkdown(lead.fix) : '(no fix recorded)', '');
  } else {
    out.push('Not determined: no check ran in the incident thread.', '');
  }
  const charts = postmortemCharts(incident, timeline);
  if (charts.length > 0) {
    out.push('## Timeline charts', '');
    out.push('Drawn from the evidence of each pod\'s last check (cluster time, UTC); the PNGs are uploaded with this draft in the incident\'s Slack thread.', '');
    for (const c of charts) out.push(`![${escapeMarkdown(c.title)}](${c.filename})`, '', `- ${escapeMarkdown(c.target)}: \`${c.cause.replace(/[`\r\n]/g, '')}\`${pct(c.confidence)}, checked ${escapeMarkdown(c.at)} — \`${c.filename}\``, '');
  }
  out.push('## Timeline (UTC)', '', '| time | who | what |', '|---|---|---|');
  for (const e of timeline) {
    const what = escapeMarkdown(`${e.text}${e.kind === 'finding' ? pct(e.confidence) : ''}`);
    out.push(`| ${escapeMarkdown(e.at)} | ${escapeMarkdown(e.who)} | ${what} |`);
  }
  out.push('', '## What was done', '');
  for (const d of summary.done) out.push(`- ${escapeMarkdown(d)}`);
  if (summary.done.length === 0) out.push('- (nothing recorded)');
  out.push('', '## Follow-ups', '');
  for (const o of summary.open.filter((o) => !o.startsWith('Close the incident'))) out.push(`- [ ] ${escapeMarkdown(o)}`);
  out.push('- [ ] Add a regression check (e.g. a podnet runbook or an alert) for this cause.');
  out.push('');
  return out.join('\n');
}
