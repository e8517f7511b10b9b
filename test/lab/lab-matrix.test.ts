/**
 * The simulator against the kernel, listener set-up by listener set-up: each set-up is a pod
 * of one lab (a real network namespace with the pod's IPv4 and IPv6 address, kubelet's
 * /etc/hosts and a resolver that answers NXDOMAIN), and for each we compare
 * - the socket tables: the kernel's /proc/net/tcp{,6} rows and the simulator's, equal up to
 *   the slot number, the inode and the kernel pointer;
 * - the outcome of a dial to each target: the kernel's (bash /dev/tcp under `timeout`) and the
 *   simulator's network model;
 * - for each real netcat (OpenBSD, ncat, busybox's Debian build, netcat-traditional) and bash:
 *   podnet's reading of its DIAL_SCRIPT run for real, against the kernel's outcome, and
 *   against the same script run in the simulator.
 * A disagreement fails the test unless it is in KNOWN_GAPS (each with its reason); every gap
 * found is printed.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DIAL_SCRIPT, dialOutcome, parseScriptOutput } from '../../src/probes/inside.js';
import { startLab, type Lab } from '../../src/lab/lab.js';
import type { NcVariant } from '../../src/lab/tools.js';
import { clusterNetwork } from '../../src/sim/cluster-net.js';
import { dial, procNetTcp, type SimListener, type SimNetwork } from '../../src/sim/netmodel.js';
import { policyDenialRejects } from '../../src/sim/policy.js';
import { validateScenario, type ScenarioInput } from '../../src/sim/scenario.js';
import { runCommand, type ExecContext } from '../../src/sim/shell/index.js';
import { describeLab } from './lab-support.js';

const PORT = 8080;
const CLOSED = 8081;
const FILTERED = '10.42.9.99';
/** Two more pods listening on 0.0.0.0:PORT: one every pod may reach, one a NetworkPolicy closes (K3s: REJECT). */
const OPEN_POD = { name: 'open-peer', ip: '10.42.0.200' };
const DENIED_POD = { name: 'denied-peer', ip: '10.42.0.201' };
const UNKNOWN = 'nosuch-svc';

type Listen = { proto: 'tcp' | 'tcp6'; address: string; port: number; v6only?: boolean; uid?: number };
const SETUPS: Record<string, (podIP: string) => Listen[]> = {
  'any-v4': () => [{ proto: 'tcp', address: '0.0.0.0', port: PORT }],
  loopback: () => [{ proto: 'tcp', address: '127.0.0.1', port: PORT, uid: 1000 }],
  'pod-ip': (ip) => [{ proto: 'tcp', address: ip, port: PORT }],
  'any-v6-dual': () => [{ proto: 'tcp6', address: '::', port: PORT }],
  'any-v6-only': () => [{ proto: 'tcp6', address: '::', port: PORT, v6only: true }],
  'loopback-v6-only': () => [{ proto: 'tcp6', address: '::1', port: PORT, v6only: true, uid: 999 }],
  'any-v4-and-v6-only': () => [
    { proto: 'tcp', address: '0.0.0.0', port: PORT },
    { proto: 'tcp6', address: '::', port: PORT, v6only: true },
  ],
};
const setupNames = Object.keys(SETUPS);
const podIPOf = (i: number): string => `10.42.0.${10 + i}`;
const podIP6Of = (i: number): string => `fd00:42::${(10 + i).toString(16)}`;

type Target = { name: string; host: (i: number) => string; port: number };
const TARGETS: Target[] = [
  { name: '127.0.0.1', host: () => '127.0.0.1', port: PORT },
  { name: 'pod IP', host: podIPOf, port: PORT },
  { name: '::1', host: () => '::1', port: PORT },
  { name: 'localhost', host: () => 'localhost', port: PORT },
  { name: 'closed port', host: () => '127.0.0.1', port: CLOSED },
  { name: 'filtered address', host: () => FILTERED, port: PORT },
  { name: 'another pod', host: () => OPEN_POD.ip, port: PORT },
  { name: 'another pod, policy REJECT', host: () => DENIED_POD.ip, port: PORT },
  { name: 'unknown name', host: () => UNKNOWN, port: PORT },
];

/**
 * Disagreements that remain, each with why. A listed gap is reported, not failed; anything
 * else that disagrees fails.
 */
const KNOWN_GAPS: { what: RegExp; why: string }[] = [
  { what: /^reading traditional .* localhost: podnet refused, kernel connected$/, why: 'netcat-traditional resolves localhost to 127.0.0.1 only (IPv4-only tool); a dual-stack client would also try ::1' },
  { what: /^sim-script traditional .* localhost: sim connected, lab refused$/, why: 'the simulator\'s nc is OpenBSD netcat, which tries ::1 too; netcat-traditional tries 127.0.0.1 only' },
];

