/**
 * diagnose() over hand-built evidence and over evidence captured from the simulator running
 * each shipped scenario (test/fixtures/evidence, collected by the real probes).
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Evidence } from '../../src/evidence.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import { buildTimeline, correlate } from '../../src/analysis/timeline.js';
import { NOW, container, evidence, seedIncident } from '../helpers/evidence-builders.js';

const ctx = { now: NOW };
const FIXTURES = new URL('../fixtures/evidence/', import.meta.url);
const load = (name: string): Evidence => JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as Evidence;
/** Expected top cause of each captured fixture: the `# expect:` line of its scenario file. */
const expected = (name: string): string => {
  const text = readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), 'utf8');
  return /^# expect: (\S+)/.exec(text)?.[1] ?? 'probe-bind-mismatch'; // seed-incident.yaml has no expect line
};

describe('diagnose', () => {
  it('ranks probe-bind-mismatch first on the seed incident, platform-change not needed, K3s blocking ruled out', () => {
    const d = diagnose(seedIncident(), ctx);
    expect(d.hypotheses[0]!.cause).toBe('probe-bind-mismatch');
    expect(d.hypotheses[0]!.confidence).toBeGreaterThan(0.8);
    const platform = d.options.find((o) => o.id === 'platform-change')!;
    expect(platform.fit).toBe('not-needed');
    expect(platform.why).toContain('net:[4026532415]');
    expect(platform.why).toContain('K3s is not blocking loopback');
    expect(d.options.map((o) => o.id)).toEqual(['shared-mlserver', 'service-routing', 'platform-change']);
    const np = d.ruledOut.find((r) => r.cause === 'network-policy-blocks')!;
    expect(np.why).toMatch(/NetworkPolicy cannot block/);
    // Was /not a filter/ (unqualified): a REJECT also gives "refused"; on loopback no policy applies.
    expect(np.why).toMatch(/on loopback, which NetworkPolicy never filters, that means nothing accepted 127\.0\.0\.1:9500/);
    expect(np.why).not.toMatch(/not a filter/);
    expect(d.ruledOut.find((r) => r.cause === 'separate-netns')!.why).toContain('all three');
    expect(d.generatedAt).toBe(NOW.toISOString());
  });

  it('sorts hypotheses by confidence and never repeats a cause', () => {
    const d = diagnose(seedIncident(), ctx);
    const causes = d.hypotheses.map((h) => h.cause);
    expect(new Set(causes).size).toBe(causes.length);
    const confs = d.hypotheses.map((h) => h.confidence);
    expect(confs).toEqual([...confs].sort((a, b) => b - a));
  });

  it('answers unknown with what to collect next when the evidence is thin', () => {
    const ev = evidence({ port: 7000, containers: [container('a'), container('b')] });
    ev.steps.push({ name: 'exec:sockets:a', ok: false, code: 'no-tool', error: 'container a has no cat' });
    const d = diagnose(ev, ctx);
    expect(d.hypotheses[0]!.cause).toBe('unknown');
    expect(d.next.join('\n')).toContain('/proc/net/tcp');
    expect(d.steps).toEqual(ev.steps);
  });

  it('recommends platform-change only for separate network namespaces', () => {
    const d = diagnose(load('separate-netns'), ctx);
    expect(d.hypotheses[0]!.cause).toBe('separate-netns');
    expect(d.options.find((o) => o.id === 'platform-change')!.fit).toBe('recommended');
  });

  it('recommends service routing when the server is not in the pod', () => {
    const d = diagnose(load('server-not-in-pod'), ctx);
    expect(d.hypotheses[0]!.cause).toBe('server-not-in-pod');
    expect(d.options.find((o) => o.id === 'service-routing')!.fit).toBe('recommended');
    expect(d.options.find((o) => o.id === 'platform-change')!.fit).toBe('not-needed');
  });

  const names = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
  it.each(names)('captured evidence %s ranks its scenario\'s cause first', (name) => {
    const d = diagnose(load(name), ctx);
    expect(d.hypotheses[0]!.cause).toBe(expected(name));
    expect(d.hypotheses[0]!.confidence).toBeGreaterThanOrEqual(0.45);
    expect(d.hypotheses[0]!.evidence.length).toBeGreaterThan(0);
  });
});

describe('timeline and correlations', () => {
  it('sorts entries and pairs the refusal with the startup-probe kill 4 s before it', () => {
    const ev = seedIncident();
    const tl = buildTimeline(ev);
    const times = tl.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(tl.filter((e) => e.kind === 'refused' && e.container === 'agent' && e.at.startsWith('2025-07-06T15:19:24'))).toHaveLength(1);
    expect(tl.some((e) => e.kind === 'killed' && e.at === '2025-07-06T15:19:20Z')).toBe(true);
    const c = correlate(ev);
    expect(c).toContain('agent refused 127.0.0.1:9500 at 15:19:24, 4 s after mlserver was killed by its startup probe (15:19:20).');
  });

  it('says when refusals come while the server was running and listening', () => {
    const ev = load('port-mismatch');
    const c = correlate(ev);
    expect(c.join('\n')).toMatch(/while mlserver had been running since .* — points to an address or port problem/);
  });
});
