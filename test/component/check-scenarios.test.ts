/**
 * Every shipped scenario through the whole check: real client-node → simulator → probes →
 * diagnose. A scenario whose first line is `# expect: CAUSE` must come out with that cause on
 * top; the seed incident must be probe-bind-mismatch within the 12-request budget.
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diagnose } from '../../src/analysis/diagnose.js';
import { createClusterAccess } from '../../src/cluster/client.js';
import { collectEvidence, collectLogs } from '../../src/probes/collect.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { startSimulator } from '../../src/sim/server.js';
import { main as checkMain } from '../../src/bin/check.js';
import { main as analyzeMain } from '../../src/bin/analyze.js';
import type { CliIo } from '../../src/bin/check.js';

const DIR = join(process.cwd(), 'scenarios');
const SEED = join(DIR, 'seed-incident.yaml');

interface Case {
  file: string;
  expect: string;
}

/** The scenarios with an expected cause: `# expect: CAUSE` on line 1 (the seed is known). */
function cases(): Case[] {
  const out: Case[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    const first = readFileSync(join(DIR, file), 'utf8').split('\n', 1)[0] ?? '';
    const m = first.match(/^#\s*expect:\s*([a-z0-9-]+)/);
    if (m) out.push({ file, expect: m[1]! });
    else if (file === 'seed-incident.yaml') out.push({ file, expect: 'probe-bind-mismatch' });
  }
  return out;
}

/** The pod a scenario is about: the first pod under `pods:` (its NAMESPACE/POD key). */
function podOf(file: string): { namespace: string; pod: string } {
  const s = loadScenario(join(DIR, file));
  const key = Object.keys(s.pods)[0];
  if (!key) throw new Error(`${file}: no pods`);
  const [namespace, pod] = key.split('/') as [string, string];
  return { namespace, pod };
}

async function check(scenario: Parameters<typeof startSimulator>[0]['scenario'], request: { namespace: string; pod: string }) {
  const s = typeof scenario === 'string' ? loadScenario(scenario) : (scenario as { now: string });
  const now = new Date(s.now);
  const sim = await startSimulator({ scenario, port: 0 });
  try {
    const cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() });
    const evidence = await collectEvidence(cluster, request, { now: () => now });
    return { evidence, diagnosis: diagnose(evidence, { now }), simRequests: sim.requestCount() };
  } finally {
    await sim.close();
  }
}

describe('every scenario with an expected cause', () => {
  const all = cases();
  it('finds the seed incident at least', () => {
    expect(all.map((c) => c.file)).toContain('seed-incident.yaml');
  });

  it.each(all)('$file → $expect', async ({ file, expect: cause }) => {
    const { evidence, diagnosis } = await check(join(DIR, file), podOf(file));
    expect(diagnosis.hypotheses[0]?.cause).toBe(cause);
    expect(evidence.steps.length).toBeGreaterThan(0);
  });
});

/**
 * Advice podnet once gave and must never give again (issue 10): each pattern names what was
 * wrong. Checked over every shipped scenario's fix, summary, ruled-out, option and evidence
 * text, over the runbooks' posts and over the scenario files' own comments.
 */