const VARIANTS: NcVariant[] = ['openbsd', 'ncat', 'busybox', 'traditional'];
const CLIENT_TOOLS = ['sh', 'cat', 'readlink', 'nc', 'bash', 'timeout'];

function scenario(): ScenarioInput {
  const objects: ScenarioInput['objects'] = [];
  const pods: NonNullable<ScenarioInput['pods']> = {};
  setupNames.forEach((name, i) => {
    objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'lab', labels: { app: name } },
      spec: { containers: [{ name: 'server', image: 'server:1' }, { name: 'client', image: 'client:1' }] },
      status: {
        phase: 'Running', hostIP: '192.168.50.2', podIP: podIPOf(i), podIPs: [{ ip: podIPOf(i) }, { ip: podIP6Of(i) }],
        containerStatuses: ['server', 'client'].map((c) => ({ name: c, ready: true, restartCount: 0, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } })),
      },
    });
    pods[`lab/${name}`] = { containers: { server: { listen: SETUPS[name]!(podIPOf(i)), tools: ['sh', 'cat', 'readlink'] }, client: { tools: CLIENT_TOOLS } } };
  });
  for (const peer of [OPEN_POD, DENIED_POD]) {
    objects.push({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: peer.name, namespace: 'lab', labels: { app: peer.name } },
      spec: { containers: [{ name: 'server', image: 'server:1' }] },
      status: { phase: 'Running', hostIP: '192.168.50.2', podIP: peer.ip, podIPs: [{ ip: peer.ip }], containerStatuses: [{ name: 'server', ready: true, restartCount: 0, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } }] },
    });
    pods[`lab/${peer.name}`] = { containers: { server: { listen: [{ proto: 'tcp', address: '0.0.0.0', port: PORT }], tools: ['sh', 'cat', 'readlink'] } } };
  }
  // Deny all ingress to the denied peer: kube-router (K3s) REJECTs, so a dial to it is refused.
  objects.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-ingress', namespace: 'lab' }, spec: { podSelector: { matchLabels: { app: DENIED_POD.name } }, policyTypes: ['Ingress'], ingress: [] } });
  return { apiVersion: 'podnet.dev/v1alpha1', kind: 'Scenario', metadata: { name: 'lab-matrix' }, now: '2025-01-01T01:00:00Z', cluster: { version: 'v1.32.5+k3s1' }, objects, pods };
}

const simListeners = (i: number): SimListener[] =>
  SETUPS[setupNames[i]!]!(podIPOf(i)).map((l, n) => ({ ...l, container: 'server', inode: 1000 + n }));

/** The simulator's cluster network seen from set-up `i` (the other pods, the policy, K3s REJECT). */
function simNetwork(i: number): SimNetwork {
  const s = validateScenario(scenario(), 'lab-matrix');
  const listenersOf = (key: string): SimListener[] => (s.pods[key]?.containers.server?.listen ?? []).map((l, n) => ({ ...l, container: 'server', inode: 2000 + n }));
  return clusterNetwork({ objects: s.objects as unknown as Record<string, unknown>[], listenersOf, rejects: policyDenialRejects(s.cluster) }, `lab/${setupNames[i]!}`);
}

function simContext(i: number, tools: string[]): ExecContext {
  return { namespace: 'lab', pod: setupNames[i]!, container: 'client', podIP: podIPOf(i), tools, netnsInode: 4026531840, listeners: simListeners(i), overrides: [], network: simNetwork(i) };
}

/** A /proc/net/tcp row without what differs between sockets and boots: slot, inode, kernel pointer. */
function masked(table: string): string[] {
  return table
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => {
      const f = l.trim().split(/\s+/);
      f[0] = 'N:';
      f[9] = 'INODE';
      f[11] = 'PTR';
      return f.join(' ') + (l.length === 149 ? ' (padded)' : '');
    })
    .sort();
}

/** What the kernel did with a dial, read from bash /dev/tcp under `timeout` (no tool parsing involved). */
function kernelOutcome(r: { stdout: string; stderr: string; exitCode: number }): string {
  if (r.exitCode === 0) return 'connected';
  if (r.exitCode === 124) return 'timeout';
  if (/Connection refused/.test(r.stderr)) return 'refused';
  if (/Name or service not known|Temporary failure in name resolution/.test(r.stderr)) return 'unresolved';
  return `error(${r.exitCode}: ${r.stderr.trim()})`;
}

const gaps: string[] = [];
const failures: string[] = [];
function compare(what: string, ok: boolean): void {
  if (ok) return;
  const gap = KNOWN_GAPS.find((g) => g.what.test(what));
  if (gap) gaps.push(`${what}  [known: ${gap.why}]`);
  else failures.push(what);
}

