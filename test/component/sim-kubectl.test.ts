/**
 * Real kubectl (v1.32) against the simulator serving the seed incident: discovery, Tables,
 * field selectors, logs and exec over WebSocket must all work the way they do on a cluster.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../../src/sim/server.js';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';

/** kubectl's client minor version, or undefined when there is none on PATH. */
function kubectlMinor(): number | undefined {
  try {
    const out = execFileSync(KUBECTL, ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 20_000 });
    return Number((JSON.parse(out) as { clientVersion?: { minor?: string } }).clientVersion?.minor?.replace(/\D/g, ''));
  } catch {
    return undefined;
  }
}
// kubectl < 1.30 speaks SPDY for exec; the simulator (like newer API servers' clients) speaks WebSocket only.
const minor = kubectlMinor();
const haveKubectl = minor !== undefined && minor >= 30;
if (!haveKubectl) console.warn(`sim-kubectl tests skipped: ${minor === undefined ? `${KUBECTL} not found` : `kubectl 1.${minor} is older than 1.30 (exec over WebSocket)`}; .ci/run installs kubectl 1.32 when none is on PATH.`);
const maybe = haveKubectl ? describe : describe.skip;

maybe('kubectl against podnet sim (seed incident)', () => {
  let sim: RunningSimulator;
  let dir: string;
  let kubeconfig: string;

  /** Runs kubectl asynchronously (the simulator shares this event loop). */
  const kubectl = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 20_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    sim = await startSimulator({ scenario: 'scenarios/seed-incident.yaml', kubeconfigPath: kubeconfig });
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a kubeconfig whose context namespace is the scenario pod namespace', () => {
    expect(sim.kubeconfigYaml()).toContain(`server: ${sim.url}`);
    expect(sim.kubeconfigYaml()).toContain('insecure-skip-tls-verify: true');
    expect(sim.kubeconfigYaml()).toContain('namespace: financial-ml');
  });

  it('get pods -o json', async () => {
    const r = await kubectl('get', 'pods', '-o', 'json');
    expect(r.stderr).toBe('');
    const list = JSON.parse(r.stdout) as { items: { metadata: { name: string }; status: { podIP: string } }[] };
    expect(list.items.map((p) => p.metadata.name)).toEqual(['mlserver-0', 'seldon-scheduler-0']);
    expect(list.items[0]?.status.podIP).toBe('10.42.1.17');
  });

  it('get events --field-selector involvedObject.name=mlserver-0 -o json', async () => {
    const r = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=mlserver-0', '-o', 'json');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { items: { reason: string; involvedObject: { name: string }; count?: number }[] };
    expect(list.items.every((e) => e.involvedObject.name === 'mlserver-0')).toBe(true);
    expect(list.items.find((e) => e.reason === 'Unhealthy')?.count).toBe(13);
    expect(list.items.map((e) => e.reason)).toContain('Killing');
  });

  it('logs mlserver-0 -c mlserver --previous', async () => {
    const r = await kubectl('logs', 'mlserver-0', '-c', 'mlserver', '--previous');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('HTTP server running on http://127.0.0.1:9000');
    expect(r.stdout).toContain("Loaded model 'income-classifier' successfully.");
    expect(r.stdout.trimEnd().split('\n').at(-1)).toContain('Shutting down inference pool');
    const none = await kubectl('logs', 'mlserver-0', '-c', 'agent', '--previous');
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('previous terminated container "agent" in pod "mlserver-0" not found');
  });

  it('logs with --tail and --timestamps', async () => {
    const r = await kubectl('logs', 'mlserver-0', '-c', 'agent', '--tail', '2', '--timestamps');
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(r.stdout).toMatch(/^2025-07-06T15:19:24\.\d+Z time="2025-07-06T15:19:24Z"/);
  });

  it('exec mlserver-0 -c agent -- cat /proc/net/tcp (the whole pod\'s listeners)', async () => {
    const r = await kubectl('exec', 'mlserver-0', '-c', 'agent', '--', 'cat', '/proc/net/tcp');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^\s+sl\s+local_address rem_address\s+st /);
    // mlserver's 127.0.0.1:9500 (0100007F:251C) shows up from the agent container
    expect(r.stdout).toMatch(/0100007F:251C 00000000:0000 0A/);
    expect(r.stdout).toMatch(/0100007F:2328 00000000:0000 0A/);
  });

  it('exec reports a missing tool as the runtime does', async () => {
    const r = await kubectl('exec', 'mlserver-0', '-c', 'agent', '--', 'nc', '-z', '127.0.0.1', '9500');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('exec: "nc": executable file not found in $PATH');
  });

  it('-n financial-ml get pods (human output)', async () => {
    const r = await kubectl('-n', 'financial-ml', 'get', 'pods');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines[1]).toMatch(/^mlserver-0\s+2\/3\s+Running\s+1 \(39s ago\)\s+2m29s$/);
    expect(lines[2]).toMatch(/^seldon-scheduler-0\s+1\/1\s+Running\s+0\s+5d4h$/);
  });

  it('get nodes -o wide, get events (human), get netpol', async () => {
    const nodes = await kubectl('get', 'nodes', '-o', 'wide');
    expect(nodes.stdout).toMatch(/fml-k3s-02\s+Ready\s+control-plane,etcd,master\s+\S+\s+v1\.32\.5\+k3s1\s+10\.20\.0\.12\s+<none>\s+Ubuntu 24\.04\.2 LTS\s+\S+\s+containerd:\/\/2\.0\.5-k3s1/);
    const ev = await kubectl('get', 'events');
    expect(ev.stdout).toMatch(/\(x13 over 2m10s\)\s+Warning\s+Unhealthy\s+pod\/mlserver-0\s+Startup probe failed/);
    const np = await kubectl('get', 'networkpolicy');
    expect(np.stdout).toMatch(/mlserver-allow-intra-pod\s+seldon-server-name=mlserver/);
  });

  it('answers unknown pods with kubectl\'s NotFound message', async () => {
    const r = await kubectl('get', 'pod', 'nope');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Error from server (NotFound): pods "nope" not found');
  });
});

describe('podnet sim kubeconfig file', () => {
  it('is written with mode 0600 to the given path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-kc-'));
    const path = join(dir, 'kc.yaml');
    writeFileSync(path, 'stale');
    const sim = await startSimulator({ scenario: 'scenarios/seed-incident.yaml', kubeconfigPath: path });
    try {
      const { readFileSync, statSync } = await import('node:fs');
      expect(readFileSync(path, 'utf8')).toBe(sim.kubeconfigYaml());
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
