/** Renderers: JSON shape, plain text without ANSI, Markdown, and Block Kit within Slack's limits. */
import type { Diagnosis } from '../../src/analysis/types.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import { renderJson, toJson } from '../../src/render/json.js';
import { renderText } from '../../src/render/text.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { SLACK_ACTIONS, renderSlackProgress, renderSlackSummary, renderSlackThread } from '../../src/render/slack.js';
import { SLACK_LIMITS, checkMessage, finishMessages, md, section, truncate } from '../../src/render/slack-limits.js';
import { NOW, seedIncident } from '../helpers/evidence-builders.js';

const seed = (): Diagnosis => diagnose(seedIncident(), { now: NOW });

/** A diagnosis far beyond every Slack limit. */
function huge(): Diagnosis {
  const d = seed();
  const long = 'x'.repeat(5000);
  const h = d.hypotheses[0]!;
  h.summary = `summary ${long}`;
  h.fix = `fix ${long}`;
  h.evidence = Array.from({ length: 400 }, (_, i) => ({ kind: 'log' as const, text: `line ${i} ${'y'.repeat(300)} <&>`, at: '2025-07-06T15:19:24Z' }));
  d.hypotheses = [h, ...Array.from({ length: 12 }, () => ({ ...h, cause: 'unknown' as const, confidence: 0.1 }))];
  d.timeline = Array.from({ length: 2000 }, (_, i) => ({ at: '2025-07-06T15:19:24Z', container: 'agent', kind: 'refused' as const, what: `refused ${i} ${'z'.repeat(200)}` }));
  d.target = { ...d.target, pod: `p${'o'.repeat(300)}` };
  return d;
}

describe('json', () => {
  it('has exactly the agreed shape', () => {
    const j = toJson(seed());
    expect(Object.keys(j.target)).toEqual(['namespace', 'pod', 'client', 'server', 'address', 'port']);
    expect(j.target).toEqual({ namespace: 'financial-ml', pod: 'mlserver-0', client: 'agent', server: 'mlserver', address: '127.0.0.1', port: 9500 });
    for (const k of ['target', 'hypotheses', 'options', 'timeline', 'steps']) expect(j).toHaveProperty(k);
    expect(Object.keys(j.hypotheses[0]!)).toEqual(expect.arrayContaining(['cause', 'confidence', 'summary', 'evidence', 'fix']));
    expect(j.options.map((o) => Object.keys(o))).toEqual(Array(3).fill(expect.arrayContaining(['id', 'fit', 'why'])));
    expect(Object.keys(j.timeline[0]!)).toEqual(expect.arrayContaining(['at', 'container', 'what']));
    expect(j.steps[0]).toEqual({ name: 'get-pod', ok: true });
    expect(JSON.parse(renderJson(seed()))).toEqual(JSON.parse(JSON.stringify(j)));
  });

  it('keeps missing target fields as null', () => {
    const d = seed();
    d.target = { namespace: 'n', pod: 'p', inferredFrom: [] };
    expect(toJson(d).target).toEqual({ namespace: 'n', pod: 'p', client: null, server: null, address: null, port: null });
  });
});

describe('text and markdown', () => {
  it('prints no ANSI escapes without color, and some with it', () => {
    const plain = renderText(seed(), { color: false });
    expect(plain.includes('\u001b[')).toBe(false);
    expect(plain).toContain('Most likely cause: probe-bind-mismatch (');
    expect(plain).toContain('platform-change');
    expect(renderText(seed(), { color: true }).includes('\u001b[1m')).toBe(true);
  });

  it('renders Markdown with the options table and escaped cells', () => {
    const d = seed();
    d.options[0]!.why = 'a | b';
    const md = renderMarkdown(d);
    expect(md).toContain('# podnet: mlserver-0 (financial-ml)');
    expect(md).toContain('| option | fit | why | trade-off |');
    expect(md).toContain('a \\| b');
  });
});

describe('slack', () => {
  it('summary: header, top cause, options, buttons with compact values and a confirm dialog', () => {
    const m = renderSlackSummary(seed());
    expect(checkMessage(m)).toEqual([]);
    expect(m.text).toContain('probe-bind-mismatch');
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'podnet: mlserver-0 (financial-ml)', emoji: true } });
    const actions = m.blocks.find((b) => b.type === 'actions');
    if (actions?.type !== 'actions') throw new Error('no actions block');
    expect(actions.elements.map((e) => e.action_id)).toEqual([SLACK_ACTIONS.rerun, SLACK_ACTIONS.logs, SLACK_ACTIONS.debug, SLACK_ACTIONS.evidence]);
    expect(JSON.parse(actions.elements[0]!.value!)).toEqual({ ns: 'financial-ml', pod: 'mlserver-0', client: 'agent', server: 'mlserver', port: 9500 });
    expect(actions.elements[2]!.confirm?.confirm.text).toBe('Attach');
    const all = JSON.stringify(m.blocks);
    expect(all).toContain('shared-mlserver');
    expect(all).toContain('not needed');
  });

  it('thread: evidence, listener table, timeline, steps and ruled-out causes', () => {
    const msgs = renderSlackThread(seed(), seedIncident());
    for (const m of msgs) expect(checkMessage(m)).toEqual([]);
    const all = JSON.stringify(msgs);
    expect(all).toContain('0100007F:251C');
    expect(all).toContain('Timeline');
    expect(all).toContain('Ruled out');
    expect(all).toContain('get-pod');
  });

  it('a huge diagnosis is split and truncated within every limit, each message with fallback text', () => {
    const d = huge();
    const summary = renderSlackSummary(d);
    expect(checkMessage(summary)).toEqual([]);
    const thread = renderSlackThread(d, seedIncident());
    expect(thread.length).toBeGreaterThan(4);
    for (const m of thread) {
      expect(checkMessage(m)).toEqual([]);
      expect(m.text.length).toBeGreaterThan(0);
      for (const b of m.blocks) if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
    const head = summary.blocks[0]!;
    expect(head.type === 'header' && head.text.text.length).toBe(SLACK_LIMITS.headerText);
    expect(head.type === 'header' && head.text.text.endsWith('…')).toBe(true);
    expect(JSON.stringify(thread)).toContain('&lt;&amp;&gt;');
  });

  it('finishMessages splits at 50 blocks and numbers the parts', () => {
    const parts = finishMessages(md`t`, Array.from({ length: 120 }, (_, i) => section(md`s${i}`)));
    expect(parts.map((p) => p.blocks.length)).toEqual([50, 50, 20]);
    expect(parts[2]!.text).toBe('t (3/3)');
    expect(truncate('abcdef', 4)).toBe('abc…');
  });

  it('progress message', () => {
    const m = renderSlackProgress({ namespace: 'financial-ml', pod: 'mlserver-0' }, 'reading sockets…');
    expect(checkMessage(m)).toEqual([]);
    expect(m.text).toBe('podnet: mlserver-0 (financial-ml) — reading sockets…');
  });
});
