/**
 * The postmortem's timeline charts, pure parts: a finding keeps its chart's model, bounded
 * (boundChartModel: small models untouched, huge ones cut to the limit with key evidence kept),
 * the charts of an incident's leading findings (postmortemCharts: latest per pod, the leading
 * pod first, findings without a model give none), and the Markdown that links them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose } from '../../src/analysis/diagnose.js';
import type { Evidence } from '../../src/evidence.js';
import { findingEntry } from '../../src/incidents/hooks.js';
import { MAX_POSTMORTEM_CHARTS, postmortemCharts, postmortemMarkdown } from '../../src/incidents/summary.js';
import type { Incident, IncidentEntry } from '../../src/incidents/types.js';
import { boundChartModel, KEPT_MODEL_LIMITS, timelineChartModel, type ChartMark, type TimelineChartModel } from '../../src/render/timeline-chart.js';

const ev = JSON.parse(readFileSync(join(process.cwd(), 'test/fixtures/evidence/seed-incident.json'), 'utf8')) as Evidence;
const diagnosis = diagnose(ev, { now: new Date(ev.clusterNow!) });
const seedModel = timelineChartModel(diagnosis, ev);

const incident: Incident = {
  id: 'inc-20250706-abc123',
  title: 'agent cannot reach mlserver',
  channel: 'C1',
  threadTs: '1.1',
  openedBy: 'U1',
  openedAt: '2025-07-06T15:00:00.000Z',
  status: 'closed',
  closedAt: '2025-07-06T16:00:00.000Z',
  closedBy: 'U1',
};

describe('boundChartModel', () => {
  it('leaves a model within the limits as it is (the postmortem draws the same chart as the thread)', () => {
    expect(boundChartModel(seedModel)).toEqual(seedModel);
  });

  it('cuts a huge model to the limit, keeps the key marks, the latest of the rest, the domain and the title', () => {
    const base = seedModel.domain.from;
    const noise: ChartMark[] = Array.from({ length: 5000 }, (_, i) => ({ lane: 'agent', kind: 'refused', at: base + i, label: `refused ${'x'.repeat(2000)}`, key: false }));
    const huge: TimelineChartModel = { ...seedModel, marks: [...noise, ...seedModel.marks], notes: [...seedModel.notes, 'y'.repeat(10_000)] };
    const kept = boundChartModel(huge);
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(KEPT_MODEL_LIMITS.jsonChars);
    expect(kept.marks.filter((m) => m.key)).toEqual(seedModel.marks.filter((m) => m.key));
    expect(kept.domain).toEqual(seedModel.domain);
    expect(kept.title).toBe(seedModel.title);
    expect(kept.notes.every((n) => n.length <= KEPT_MODEL_LIMITS.chars)).toBe(true);
    expect(kept.notes.some((n) => /earlier points .* not drawn/.test(n))).toBe(true);
    // Of the noise, the latest survive.
    const keptNoise = kept.marks.filter((m) => m.kind === 'refused' && m.at < base + 5000 && !m.key);
    expect(keptNoise.length).toBeGreaterThan(0);
    expect(Math.min(...keptNoise.map((m) => m.at))).toBeGreaterThan(base + 4000);
  });
});

describe('findingEntry', () => {
  it('keeps the bounded chart model when the evidence is given, nothing when not', () => {
    expect(findingEntry(diagnosis, '2025-07-06T15:20:00Z', ev).chart).toEqual(seedModel);
    expect(findingEntry(diagnosis, '2025-07-06T15:20:00Z').chart).toBeUndefined();
  });
});

describe('postmortemCharts and the Markdown', () => {
  const finding = (target: string, at: string, cause: string, chart?: TimelineChartModel): IncidentEntry => ({
    at,
    kind: 'finding',
    who: 'podnet',
    text: `check of ${target}: ${cause}`,
    cause,
    confidence: 0.9,
    target,
    ...(chart && { chart }),
  });

  it('gives the latest finding of each pod with a model, the leading pod first, at most three', () => {
    const timeline = [
      finding('ns/a-0', '2025-07-06T15:01:00Z', 'server-crashloop', seedModel),
      finding('ns/b-0', '2025-07-06T15:02:00Z', 'port-mismatch', seedModel),
      finding('ns/c-0', '2025-07-06T15:03:00Z', 'port-conflict', seedModel),
      finding('ns/d-0', '2025-07-06T15:04:00Z', 'oom', seedModel),
      finding('ns/a-0', '2025-07-06T15:05:00Z', 'probe-bind-mismatch', seedModel),
    ];
    const charts = postmortemCharts(incident, timeline);
    expect(charts.map((c) => [c.target, c.cause])).toEqual([
      ['ns/a-0', 'probe-bind-mismatch'],
      ['ns/d-0', 'oom'],
      ['ns/c-0', 'port-conflict'],
    ]);
    expect(charts).toHaveLength(MAX_POSTMORTEM_CHARTS);
    expect(charts[0]!.filename).toBe('inc-20250706-abc123-a-0-timeline.png');
    expect(charts[0]!.title).toBe('Timeline of a-0 in ns: probe-bind-mismatch (90%), cluster time (UTC)');
  });

  it('findings stored without a model give no chart and no chart section', () => {
    const timeline = [finding('ns/a-0', '2025-07-06T15:05:00Z', 'probe-bind-mismatch')];
    expect(postmortemCharts(incident, timeline)).toEqual([]);
    expect(postmortemMarkdown(incident, timeline, new Date('2025-07-06T16:00:00Z'))).not.toContain('Timeline charts');
  });

  it('the Markdown links each chart by its file name, alt text escaped', () => {
    const md = postmortemMarkdown(incident, [finding('ns/a-0', '2025-07-06T15:05:00Z', 'probe-bind-mismatch', seedModel)], new Date('2025-07-06T16:00:00Z'));
    expect(md).toContain('## Timeline charts');
    expect(md).toContain('![Timeline of a-0 in ns: probe-bind-mismatch (90%), cluster time (UTC)](inc-20250706-abc123-a-0-timeline.png)');
    expect(md.indexOf('## Timeline charts')).toBeLessThan(md.indexOf('## Timeline (UTC)'));
  });
});
