/**
 * The evidence fixtures are current: each is what the probes collect today from the simulator
 * serving its scenario (test/helpers/evidence-fixtures.ts). When one fails, the probes, the
 * simulator or the scenario changed: run `npm run fixtures -- NAME`, read the diff, commit it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { FIXTURE_DIR, captureEvidence, fixtureText, scenarioNames, stable } from '../helpers/evidence-fixtures.js';
import type { Evidence } from '../../src/evidence.js';

describe('evidence fixtures', () => {
  it('there is one per scenario and none without one', () => {
    const fixtures = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
    expect(fixtures).toEqual(scenarioNames());
  });

  it.each(scenarioNames())('%s.json is what scenarios/%s.yaml gives', async (name) => {
    const stored = readFileSync(new URL(`${name}.json`, FIXTURE_DIR), 'utf8');
    expect(fixtureText(await captureEvidence(name))).toBe(stored);
  });

  it('leaves out only what depends on the machine', () => {
    const ev = JSON.parse(readFileSync(new URL('seed-incident.json', FIXTURE_DIR), 'utf8')) as Evidence;
    const timed = { ...ev, steps: [...ev.steps].reverse().map((s, i) => ({ ...s, durationMs: i + 3 })) };
    expect(stable(timed)).toEqual(ev);
    expect(stable({ ...ev, collectedAt: '2020-01-01T00:00:00.000Z' })).not.toEqual(ev);
  });
});
