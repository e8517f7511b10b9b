// Regenerates the chart golden images (test/fixtures/charts/): for each named evidence fixture,
// the chart model (JSON, what the golden test renders) and its PNG. Look at the PNGs before
// committing them. Run after `npm run build`: node scripts/update-chart-goldens.mjs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { diagnose } from '../dist/src/analysis/diagnose.js';
import { svgToPng } from '../dist/src/render/chart-png.js';
import { renderSpecSvg, timelineChartModel, timelineChartSpec } from '../dist/src/render/timeline-chart.js';

const NAMES = ['seed-incident', 'server-oom-killed'];
const dir = new URL('../test/fixtures/charts/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const name of NAMES) {
  const ev = JSON.parse(readFileSync(new URL(`../test/fixtures/evidence/${name}.json`, import.meta.url), 'utf8'));
  const d = diagnose(ev, { now: new Date(ev.clusterNow ?? ev.collectedAt) });
  const model = timelineChartModel(d, ev);
  writeFileSync(new URL(`${name}.model.json`, dir), `${JSON.stringify(model, null, 2)}\n`);
  const { svg, warnings } = await renderSpecSvg(timelineChartSpec(model));
  if (warnings.length) throw new Error(`${name}: ${warnings.join('; ')}`);
  writeFileSync(new URL(`${name}.png`, dir), svgToPng(svg));
  console.log(`wrote test/fixtures/charts/${name}.model.json and .png`);
}
