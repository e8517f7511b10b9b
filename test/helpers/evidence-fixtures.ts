/**
 * The evidence fixtures (test/fixtures/evidence/NAME.json) are what the real probes collect
 * from the simulator serving scenarios/NAME.yaml: the whole check as `podnet check --scenario`
 * runs it (real client-node → simulator → probes), on the scenario's first pod, with the
 * scenario's `now` as the cluster's clock.
 *
 * `npm run fixtures` rewrites them all (`-- NAME…` for some); test/component/evidence-fixtures.test.ts
 * fails when one is not what its scenario gives today. Two things depend on the machine, not on
 * the scenario, and are left out: each step's `durationMs`, and the order in which concurrent
 * steps finish (steps are written sorted by name).
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Evidence } from '../../src/evidence.js';
import { createClusterAccess } from '../../src/cluster/client.js';
import { collectEvidence } from '../../src/probes/collect.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { startSimulator } from '../../src/sim/server.js';

/** Where the scenarios and the fixtures live. */
export const SCENARIO_DIR = new URL('../../scenarios/', import.meta.url);
export const FIXTURE_DIR = new URL('../fixtures/evidence/', import.meta.url);

/** Every shipped scenario's name (its file name without `.yaml`), sorted. */
export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
}

/** The evidence of scenario `name`, as the fixture stores it. */
export async function captureEvidence(name: string): Promise<Evidence> {
  const scenario = loadScenario(fileURLToPath(new URL(`${name}.yaml`, SCENARIO_DIR)));
  const key = Object.keys(scenario.pods)[0];
  if (!key) throw new Error(`scenarios/${name}.yaml has no pod to check`);
  const [namespace, pod] = key.split('/') as [string, string];
  const now = new Date(scenario.now);
  const sim = await startSimulator({ scenario, port: 0 });
  try {
    const cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() });
    return stable(await collectEvidence(cluster, { namespace, pod }, { now: () => now }));
  } finally {
    await sim.close();
  }
}

/** The evidence without what depends on the machine: step durations and step finishing order. */
export function stable(ev: Evidence): Evidence {
  const steps = ev.steps.map(({ durationMs: _ms, ...step }) => step).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ...ev, steps };
}

/** The fixture file's text: JSON with one-space indent and a final newline, as they were written by hand. */
export function fixtureText(ev: Evidence): string {
  return `${JSON.stringify(ev, null, 1)}\n`;
}

/** `npm run fixtures [-- NAME…]`: rewrites the named fixtures, or all of them. */
async function main(args: string[]): Promise<void> {
  const all = scenarioNames();
  const unknown = args.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    process.stderr.write(`npm run fixtures: no scenario ${unknown.map((n) => `scenarios/${n}.yaml`).join(', ')}; the scenarios are: ${all.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  for (const name of args.length > 0 ? args : all) {
    writeFileSync(new URL(`${name}.json`, FIXTURE_DIR), fixtureText(await captureEvidence(name)));
    process.stdout.write(`wrote test/fixtures/evidence/${name}.json from scenarios/${name}.yaml\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
