/**
 * The sweep's summary as a chart: pods by top cause (unhealthy pods by the cause their check
 * put first, failed checks, and the healthy pods), one horizontal bar each, drawn with
 * Vega-Lite like the timeline chart and rasterized the same way (chart-png.ts). Pure.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SweepResult } from '../sweep/sweep.js';
import { sweepHeadline } from './sweep.js';
import { CHART_FONT_FAMILY, OKABE_ITO, renderSpecSvg } from './timeline-chart.js';

export interface SweepChartBar {
  /** The cause id, `check failed`, `unknown` or `healthy`. */
  group: string;
  pods: number;
  kind: 'cause' | 'failed' | 'healthy';
}

/** Pure: pods per top cause, most first; failed checks and healthy pods last. */
export function sweepChartBars(result: SweepResult): SweepChartBar[] {
  const counts = new Map<string, SweepChartBar>();
  for (const r of result.rows) {
    const [group, kind]: [string, SweepChartBar['kind']] = r.healthy ? ['healthy', 'healthy'] : r.error ? ['check failed', 'failed'] : [r.cause ?? 'unknown', 'cause'];
    const bar = counts.get(group) ?? { group, pods: 0, kind };
    bar.pods++;
    counts.set(group, bar);
  }
  const rank = { cause: 0, failed: 1, healthy: 2 } as const;
  return [...counts.values()].sort((a, b) => rank[a.kind] - rank[b.kind] || b.pods - a.pods || a.group.localeCompare(b.group));
}

const COLOR: Record<SweepChartBar['kind'], string> = {
  cause: OKABE_ITO.vermillion,
  failed: OKABE_ITO.reddishPurple,
  healthy: OKABE_ITO.bluishGreen,
};
const LEGEND: Record<SweepChartBar['kind'], string> = {
  cause: 'unhealthy: top cause of its check',
  failed: 'unhealthy: the check failed',
  healthy: 'healthy (not checked in depth)',
};

/** Pure: the Vega-Lite spec of the sweep chart (Okabe–Ito colours, see timeline-chart.ts). */
export function sweepChartSpec(result: SweepResult, width = 720): TopLevelSpec {
  const bars = sweepChartBars(result);
  const kinds = (Object.keys(COLOR) as SweepChartBar['kind'][]).filter((k) => bars.some((b) => b.kind === k));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: Math.max(200, width - 300),
    height: { step: 30 },
    background: 'white',
    padding: 12,
    title: { text: sweepHeadline(result), subtitle: 'Pods by top cause', anchor: 'start', fontSize: 17, subtitleFontSize: 14 },
    config: { font: CHART_FONT_FAMILY, view: { stroke: null }, axis: { labelFontSize: 14, titleFontSize: 14 }, legend: { labelFontSize: 14, orient: 'bottom', direction: 'vertical', title: null, labelLimit: 600 } },
    data: { values: bars.map((b) => ({ ...b, legend: LEGEND[b.kind] })) },
    encoding: {
      y: { field: 'group', type: 'nominal', sort: bars.map((b) => b.group), axis: { title: null, labelLimit: 280, ticks: false, domain: false } },
      x: { field: 'pods', type: 'quantitative', axis: { title: 'pods', tickMinStep: 1, tickCount: 6, format: 'd', grid: true }, scale: { nice: true } },
    },
    layer: [
      {
        mark: { type: 'bar', height: 20 },
        encoding: { color: { field: 'legend', type: 'nominal', scale: { domain: kinds.map((k) => LEGEND[k]), range: kinds.map((k) => COLOR[k]) } } },
      },
      { mark: { type: 'text', align: 'left', dx: 5, fontSize: 14, color: '#1a1a1a' }, encoding: { text: { field: 'pods', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

/** Pure (no I/O): the sweep chart as an SVG string. */
export async function renderSweepChartSvg(result: SweepResult): Promise<string> {
  return (await renderSpecSvg(sweepChartSpec(result))).svg;
}
