/**
 * The real collectors, analysis and renderers for the job processors. Kept apart from
 * workers.ts so tests and benchmarks that inject fakes do not load client-node-backed probes.
 */
import { diagnose } from '../analysis/diagnose.js';
import { collectEvidence, collectLogs } from '../probes/collect.js';
import { svgToPng } from '../render/chart-png.js';
import { renderSlackProgress, renderSlackSummary, renderSlackThread } from '../render/slack.js';
import { renderSweepChartSvg } from '../render/sweep-chart.js';
import { chartModelOf, renderTimelineModelSvg } from '../render/timeline-chart.js';
import type { ProcessorDeps } from './processor-deps.js';

export type WorkerDeps = Omit<ProcessorDeps, 'clusterAccess' | 'poster' | 'logger'>;

/** The production wiring: src/probes → src/analysis → src/render/slack. */
export function defaultDeps(): WorkerDeps {
  return {
    collectEvidence: (cluster, request, options) => collectEvidence(cluster, request, options),
    collectLogs: (cluster, request, pod) => collectLogs(cluster, request, pod),
    diagnose: (evidence, ctx) => diagnose(evidence, ctx),
    renderSummary: (d, options) => renderSlackSummary(d, options),
    renderThread: (d, evidence) => renderSlackThread(d, evidence),
    renderProgress: (target, status) => renderSlackProgress(target, status),
    renderTimelinePng: async (chart) => svgToPng(await renderTimelineModelSvg(chartModelOf(chart))),
    renderSweepChartPng: async (result) => svgToPng(await renderSweepChartSvg(result)),
  };
}
