/**
 * The timeline chart: what the model holds for the seed incident (lanes, marks, key evidence,
 * refusal ↔ restart links, cluster times), that every evidence fixture renders to a valid PNG
 * of sane size, that the same diagnosis gives the same bytes, and two golden images compared
 * pixel by pixel within a small tolerance.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { diagnose } from '../../src/analysis/diagnose.js';
import type { Evidence } from '../../src/evidence.js';
import { svgToPng } from '../../src/render/chart-png.js';
import {
  MARK_STYLE,
  OKABE_ITO,
  placeLabels,
  renderSpecSvg,
  renderTimelineSvg,
  textWidth,
  timelineChartModel,
  timelineChartSpec,
  wrapText,
  type TimelineChartModel,
} from '../../src/render/timeline-chart.js';

const FIXTURES = join(process.cwd(), 'test/fixtures/evidence');
const GOLDEN = join(process.cwd(), 'test/fixtures/charts');

function load(name: string): Evidence {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Evidence;
}
const diagnosisOf = (ev: Evidence) => diagnose(ev, { now: new Date(ev.clusterNow ?? ev.collectedAt) });
const iso = (ms: number) => new Date(ms).toISOString();

function decode(png: Buffer): PNG {
  return PNG.sync.read(png);
}

/** Share of pixels whose largest channel difference exceeds `threshold` (0..255). */
function pixelDiff(a: PNG, b: PNG, threshold = 24): number {
  if (a.width !== b.width || a.height !== b.height) return 1;
  let differ = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    const d = Math.max(Math.abs(a.data[i]! - b.data[i]!), Math.abs(a.data[i + 1]! - b.data[i + 1]!), Math.abs(a.data[i + 2]! - b.data[i + 2]!), Math.abs(a.data[i + 3]! - b.data[i + 3]!));
    if (d > threshold) differ++;
  }
  return differ / (a.width * a.height);
}

describe('timeline chart model of the seed incident', () => {
  const ev = load('seed-incident');
  const model = timelineChartModel(diagnosisOf(ev), ev);

  it('has a kubelet lane, one lane per container and podnet dials, the server and client named', () => {
    expect(model.lanes.map((l) => l.id)).toEqual(['kubelet', 'rclone', 'agent', 'mlserver', 'podnet dials']);
    expect(model.lanes.find((l) => l.id === 'mlserver')?.label).toBe('mlserver (server) ↻1');
    expect(model.lanes.find((l) => l.id === 'agent')?.label).toBe('agent (client)');
  });

  it('titles the chart with pod, namespace, cause and confidence', () => {
    expect(model.title).toBe('mlserver-0 in financial-ml: probe-bind-mismatch (88%)');
    expect(model.subtitle.join(' ')).toContain('127.0.0.1:9000');
  });

  it("draws mlserver's two runs, its termination with reason and exit code, and its restart", () => {
    const runs = model.spans.filter((s) => s.lane === 'mlserver' && s.kind === 'running').map((s) => [iso(s.from), iso(s.to)]);
    expect(runs).toEqual([
      ['2025-07-06T15:17:43.000Z', '2025-07-06T15:19:21.000Z'],
      ['2025-07-06T15:19:22.000Z', '2025-07-06T15:20:00.000Z'],
    ]);
    const end = model.marks.find((m) => m.lane === 'mlserver' && m.kind === 'terminated');
    expect(end && { at: iso(end.at), label: end.label }).toEqual({ at: '2025-07-06T15:19:21.000Z', label: 'exit 0 · Completed' });
    expect(model.marks.find((m) => m.lane === 'mlserver' && m.kind === 'restarted')?.label).toBe('restart #1');
  });

  it('says where mlserver listens (loopback) in one mark per start', () => {
    const listens = model.marks.filter((m) => m.kind === 'listening');
    expect(listens.map((m) => [iso(m.at), m.label])).toEqual([
      ['2025-07-06T15:17:48.031Z', 'listens 127.0.0.1:9000,9500,8082'],
      ['2025-07-06T15:19:27.655Z', 'listens 127.0.0.1:9000,9500,8082'],
    ]);
  });

  it('puts kubelet probe failures (a ×13 series) and the kill on the kubelet lane', () => {
    const kubelet = model.marks.filter((m) => m.lane === 'kubelet');
    expect(kubelet.map((m) => m.kind).sort()).toEqual(['killed', 'probe-failed', 'probe-failed']);
    expect(kubelet.find((m) => m.kind === 'killed')?.label).toBe('mlserver: killed (startup probe)');
    const series = model.spans.find((s) => s.kind === 'probe-failing');
    expect(series && [iso(series.from), iso(series.to)]).toEqual(['2025-07-06T15:17:50.000Z', '2025-07-06T15:19:52.000Z']);
  });

  it("links each of agent's refusals to the mlserver start or stop it followed, with the delay", () => {
    expect(model.links.map((l) => [l.fromLane, iso(l.from), l.toLane, iso(l.to), l.label])).toEqual([
      ['agent', '2025-07-06T15:17:51.204Z', 'mlserver', '2025-07-06T15:17:43.000Z', '8 s after start'],
      ['agent', '2025-07-06T15:19:24.013Z', 'mlserver', '2025-07-06T15:19:21.000Z', '3 s after stop'],
    ]);
    expect(model.marks.filter((m) => m.kind === 'refused').map((m) => m.label)).toEqual(['refused 8 s after start', 'refused 3 s after stop']);
  });

  it("draws podnet's two dials apart, at collection time", () => {
    const dials = model.marks.filter((m) => m.lane === 'podnet dials');
    expect(dials.map((m) => [m.kind, m.label, iso(m.at)])).toEqual([
      ['dial-connected', 'agent → 127.0.0.1:9500 connected', ev.collectedAt],
      ['dial-failed', 'agent → 10.42.1.17:9500 refused', ev.collectedAt],
    ]);
    expect(new Set(dials.map((m) => m.dy)).size).toBe(2);
  });

  it("rings the leading cause's timed evidence: the kill, the refusals, the termination, the refused dial", () => {
    const key = model.marks.filter((m) => m.key).map((m) => `${m.lane}:${m.kind}`);
    expect(key).toEqual(expect.arrayContaining(['kubelet:killed', 'agent:refused', 'mlserver:terminated', 'podnet dials:dial-failed', 'mlserver:listening']));
    expect(model.marks.filter((m) => !m.key).map((m) => m.kind)).toContain('ready');
    expect(model.spans.find((s) => s.kind === 'probe-failing')?.key).toBe(true);
  });

  it('uses the cluster clock from the evidence: the axis ends at clusterNow, whatever the wall clock says', () => {
    expect(model.domain.to).toBeGreaterThanOrEqual(Date.parse(ev.clusterNow!));
    expect(model.domain.to - Date.parse(ev.clusterNow!)).toBeLessThan(10_000);
    expect(model.domain.from).toBeLessThanOrEqual(Date.parse('2025-07-06T15:17:38Z'));
    expect(model.day).toBe('2025-07-06');
  });

  it('uses only Okabe–Ito colours for marks, and no two kinds share both colour and shape', () => {
    const palette = new Set<string>(Object.values(OKABE_ITO));
    const styles = Object.values(MARK_STYLE);
    expect(styles.every((s) => palette.has(s.color))).toBe(true);
    expect(new Set(styles.map((s) => `${s.color}/${s.shape}`)).size).toBe(styles.length);
  });
});