describeLab('lab: listener set-ups × targets × tools, kernel against simulator', () => {
  const labs = new Map<string, Lab>();
  const truth = new Map<string, string>();

  beforeAll(async () => {
    for (const v of VARIANTS) labs.set(v, await startLab(validateScenario(scenario(), 'lab-matrix'), { tools: { nc: v } }));
  }, 180_000);

  afterAll(async () => {
    for (const lab of labs.values()) await lab.close();
    if (gaps.length) console.info(`lab matrix: ${gaps.length} known gaps (each with its reason):\n${gaps.join('\n')}`);
  });

  it('every namespace the lab made is named podnet-PID-…, and the kernel gave each pod its own', async () => {
    const lab = labs.get('openbsd')!;
    for (const ns of lab.namespaces()) expect(ns.startsWith(`podnet-${process.pid}-`)).toBe(true);
    const inodes = await Promise.all(setupNames.map((name) => lab.exec({ pod: `lab/${name}`, container: 'client', tools: CLIENT_TOOLS, argv: ['readlink', '/proc/self/ns/net'] })));
    const seen = new Set(inodes.map((r) => r.stdout.trim()));
    expect(seen.size).toBe(setupNames.length);
    for (const r of inodes) expect(r.stdout).toMatch(/^net:\[\d+\]\n$/);
  });

  it('socket tables: kernel rows = simulator rows (up to slot, inode and kernel pointer)', async () => {
    const lab = labs.get('openbsd')!;
    for (const [i, name] of setupNames.entries()) {
      for (const proto of ['tcp', 'tcp6'] as const) {
        const real = await lab.exec({ pod: `lab/${name}`, container: 'server', tools: ['sh', 'cat', 'readlink'], argv: ['cat', `/proc/net/${proto}`] });
        expect(real.exitCode).toBe(0);
        const listening = real.stdout.split('\n').filter((l, n) => n === 0 || / 0A /.test(l)).join('\n');
        expect({ setup: name, proto, rows: masked(listening) }).toEqual({ setup: name, proto, rows: masked(procNetTcp(simListeners(i), proto)) });
        // The header is the kernel's too.
        expect(real.stdout.split('\n')[0]).toBe(procNetTcp([], proto).split('\n')[0]);
      }
    }
  });

  it('dial outcomes: kernel (bash /dev/tcp) = simulator network model', async () => {
    const lab = labs.get('openbsd')!;
    await Promise.all(
      setupNames.flatMap((name, i) =>
        TARGETS.map(async (t) => {
          const r = await lab.exec({ pod: `lab/${name}`, container: 'client', tools: CLIENT_TOOLS, argv: ['timeout', '3', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'bash', t.host(i), String(t.port)] });
          const kernel = kernelOutcome(r);
          truth.set(`${name}|${t.name}`, kernel);
          const sim = dial(simListeners(i), t.host(i), t.port, podIPOf(i), simNetwork(i));
          compare(`model ${name} → ${t.name}: sim ${sim}, kernel ${kernel}`, sim === kernel);
        }),
      ),
    );
    expect(failures).toEqual([]);
  }, 120_000);

  for (const variant of [...VARIANTS, 'bash'] as const) {
    it(`${variant === 'bash' ? 'bash /dev/tcp (no nc)' : `nc = ${variant}`}: podnet reads the real tool as the kernel decided, and as the simulator's script run reads`, async () => {
      const lab = labs.get(variant === 'bash' ? 'openbsd' : variant)!;
      const tools = variant === 'bash' ? CLIENT_TOOLS.filter((t) => t !== 'nc') : CLIENT_TOOLS;
      const before = failures.length;
      await Promise.all(
        setupNames.flatMap((name, i) =>
          TARGETS.map(async (t) => {
            const argv = ['sh', '-c', DIAL_SCRIPT, 'sh', t.host(i), String(t.port)];
            // The probes' own exec timeout (InsideOptions.execTimeoutMs default).
            const real = await lab.exec({ pod: `lab/${name}`, container: 'client', tools, argv, timeoutMs: 10_000 });
            const d = parseScriptOutput(real.stdout).dials[0];
            const podnet = d ? dialOutcome(d.output, d.rc) : 'no-dial';
            const kernel = truth.get(`${name}|${t.name}`);
            if (kernel !== undefined) compare(`reading ${variant} ${name} → ${t.name}: podnet ${podnet}, kernel ${kernel}`, podnet === kernel);
            const simRun = runCommand(simContext(i, tools), argv);
            const s = parseScriptOutput(simRun.stdout).dials[0];
            const sim = s ? dialOutcome(s.output, s.rc) : 'no-dial';
            compare(`sim-script ${variant} ${name} → ${t.name}: sim ${sim}, lab ${podnet}`, sim === podnet);
          }),
        ),
      );
      expect(failures.slice(before)).toEqual([]);
    }, 120_000);
  }
});