const WRONG_ADVICE: { re: RegExp; why: string }[] = [
  { re: /(?<!not )set `?host: 127\.0\.0\.1`? on (those|the) probes|or set (a )?probe host/i, why: 'kubelet dials `host` from the node namespace: 127.0.0.1 is the node' },
  { re: /annotate the pod traffic\.sidecar\.istio\.io\/excludeInboundPorts|Exclude port \d+ from interception/, why: 'excluding the port does not help an app bound to loopback' },
  { re: /MLSERVER_HOST=::(?!1)/, why: 'MLServer builds f"{host}:{port}": `::` breaks its gRPC bind; asyncio sets IPV6_V6ONLY' },
  { re: /IMGPROXY_BIND=(::|:(?![0-9]))/, why: 'IMGPROXY_BIND is host:port; `::` has no port' },
  { re: /from container mlserver|on container mlserver(?! in)/, why: 'a Seldon pod is rewritten from its Server/ServerConfig' },
  { re: /Check the peak with `kubectl top/, why: 'kubectl top is a sample, not a peak' },
  { re: /not a filter/, why: 'on K3s kube-router REJECTs: "refused" alone does not rule a filter out' },
  { re: /refusals and successes are not policy|a refusal \(RST\) is never a policy/, why: 'kube-router REJECT reads as refused' },
  { re: /spec\.server: seldon-system\//, why: 'Model.spec.server is a Server name in the Model namespace' },
  { re: /create one for the server's pods/, why: 'a Service serving the port may already exist' },
  { re: /stop failing and stop restarting/, why: 'readiness failures never restart a container' },
  { re: /An allow rule in this namespace fixes it/, why: 'the peer namespace may need an ingress rule too' },
  { re: /mesh proxy istio-init/, why: 'istio-init only installs the redirect; the proxy is istio-proxy' },
];

function wrongAdvice(text: string): string[] {
  return WRONG_ADVICE.filter((w) => w.re.test(text)).map((w) => `${w.re} (${w.why}) in: ${text.slice(0, 200)}`);
}

describe('no shipped scenario repeats advice known to be wrong', () => {
  it.each(cases())('$file', async ({ file }) => {
    const { diagnosis } = await check(join(DIR, file), podOf(file));
    const texts = [
      ...diagnosis.hypotheses.flatMap((h) => [h.summary, h.fix, ...h.evidence.map((e) => e.text), ...h.against.map((e) => e.text)]),
      ...diagnosis.ruledOut.map((r) => r.why),
      ...diagnosis.options.flatMap((o) => [o.why, o.tradeoff]),
      ...diagnosis.next,
      ...readFileSync(join(DIR, file), 'utf8').split('\n').filter((l) => l.startsWith('#')),
    ];
    expect(texts.flatMap(wrongAdvice)).toEqual([]);
    // `kubectl top` may be named only as what it is: a sample.
    for (const t of texts.filter((x) => x.includes('kubectl top'))) expect(t).toMatch(/kubectl top`? (shows|is) only a (recent )?sample|is a sample/);
    // A Seldon server pod's fix names the Server (the operator reverts pod/StatefulSet edits).
    const top = diagnosis.hypotheses[0]!;
    if (/MLSERVER_/.test(top.fix) || /resources\.limits/.test(top.fix)) expect(top.fix).toMatch(/Seldon Server \S+'s spec\.podSpec/);
  });

  it('nor does a runbook post', () => {
    const dir = join(process.cwd(), 'runbooks');
    const posts = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split(/\n\s*-\s/));
    expect(posts.flatMap(wrongAdvice)).toEqual([]);
    expect(posts.join('\n')).not.toMatch(/set `host` on the probes/);
  });
});

describe('the seed incident', () => {
  it('takes at most 12 API requests, counted by the client and by the simulator', async () => {
    const { evidence, diagnosis, simRequests } = await check(SEED, { namespace: 'financial-ml', pod: 'mlserver-0' });
    expect(diagnosis.hypotheses[0]?.cause).toBe('probe-bind-mismatch');
    expect(evidence.apiRequests).toBeLessThanOrEqual(12);
    expect(simRequests).toBe(evidence.apiRequests);
    // What it collected: sockets from inside, a dial from the agent itself, both netns.
    expect(evidence.target).toMatchObject({ client: 'agent', server: 'mlserver', port: 9500, address: '127.0.0.1' });
    expect(evidence.sockets[0]?.listeners.some((l) => l.address === '127.0.0.1' && l.port === 9500)).toBe(true);
    expect(evidence.dials.map((d) => `${d.from} ${d.host} ${d.outcome}`)).toEqual(['agent 127.0.0.1 connected', 'agent 10.42.1.17 refused']);
    expect(new Set(evidence.netns.map((n) => n.netns)).size).toBe(1);
    expect(evidence.steps.every((s) => s.ok)).toBe(true);
  });

  it('still completes when exec is forbidden, and the steps name the missing permission', async () => {
    const scenario = loadScenario(SEED);
    scenario.faults = [...scenario.faults, { path: '/api/v1/namespaces/.*/pods/.*/exec', status: 403 }];
    const { evidence, diagnosis } = await check(scenario, { namespace: 'financial-ml', pod: 'mlserver-0' });
    const failed = evidence.steps.filter((s) => !s.ok);
    expect(failed.length).toBeGreaterThan(0);
    for (const s of failed) {
      expect(s.name.startsWith('exec')).toBe(true);
      expect(s.code).toBe('forbidden');
      expect(s.error).toMatch(/^forbidden: cannot (get|create) pods\/exec in namespace financial-ml — add it to the podnet ClusterRole/);
    }
    expect(evidence.logs.length).toBe(4);
    expect(diagnosis.hypotheses.length).toBeGreaterThan(0);
    expect(diagnosis.steps.some((s) => !s.ok && /pods\/exec/.test(s.error ?? ''))).toBe(true);
  });

  it('with no dial tool anywhere, says to use --debug-container; with it, dials from an ephemeral container', async () => {
    const bare = () => {
      const scenario = loadScenario(SEED);
      for (const c of Object.values(scenario.pods['financial-ml/mlserver-0']!.containers)) c.tools = ['sh', 'cat', 'readlink'];
      return scenario;
    };
    const without = await check(bare(), { namespace: 'financial-ml', pod: 'mlserver-0' });
    expect(without.evidence.dials).toEqual([]);
    expect(without.evidence.missingTools).toEqual(expect.arrayContaining([{ container: 'agent', tool: 'nc' }]));
    const hint = without.evidence.steps.find((s) => s.name === 'exec:dial' && !s.ok);
    expect(hint?.error).toMatch(/no container could dial 127\.0\.0\.1:9500 .* rerun with --debug-container busybox:1\.36/);

    const sim = await startSimulator({ scenario: bare(), port: 0 });
    try {
      const cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() });
      const ev = await collectEvidence(cluster, { namespace: 'financial-ml', pod: 'mlserver-0', debugContainerImage: 'busybox:1.36' });
      expect(ev.debugContainer?.name).toMatch(/^podnet-debug-[0-9a-f]{6}$/);
      expect(ev.dials.map((d) => `${d.from === ev.debugContainer?.name ? 'debug' : d.from} ${d.host} ${d.outcome}`)).toEqual([
        'debug 127.0.0.1 connected',
        'debug 10.42.1.17 refused',
      ]);
      expect(ev.steps.find((s) => s.name === 'debug-container')?.ok).toBe(true);
      // Pod Security `restricted` admits the ephemeral container (runAsNonRoot, no privilege
      // escalation, capabilities drop ALL, seccomp RuntimeDefault).
      const pod = await cluster.getPod('financial-ml', 'mlserver-0');
      expect(pod.spec?.ephemeralContainers?.[0]?.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    } finally {
      await sim.close();
    }
  });

  it('collectLogs alone fetches the pod and its four logs', async () => {
    const sim = await startSimulator({ scenario: SEED, port: 0 });
    try {
      const cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() });
      const { logs, steps } = await collectLogs(cluster, { namespace: 'financial-ml', pod: 'mlserver-0' }, undefined);
      expect(logs.map((l) => `${l.container}${l.previous ? ':previous' : ''}`).sort()).toEqual(['agent', 'mlserver', 'mlserver:previous', 'rclone']);
      expect(steps.map((s) => s.name)).toContain('get-pod');
      expect(logs.find((l) => l.container === 'agent')?.matches.some((m) => m.signature === 'client-refused')).toBe(true);
    } finally {
      await sim.close();
    }
  });
});

