/**
 * `podnet logs` end to end in-process: argument parsing, the real client-node against the
 * simulator over HTTP (seed scenario and a generated large log), text and JSON output.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, parseLogsArgs, pickContainer } from '../../src/bin/logs.js';
import type { LogScanResult } from '../../src/logscan/scan.js';

const SEED = 'scenarios/seed-incident.yaml';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('podnet logs arguments', () => {
  it('parses the full flag set', () => {
    expect(parseLogsArgs(['mlserver-0', '-n', 'financial-ml', '-c', 'agent', '--previous', '--since', '10m', '--tail', '500', '--grep', 'refused', '-o', 'json'])).toEqual({
      pod: 'mlserver-0', namespace: 'financial-ml', container: 'agent', previous: true, sinceSeconds: 600, tail: 500, grep: 'refused', output: 'json', source: { inCluster: false },
    });
    expect(parseLogsArgs(['p'])).toMatchObject({ namespace: 'default', previous: false, tail: 10000, output: 'text' });
    expect(parseLogsArgs(['--help'])).toBeUndefined();
  });

  it.each([
    [['mlserver-0', '--bogus'], /Unknown option "--bogus" for logs: valid options: -n\/--namespace/],
    [[], /logs needs a pod name, e.g. logs mlserver-0/],
    [['a', 'b'], /Unexpected "b" after the pod name: logs takes 1 argument/],
    [['Bad_Pod'], /not a valid pod name.*did you mean "bad-pod"/],
    [['p', '-n', 'NS!'], /not a valid namespace/],
    [['p', '--tail', '0'], /--tail must be a number of lines from 1/],
    [['p', '--since', 'soon'], /--since must be a duration/],
    [['p', '--grep', '(['], /not a valid regular expression/],
    [['p', '-o', 'yaml'], /--output must be one of text, json \(got "yaml"\)/],
    [['p', '--scenario', 'f', '--kubeconfig', 'k'], /--scenario uses a simulated cluster: drop --kubeconfig/],
  ])('rejects %j with one clear line and usage, exit 2', async (argv, message) => {
    const r = await run(argv as string[]);
    expect(r.code).toBe(2);
    const [first, ...rest] = r.err.split('\n');
    expect(first).toMatch(/^podnet logs: /);
    expect(first).toMatch(message);
    expect(rest.join('\n')).toContain('Usage: podnet logs POD');
    expect(r.out).toBe('');
  });

  it('picks the default container only when it is unambiguous', () => {
    expect(pickContainer({ spec: { containers: [{ name: 'only' }] } }, 'p')).toBe('only');
    expect(pickContainer({ metadata: { annotations: { 'kubectl.kubernetes.io/default-container': 'b' } }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } }, 'p')).toBe('b');
    expect(() => pickContainer({ spec: { containers: [{ name: 'a' }, { name: 'b' }] } }, 'p')).toThrow('pod p has 2 containers (a, b); choose one with -c, e.g. -c a');
  });
});

describe('podnet logs against the simulator', () => {
  it('prints the seed agent log: grouped signature lines with addresses, then the tail', async () => {
    const r = await run(['mlserver-0', '-n', 'financial-ml', '-c', 'agent', '--scenario', SEED]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^financial-ml\/mlserver-0 container agent \(current run\): 12 lines, [\d.]+ KiB, 2025-07-06T15:17:42\.118403731Z … 2025-07-06T15:19:31\.886214550Z$/);
    expect(r.out).toContain('Signatures: agent-inference-host ×1, client-refused ×2, agent-waiting ×2, agent-ready ×1');
    expect(r.out).toContain('  2025-07-06T15:19:24.013390127Z  [client-refused 127.0.0.1:9500, agent-waiting] time="2025-07-06T15:19:24Z"');
    expect(r.out).toContain('Last 12 lines:');
    expect(lines.at(-1)).toContain('Inference Server service ready again');
  });

  it("answers --grep '(.*)*X' (catastrophic for a backtracking engine) within its budget, and finds what a nested pattern selects", async () => {
    // Issue 11: with JavaScript's RegExp this pinned the process at 100% CPU for good.
    const none = await run(['mlserver-0', '-n', 'financial-ml', '-c', 'agent', '--scenario', SEED, '--grep', '(.*)*X']);
    expect(none.code).toBe(0);
    expect(none.out).toContain('Lines matching --grep: 0');
    const some = await run(['mlserver-0', '-n', 'financial-ml', '-c', 'agent', '--scenario', SEED, '--grep', '(.*)*refused', '-o', 'json']);
    const r = JSON.parse(some.out) as LogScanResult;
    expect(r.grepCount).toBeGreaterThan(0);
    expect(r.grepLines!.every((l) => l.text.includes('refused'))).toBe(true);
  });

  it('prints the LogEvidence as JSON', async () => {
    const r = await run(['mlserver-0', '-n', 'financial-ml', '-c', 'mlserver', '--previous', '--scenario', SEED, '-o', 'json']);
    expect(r.code).toBe(0);
    const ev = JSON.parse(r.out) as LogScanResult;
    expect(ev).toMatchObject({ container: 'mlserver', previous: true, truncated: false });
    const grpc = ev.matches.find((m) => m.signature === 'server-grpc-running');
    expect(grpc).toMatchObject({ at: '2025-07-06T15:17:52.187633019Z', groups: { host: '127.0.0.1', port: '9500' } });
  });

  it('says plainly when there is no previous run, and when the pod is missing', async () => {
    const prev = await run(['mlserver-0', '-n', 'financial-ml', '-c', 'agent', '--previous', '--scenario', SEED]);
    expect(prev.code).not.toBe(0);
    expect(prev.err.split('\n')).toHaveLength(1);
    expect(prev.err).toMatch(/previous terminated container "agent".*not found — the container has not restarted, so there is no previous run; drop --previous$/);
    const missing = await run(['nope-0', '-n', 'financial-ml', '-c', 'agent', '--scenario', SEED]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^podnet logs: .*nope-0.* not found/);
  });

  describe('a large generated log', () => {
    let dir: string;
    let scenario: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'podnet-logs-cli-'));
      scenario = join(dir, 'big.yaml');
      writeFileSync(
        scenario,
        [
          'apiVersion: podnet.dev/v1alpha1',
          'kind: Scenario',
          'metadata: {name: big}',
          'now: "2025-07-06T15:20:00Z"',
          'cluster: {version: v1.32.5+k3s1}',
          'objects:',
          '  - apiVersion: v1',
          '    kind: Pod',
          '    metadata: {name: app-0, namespace: ml}',
          '    spec: {containers: [{name: app, image: app:1}, {name: side, image: side:1}]}',
          '    status: {phase: Running, podIP: 10.42.1.5}',
          'pods:',
          '  ml/app-0:',
          '    containers:',
          '      app:',
          '        logs:',
          '          generate: {lines: 200000, template: "request {n} dial tcp 127.0.0.1:9500: connect: connection refused password=hunter2", stepMs: 1}',
          '      side: {}',
        ].join('\n'),
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads only the last --tail lines, keeps first/last matches with counts, masks secrets, honours --grep', async () => {
      const r = await run(['app-0', '-n', 'ml', '-c', 'app', '--tail', '50000', '--grep', 'request 19999[0-9] ', '--scenario', scenario, '-o', 'json']);
      expect(r.err).toBe('');
      const ev = JSON.parse(r.out) as LogScanResult;
      expect(ev.lines).toBe(50000);
      expect(ev.signatureCounts).toEqual({ 'client-refused': 50000 });
      expect(ev.matches).toHaveLength(40);
      expect(ev.matches[0]!.line).toBe('request 150001 dial tcp 127.0.0.1:9500: connect: connection refused password=[redacted]');
      expect(ev.matches.at(-1)!.line).toContain('request 200000 ');
      expect(ev.grepCount).toBe(10);
      expect(r.out).not.toContain('hunter2');
    });

    it('asks for -c when the pod has several containers', async () => {
      const r = await run(['app-0', '-n', 'ml', '--scenario', scenario]);
      expect(r.code).toBe(2);
      expect(r.err).toBe('podnet logs: pod app-0 has 2 containers (app, side); choose one with -c, e.g. -c app');
    });
  });
});
