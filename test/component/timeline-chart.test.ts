/**
 * The timeline chart end to end: every shipped scenario, checked through the simulator with
 * the real client-node, draws a valid PNG; `podnet check --timeline-png/--timeline-svg`
 * writes the files, and a path it cannot write is reported without failing the check.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { diagnose } from '../../src/analysis/diagnose.js';
import { main as checkMain, type CliIo } from '../../src/bin/check.js';
import { createClusterAccess } from '../../src/cluster/client.js';
import { collectEvidence } from '../../src/probes/collect.js';
import { svgToPng } from '../../src/render/chart-png.js';
import { renderTimelineSvg } from '../../src/render/timeline-chart.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { startSimulator } from '../../src/sim/server.js';

const DIR = join(process.cwd(), 'scenarios');

function io(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), stdoutIsTTY: false, stderrIsTTY: false, env: {} };
}

describe('the timeline chart of every shipped scenario', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

  it('finds the scenarios', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  it.each(files)('%s', async (file) => {
    const scenario = loadScenario(join(DIR, file));
    const key = Object.keys(scenario.pods)[0]!;
    const [namespace, pod] = key.split('/') as [string, string];
    const now = new Date(scenario.now);
    const sim = await startSimulator({ scenario, port: 0 });
    try {
      const evidence = await collectEvidence(createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() }), { namespace, pod }, { now: () => now });
      const d = diagnose(evidence, { now });
      const svg = await renderTimelineSvg(d, evidence);
      expect(svg).toContain(`${pod} in ${namespace}`);
      const img = PNG.sync.read(svgToPng(svg));
      expect(img.width).toBeGreaterThanOrEqual(1800);
      expect(img.height).toBeGreaterThanOrEqual(500);
    } finally {
      await sim.close();
    }
  });
});

describe('podnet check --timeline-png / --timeline-svg', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-timeline-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the seed incident chart as PNG and SVG', async () => {
    const cli = io();
    const png = join(dir, 't.png');
    const svg = join(dir, 't.svg');
    const code = await checkMain(['mlserver-0', '-n', 'financial-ml', '--scenario', 'scenarios/seed-incident.yaml', '--timeline-png', png, '--timeline-svg', svg], cli);
    expect(cli.err.join('')).toBe('');
    expect(code).toBe(0);
    expect(cli.out.join('')).toContain('probe-bind-mismatch');
    const img = PNG.sync.read(readFileSync(png));
    expect(img.width).toBeGreaterThan(1800);
    const text = readFileSync(svg, 'utf8');
    expect(text).toContain('mlserver-0 in financial-ml: probe-bind-mismatch');
    expect(text).toContain('15:19:'); // cluster clock of the scenario, not today's
  });

  it('reports a path it cannot write, and still prints the diagnosis with exit 0', async () => {
    const cli = io();
    const bad = join(dir, 'no-such-dir', 't.png');
    const code = await checkMain(['mlserver-0', '-n', 'financial-ml', '--scenario', 'scenarios/seed-incident.yaml', '--timeline-png', bad], cli);
    expect(code).toBe(0);
    expect(cli.out.join('')).toContain('probe-bind-mismatch');
    expect(cli.err.join('')).toContain(`cannot write the timeline to ${bad}`);
  });

  it('refuses an empty file name as bad input', async () => {
    const cli = io();
    expect(await checkMain(['mlserver-0', '--timeline-png', ' '], cli)).toBe(2);
    expect(cli.err.join('')).toContain('--timeline-png needs a value');
  });
});