describe('podnet check / analyze (in-process main)', () => {
  function io(): CliIo & { out: string; err: string } {
    const c = {
      out: '',
      err: '',
      stdoutIsTTY: false,
      stderrIsTTY: false,
      env: {},
      stdout: (t: string) => void (c.out += t),
      stderr: (t: string) => void (c.err += t),
    };
    return c;
  }

  it('prints JSON for the seed scenario and writes evidence that analyze reads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-check-'));
    try {
      const out = join(dir, 'ev.json');
      const c = io();
      const code = await checkMain(['mlserver-0', '-n', 'financial-ml', '--scenario', SEED, '--output', 'json', '--evidence-file', out], c);
      expect(c.err).toBe('');
      expect(code).toBe(0);
      const json = JSON.parse(c.out) as { hypotheses: { cause: string }[]; target: { port: number } };
      expect(json.hypotheses[0]?.cause).toBe('probe-bind-mismatch');
      expect(json.target.port).toBe(9500);
      const a = io();
      expect(await analyzeMain([out, '-o', 'markdown'], a)).toBe(0);
      expect(a.out).toContain('probe-bind-mismatch');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['Bad_Pod'], /is not a valid pod name/],
    [['mlserver-0', '--prot', '9'], /Unknown option "--prot" for check \(did you mean "--port"\?\)/],
    [['mlserver-0', '--port', '0'], /--port must be a port number from 1 to 65535/],
    [['mlserver-0', '-n', 'a_b'], /is not a valid namespace/],
    [['mlserver-0', '-o', 'yaml'], /--output must be one of text, markdown, json/],
  ])('bad input %j → exit 2, one clear line and the usage', async (argv, message) => {
    const c = io();
    expect(await checkMain(argv as string[], c)).toBe(2);
    expect(c.err.split('\n')[0]).toMatch(message);
    expect(c.err).toContain('Usage: podnet check POD');
    expect(c.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a missing pod exits 4 and says so', async () => {
    const c = io();
    expect(await checkMain(['mlserver-9', '-n', 'financial-ml', '--scenario', SEED], c)).toBe(4);
    expect(c.err).toBe('podnet check: pod financial-ml/mlserver-9 not found\n');
  });

  it('an unreachable cluster exits 3 and names the URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-check-'));
    try {
      const kc = join(dir, 'kubeconfig');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(
        kc,
        'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
      );
      const c = io();
      expect(await checkMain(['mlserver-0', '--kubeconfig', kc], c)).toBe(3);
      expect(c.err).toBe('podnet check: cannot reach the Kubernetes API at http://127.0.0.1:9 (ECONNREFUSED)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('analyze rejects a file that is not evidence, clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-analyze-'));
    try {
      const { writeFileSync } = await import('node:fs');
      const f = join(dir, 'x.json');
      writeFileSync(f, JSON.stringify({ schemaVersion: 1, collectedAt: '2025-07-06T15:20:00Z', target: { namespace: 'a', pod: 'b', inferredFrom: [] } }));
      const c = io();
      expect(await analyzeMain([f], c)).toBe(2);
      expect(c.err).toBe(`podnet analyze: ${f} is not podnet evidence: events must be a list\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
