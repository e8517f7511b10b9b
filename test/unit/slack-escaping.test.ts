/**
 * One way into a message (issue 11, finding 2): text from the cluster or a user reaches Slack
 * mrkdwn only escaped, and the postmortem Markdown only through its own escaping. Each hostile
 * string goes through an Event message, a log line, a title, a fix and a timeline entry into
 * every renderer that was leaking: the incident header, summary and final summary, the
 * postmortem, the `logs` message (blocks and fallback text) and its file comment, the check
 * summary and thread.
 */
import { renderExcerptComment, renderLogsMessage } from '../../src/render/logs.js';
import { renderIncidentHeader, renderSummaryMessages } from '../../src/render/incident.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import { postmortemMarkdown, summarizeIncident } from '../../src/incidents/summary.js';
import type { Incident, IncidentEntry } from '../../src/incidents/types.js';
import type { LogsPayload } from '../../src/queue/contracts.js';
import { renderSlackSummary, renderSlackThread } from '../../src/render/slack.js';
import { escapeMrkdwn, md, mention } from '../../src/render/slack-limits.js';
import { event, seedIncident } from '../helpers/evidence-builders.js';

const HOSTILE = '<!here> <@U123> <https://evil.example|click> *bold* # H ![i](u) a|b\nnew line';

/** Every mrkdwn text of a message: fallback text and each block's texts. */
function mrkdwnTexts(m: { text: string; blocks?: unknown[] }): string[] {
  const out = [m.text];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(m.blocks ?? []);
  return out;
}

function expectNoMarkup(texts: string[]): void {
  for (const t of texts) {
    expect(t).not.toMatch(/<!here>|<@U123>|<https:\/\/evil/);
    expect(t).not.toContain('\nnew line');
  }
}

const incident: Incident = { id: 'inc-1', title: HOSTILE, channel: 'C1', threadTs: '1.1', openedBy: 'U1', openedAt: '2025-07-06T15:00:00.000Z', status: 'closed', closedAt: '2025-07-06T16:00:00.000Z', closedBy: 'U2' };
const timeline: IncidentEntry[] = [
  { at: '2025-07-06T15:00:00.000Z', kind: 'opened', who: 'U1', text: `Incident opened: ${HOSTILE}` },
  { at: '2025-07-06T15:05:00.000Z', kind: 'finding', who: 'podnet', text: `check: ${HOSTILE}`, cause: 'probe-bind-mismatch', confidence: 0.9, fix: HOSTILE, evidence: [HOSTILE], target: 'ns/pod' },
  { at: '2025-07-06T15:06:00.000Z', kind: 'action', who: 'U2', text: HOSTILE },
];

describe('Slack mrkdwn', () => {
  it('incident header, summary and final summary escape the title, evidence, fix and timeline', () => {
    const s = summarizeIncident(incident, timeline, new Date('2025-07-06T16:00:00Z'));
    const msgs = [renderIncidentHeader(incident), ...renderSummaryMessages(incident, s.lines, false), ...renderSummaryMessages(incident, s.lines, true)];
    const texts = msgs.flatMap(mrkdwnTexts);
    expectNoMarkup(texts);
    expect(texts.join('\n')).toContain('&lt;!here&gt;');
    // podnet's own mentions still work.
    expect(texts.join('\n')).toContain('<@U2>');
  });

  it('logs: blocks, fallback text and the file comment escape log lines and the pattern', () => {
    const data = { pod: 'mlserver-0', namespace: 'financial-ml', grep: HOSTILE } as LogsPayload;
    const log = { container: 'agent', previous: false, lines: 1, bytes: 10, truncated: false, matches: [], signatureCounts: {}, tail: [{ text: HOSTILE }] };
    const lines = [{ text: HOSTILE }, { text: '``` break out of the block <!channel>' }];
    const msgs = renderLogsMessage(data, log, { count: 2, lines });
    expectNoMarkup(msgs.flatMap(mrkdwnTexts));
    const comment = renderExcerptComment(data, log, lines, 2).text;
    expectNoMarkup([comment]);
    expect(comment).not.toContain('<!channel>');
    // One code block: the ``` inside a log line does not close it.
    expect(comment.match(/```/g)).toHaveLength(2);
  });

  it('check summary and thread escape event messages and evidence', () => {
    const ev = seedIncident();
    ev.events.push(event('BackOff', HOSTILE));
    ev.dials.push({ from: 'agent', host: '127.0.0.1', port: 9500, ok: false, outcome: 'refused', detail: HOSTILE, tool: 'nc' });
    const d = diagnose(ev, { now: new Date(ev.collectedAt) });
    expectNoMarkup([renderSlackSummary(d), ...renderSlackThread(d, ev)].flatMap(mrkdwnTexts));
  });

  it('the md tag escapes what it interpolates, keeps Mrkdwn, and mention() takes only user ids', () => {
    expect(md`*Fix:* ${'<!here>\nx'}`.text).toBe('*Fix:* &lt;!here&gt; ⏎ x');
    expect(md`a ${escapeMrkdwn('<b>')} ${mention('U123ABC')}`.text).toBe('a &lt;b&gt; <@U123ABC>');
    expect(mention('<!here>').text).toBe('&lt;!here&gt;');
  });
});

describe('postmortem Markdown', () => {
  const markdown = postmortemMarkdown(incident, timeline, new Date('2025-07-06T16:00:00Z'));
  const lines = markdown.split('\n');

  it('a title cannot add headings, images, links or lines', () => {
    expect(lines[0]).toBe('# Postmortem draft: \\<\\!here\\> \\<@U123\\> \\<https://evil.example\\|click\\> \\*bold\\* \\# H \\!\\[i\\](u) a\\|b ⏎ new line');
    expect(lines.filter((l) => /^#+ /.test(l)).map((l) => l.replace(/:.*/, ''))).toEqual(['# Postmortem draft', '## Root cause', '### Evidence', '### Fix', '## Timeline (UTC)', '## What was done', '## Follow-ups']);
    expect(markdown).not.toMatch(/(^|[^\\])!\[/m);
    expect(lines.some((l) => l === 'new line' || l.startsWith('new line'))).toBe(false);
  });

  it('timeline rows stay one row each, with three cells', () => {
    const rows = lines.filter((l) => l.startsWith('| 2025-'));
    expect(rows).toHaveLength(timeline.length);
    for (const r of rows) expect(r.split(/(?<!\\)\|/).length - 2).toBe(3);
  });
});
