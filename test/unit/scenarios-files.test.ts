/** Shipped cause scenarios: valid per the scenario schema, with an `# expect:` line naming a cause. */
import { readFileSync, readdirSync } from 'node:fs';
import { parseScenario } from '../../src/sim/scenario.js';
import { CAUSE_IDS } from '../../src/analysis/types.js';

const DIR = new URL('../../scenarios/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'seed-incident.yaml');

describe('cause scenarios', () => {
  it('cover every cause id except unknown', () => {
    const expects = new Set(files.map((f) => /^# expect: (\S+)/.exec(readFileSync(new URL(f, DIR), 'utf8'))?.[1]));
    for (const c of CAUSE_IDS.filter((x) => x !== 'unknown')) expect(expects).toContain(c);
  });

  it.each(files)('%s parses and describes itself', (f) => {
    const text = readFileSync(new URL(f, DIR), 'utf8');
    const expected = /^# expect: (\S+)\n/.exec(text)?.[1];
    expect(CAUSE_IDS).toContain(expected);
    const s = parseScenario(text, f);
    expect(s.metadata.description?.length).toBeGreaterThan(20);
    expect(s.objects.some((o) => o.kind === 'Node')).toBe(true);
    expect(Object.keys(s.pods)).toHaveLength(1);
  });

  it('do not all use the same names: rules cannot key on them', () => {
    const pods = files.map((f) => Object.keys(parseScenario(readFileSync(new URL(f, DIR), 'utf8'), f).pods)[0]!);
    const namespaces = new Set(pods.map((p) => p.split('/')[0]));
    expect(namespaces.size).toBeGreaterThanOrEqual(files.length - 1);
  });
});
