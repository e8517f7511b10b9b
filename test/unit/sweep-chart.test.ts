/** The sweep chart: pods grouped by top cause in a stable order, drawn without warnings. */
import { PNG } from 'pngjs';
import { svgToPng } from '../../src/render/chart-png.js';
import { sweepChartBars, sweepChartSpec } from '../../src/render/sweep-chart.js';
import { renderSpecSvg } from '../../src/render/timeline-chart.js';
import type { SweepResult } from '../../src/sweep/sweep.js';
import type { SweepRow } from '../../src/sweep/triage.js';

const row = (pod: string, over: Partial<SweepRow>): SweepRow => ({ pod, state: 'Running', ready: '1/1', restarts: 0, healthy: true, ...over });
const result: SweepResult = {
  namespace: 'shop',
  rows: [
    ...Array.from({ length: 3 }, (_, i) => row(`app-${i}`, { healthy: false, state: 'CrashLoopBackOff', cause: 'server-crashloop', confidence: 0.8 })),
    row('web-1', { healthy: false, cause: 'probe-bind-mismatch', confidence: 0.88 }),
    row('db-0', { healthy: false, error: 'forbidden: get pods' }),
    row('q-0', { healthy: false }),
    ...Array.from({ length: 5 }, (_, i) => row(`ok-${i}`, {})),
  ],
  checked: 6,
  apiRequests: 20,
  durationMs: 100,
};

describe('sweep chart', () => {
  it('counts pods per top cause, most first; failed checks, then healthy pods last', () => {
    expect(sweepChartBars(result)).toEqual([
      { group: 'server-crashloop', pods: 3, kind: 'cause' },
      { group: 'probe-bind-mismatch', pods: 1, kind: 'cause' },
      { group: 'unknown', pods: 1, kind: 'cause' },
      { group: 'check failed', pods: 1, kind: 'failed' },
      { group: 'healthy', pods: 5, kind: 'healthy' },
    ]);
  });

  it('renders to a PNG without warnings, titled with the sweep headline', async () => {
    const { svg, warnings } = await renderSpecSvg(sweepChartSpec(result));
    expect(warnings).toEqual([]);
    expect(svg).toContain('Sweep of shop: 11 pods, 6 unhealthy, 6 checked in depth');
    const img = PNG.sync.read(svgToPng(svg));
    expect(img.width).toBeGreaterThan(1000);
    expect(img.width).toBeLessThan(1600);
  });
});
