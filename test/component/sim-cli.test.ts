/**
 * `podnet sim`: argument checking, a bad scenario's one-paragraph error and exit code 2,
 * and a real run that serves the kubeconfig it printed until SIGTERM.
 */
import { jest } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, parseSimArgs } from '../../src/bin/sim.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { out, err, restore: () => (log.mockRestore(), error.mockRestore()) };
}

describe('podnet sim arguments', () => {
  it('parses the options', () => {
    expect(parseSimArgs(['--scenario', 'a.yaml', '--port', '8001', '--kubeconfig', 'kc'])).toEqual({ scenario: 'a.yaml', port: 8001, kubeconfig: 'kc' });
    expect(parseSimArgs(['--help'])).toBeUndefined();
  });
  it.each([
    [[], '--scenario FILE is required'],
    [['--scenario', 'a.yaml', '--port', 'http'], '--port must be a number from 0 to 65535'],
    [['--scenario', 'a.yaml', '--port', '70000'], '--port must be a number from 0 to 65535'],
    [['--scenario', 'a.yaml', '--bogus'], "Unknown option '--bogus'"],
  ])('%j -> %s', (argv, message) => {
    expect(() => parseSimArgs(argv as string[])).toThrow(message);
  });
  it('prints the reason and the usage, exit 2', async () => {
    const c = capture();
    try {
      expect(await main(['--port', 'x'])).toBe(2);
    } finally {
      c.restore();
    }
    expect(c.err.join('\n')).toMatch(/^podnet sim: --scenario FILE is required .*\n\nUsage: podnet sim --scenario FILE/);
  });
});

describe('podnet sim runs', () => {
  it('exits 2 with the one-paragraph scenario error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-simcli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: podnet.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nnow: "2025-07-06T15:20:00Z"\ncluster: {version: v1.32.5}\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {namespace: ns}}\n');
    const c = capture();
    try {
      expect(await main(['--scenario', file])).toBe(2);
    } finally {
      c.restore();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(c.err).toEqual([`podnet sim: Scenario file ${file}: objects[0].metadata.name: is required (expected a string).`]);
  });

  it('serves until SIGTERM, printing the URL and the kubeconfig path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-simcli-'));
    const kc = join(dir, 'kc.yaml');
    const c = capture();
    let code: number | undefined;
    const running = main(['--scenario', 'scenarios/seed-incident.yaml', '--kubeconfig', kc]).then((x) => (code = x));
    try {
      for (let i = 0; i < 100 && !c.out.some((l) => l.startsWith('kubeconfig:')); i++) await new Promise((r) => setTimeout(r, 20));
      const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(c.out.join('\n'))?.[1];
      expect(url).toBeDefined();
      expect(c.out).toContain(`kubeconfig: ${kc}`);
      expect(readFileSync(kc, 'utf8')).toContain(`server: ${url}`);
      const v = (await (await fetch(`${url}/version`)).json()) as { gitVersion: string };
      expect(v.gitVersion).toBe('v1.32.5+k3s1');
      process.emit('SIGTERM', 'SIGTERM');
      await running;
      expect(code).toBe(0);
      await expect(fetch(`${url}/version`)).rejects.toThrow();
      expect(c.err.join('\n')).toMatch(/SIGTERM, stopping \(1 requests served\)/);
      expect(existsSync(kc)).toBe(true);
    } finally {
      c.restore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
