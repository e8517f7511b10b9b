/**
 * Issue 11 finding 4: nothing a user or a log controls may stall a worker. Each case runs in a
 * child process killed after LIMIT_MS — far above its linear cost (well under a second here),
 * far below what the old code took: `(.*)*X` never ended, the old URL rule took ~40 s on
 * 300 KB of `a-a-a-` (~7 min on 1 MB), the audit log redacted a whole 160 KB command first.
 * This is a bound on blow-ups, not a timing target; the bench measures the ratios.
 */
import { spawn } from 'node:child_process';

const LIMIT_MS = 60_000;

function runCase(name: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', './test/helpers/register-ts.js', 'test/helpers/linear-child.ts', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

describe.each([
  ['grep', '--grep with catastrophic patterns over a 1 MB line and 1 MB of short lines'],
  ['grepLine', 'RE2 matching a whole 1 MB line'],
  ['redact', 'every redaction rule over 1 MB adversarial lines'],
  ['redactFile', 'the uploaded log file with 1 MB adversarial lines'],
  ['audit', 'a 1 MB slash command through the audit log'],
  ['bounded', 'redactBounded on 1 MB lines'],
])('%s', (name, what) => {
  it(`finishes: ${what}`, async () => {
    const r = await runCase(name);
    expect({ signal: r.signal, code: r.code, err: r.err.split('\n').filter((l) => !/ExperimentalWarning|--trace-warnings/.test(l)).join('\n').trim() }).toEqual({ signal: null, code: 0, err: '' });
    expect(r.out).toMatch(/^ok \d+/);
  }, LIMIT_MS + 10_000);
});