describe('timeline chart range', () => {
  it('focuses on the trouble: a run that began an hour earlier enters from the left edge', () => {
    const ev = load('server-oom-killed');
    const model = timelineChartModel(diagnosisOf(ev), ev);
    // mlserver's previous run started 08:50; the OOM kill is 09:14:12 and the check 09:15:00.
    expect(iso(model.domain.from) > '2025-10-02T09:10:00').toBe(true);
    expect(model.notes.join(' ')).toContain('Bars at the left edge began before');
    expect(model.marks.find((m) => m.kind === 'oom-killed')?.label).toBe('exit 137 · OOMKilled');
  });

  it("ends at the events when the check came long after them (a simulated cluster's old events), and says so", () => {
    const ev = { ...load('seed-incident'), collectedAt: '2026-12-01T08:53:37.000Z', clusterNow: '2026-12-01T08:53:37.000Z' };
    const model = timelineChartModel(diagnosisOf(ev), ev);
    expect(model.domain.to).toBeLessThan(Date.parse('2025-07-06T15:21:00Z'));
    expect(model.lanes.map((l) => l.id)).not.toContain('podnet dials');
    expect(model.notes.join(' ')).toContain('Checked at 2026-12-01 08:53:37 UTC, long after the last event shown');
  });

  it('keeps to a window when asked (a flap episode), and says so', () => {
    const ev = load('seed-incident');
    const model = timelineChartModel(diagnosisOf(ev), ev, { window: { from: '2025-07-06T15:19:00Z' } });
    expect(model.domain.from).toBeGreaterThan(Date.parse('2025-07-06T15:18:50Z'));
    expect(model.marks.every((m) => m.at >= model.domain.from)).toBe(true);
    expect(model.notes.join(' ')).toContain("episode's window");
  });
});

describe('label placement and text measure', () => {
  it('never overlaps two labels in the same lane and row', () => {
    const ev = load('seed-incident');
    const model = timelineChartModel(diagnosisOf(ev), ev);
    const width = 700;
    const labels = placeLabels(model, width);
    const span = model.domain.to - model.domain.from;
    const boxes = labels.map((l) => {
      const x = ((l.at - model.domain.from) / span) * width;
      const w = textWidth(l.text, 14) + 6;
      return { lane: l.lane, dy: l.dy, x0: l.align === 'left' ? x + 6 : x - 6 - w, x1: l.align === 'left' ? x + 6 + w : x - 6 };
    });
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        if (a.lane === b.lane && a.dy === b.dy) expect(a.x1 <= b.x0 || b.x1 <= a.x0).toBe(true);
      }
    }
    expect(labels.length).toBeGreaterThan(8);
  });

  it('measures with the font: "W" is wider than "i", and wraps to the width', () => {
    expect(textWidth('WWWW', 14)).toBeGreaterThan(textWidth('iiii', 14) * 2);
    const lines = wrapText('word '.repeat(100), 300, 2);
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => textWidth(l, 14) <= 300)).toBe(true);
    expect(lines[1]!.endsWith('…')).toBe(true);
  });
});

describe('timeline chart images', () => {
  const names = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();

  it('finds the fixtures', () => {
    expect(names.length).toBeGreaterThanOrEqual(15);
  });

  it.each(names)('%s renders without warnings to a PNG of sane size', async (name) => {
    const ev = load(name);
    const { svg, warnings } = await renderSpecSvg(timelineChartSpec(timelineChartModel(diagnosisOf(ev), ev)));
    expect(warnings).toEqual([]);
    expect(svg.startsWith('<svg')).toBe(true);
    const png = svgToPng(svg);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const img = decode(png);
    // 960 px wide at scale 2, give or take Vega's layout; never a sliver, never a poster.
    expect(img.width).toBeGreaterThanOrEqual(1800);
    expect(img.width).toBeLessThanOrEqual(1960);
    expect(img.height).toBeGreaterThanOrEqual(500);
    expect(img.height).toBeLessThanOrEqual(2400);
    expect(png.length).toBeLessThan(600_000);
    // Not blank: a good share of the pixels are not white.
    let ink = 0;
    for (let i = 0; i < img.data.length; i += 4) if (img.data[i]! < 200 || img.data[i + 1]! < 200 || img.data[i + 2]! < 200) ink++;
    expect(ink / (img.width * img.height)).toBeGreaterThan(0.03);
  });

  it('is deterministic: the same diagnosis gives the same bytes', async () => {
    const ev = load('seed-incident');
    const a = svgToPng(await renderTimelineSvg(diagnosisOf(ev), ev));
    const b = svgToPng(await renderTimelineSvg(diagnosisOf(load('seed-incident')), load('seed-incident')));
    expect(a.equals(b)).toBe(true);
  });

  it('draws text with the bundled font only (the SVG names it; no system font is loaded)', async () => {
    const ev = load('seed-incident');
    const svg = await renderTimelineSvg(diagnosisOf(ev), ev);
    expect(svg).toContain('font-family="DejaVu Sans"');
    // Without the bundled files resvg has no font at all, so the text disappears — proof that
    // text comes from the bundled file and not from whatever fonts the machine has.
    const withText = decode(svgToPng(svg));
    const without = decode(svgToPng(svg, { fontFiles: [] }));
    expect(pixelDiff(withText, without)).toBeGreaterThan(0.01);
  });

  describe.each(['seed-incident', 'server-oom-killed'])('golden image: %s', (name) => {
    const model = JSON.parse(readFileSync(join(GOLDEN, `${name}.model.json`), 'utf8')) as TimelineChartModel;
    const golden = decode(readFileSync(join(GOLDEN, `${name}.png`)));

    it('matches within a small pixel tolerance', async () => {
      const png = svgToPng((await renderSpecSvg(timelineChartSpec(model))).svg);
      const diff = pixelDiff(decode(png), golden);
      if (diff > 0.002) {
        const out = join(mkdtempSync(join(tmpdir(), 'podnet-chart-')), `${name}.png`);
        writeFileSync(out, png);
        throw new Error(`${name}: ${(diff * 100).toFixed(2)}% of pixels differ from the golden image; the new one is at ${out} (node scripts/update-chart-goldens.mjs regenerates after a deliberate change)`);
      }
      expect(diff).toBeLessThanOrEqual(0.002);
    });

    it('would catch a change: one moved mark is beyond the tolerance', async () => {
      const moved = structuredClone(model);
      moved.marks = moved.marks.map((m) => (m.kind === 'refused' ? { ...m, at: m.at - 20_000 } : m));
      moved.title = `${moved.title} (edited)`;
      const png = svgToPng((await renderSpecSvg(timelineChartSpec(moved))).svg);
      expect(pixelDiff(decode(png), golden)).toBeGreaterThan(0.002);
    });
  });
});
