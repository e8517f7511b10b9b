/**
 * `podnet fix` and remediation against the simulator over real HTTP/WebSocket: on every
 * shipped scenario a patchable cause carries a patch whose server-side dry-run passed, aimed at
 * the object that owns the setting; the seed's fix applies to the Seldon Server and verifies;
 * a Deployment-owned pod's fix (bind-address-mismatch, probe-bind-mismatch) verifies on the
 * replacement pod (new ReplicaSet, new name);
 * a fix that does not take is reported Not fixed and its roll-back restores the Server; a
 * scenario RBAC without patch leaves nothing offered.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose } from '../../src/analysis/diagnose.js';
import { checkPod, main as fixMain, type FixReport } from '../../src/bin/fix.js';
import type { CliIo } from '../../src/bin/check.js';
import { createClusterAccess } from '../../src/cluster/client.js';
import type { ClusterAccess } from '../../src/cluster/types.js';
import { collectEvidence } from '../../src/probes/collect.js';
import { applyRemediation, attachRemediations, rollBack, successorPod } from '../../src/remediation/apply.js';
import { verifyFix } from '../../src/remediation/verify.js';
import { PATCHABLE_CAUSES } from '../../src/remediation/plan.js';
import { loadScenario, type LoadedScenario } from '../../src/sim/scenario.js';
import { startSimulator } from '../../src/sim/server.js';

const DIR = join(process.cwd(), 'scenarios');
const SEED = join(DIR, 'seed-incident.yaml');
const PATCHABLE = new Set<string>(PATCHABLE_CAUSES);

function io(): CliIo & { out: string; err: string } {
  const o = { out: '', err: '', stdoutIsTTY: false, stderrIsTTY: false, env: {} as Record<string, string | undefined> } as CliIo & { out: string; err: string };
  o.stdout = (t) => void (o.out += t);
  o.stderr = (t) => void (o.err += t);
  return o;
}

function podOf(s: LoadedScenario): { namespace: string; pod: string } {
  const [namespace, pod] = (Object.keys(s.pods)[0] as string).split('/') as [string, string];
  return { namespace, pod };
}

/** Runs `fn` with a client of a simulator serving `scenario`; the simulator is closed after. */
async function onSimulator(scenario: LoadedScenario, fn: (cluster: ClusterAccess) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ scenario });
  try {
    await fn(createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml() }));
  } finally {
    await sim.close();
  }
}

describe('remediation on every shipped scenario', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();
  it.each(files)('%s: a patchable cause has a dry-run-validated patch at the owner; the rest say why not', async (file) => {
    const scenario = loadScenario(join(DIR, file));
    await onSimulator(scenario, async (cluster) => {
      const now = new Date(scenario.now);
      const evidence = await collectEvidence(cluster, podOf(scenario), { now: () => now });
      const d = await attachRemediations(cluster, diagnose(evidence, { now }), evidence);
      for (const h of d.hypotheses) {
        if (h.cause === 'unknown') continue;
        expect(h.remediation).toBeDefined();
        const r = h.remediation!;
        if (PATCHABLE.has(h.cause) && h === d.hypotheses[0]) {
          expect(r.dryRun).toEqual({ ok: true, message: expect.stringMatching(/dry-run/) });
          expect(r.diff?.some((l) => l.startsWith('-') || l.startsWith('+'))).toBe(true);
          expect(r.command).toMatch(/^kubectl -n \S+ patch \S+\/\S+ --type=(json|strategic) --field-manager=podnet -p '/);
          // Never the pod, never a controller-written object (ReplicaSet, or a StatefulSet a Server owns).
          expect(['Deployment', 'Server', 'ServerConfig', 'StatefulSet', 'DaemonSet', 'CronJob']).toContain(r.target?.kind);
          if (evidence.pod?.owner?.kind === 'StatefulSet' && scenario.objects.some((o) => o.kind === 'Server')) expect(r.target?.kind).toMatch(/^Server/);
        } else if (!PATCHABLE.has(h.cause)) {
          expect(r.manual).toEqual(expect.any(String));
          expect(r.patch).toBeUndefined();
        }
      }
    });
  });
});

describe('podnet fix', () => {
  it('seed: --apply patches the Seldon Server, the pod rolls, and the fix is verified', async () => {
    const o = io();
    const code = await fixMain(['mlserver-0', '-n', 'financial-ml', '--scenario', SEED, '--apply', '--output', 'json'], o);
    expect(o.err).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(o.out) as FixReport;
    expect(r).toMatchObject({ applied: true, verified: true, cause: 'probe-bind-mismatch' });
    expect(r.remediation?.target).toEqual({ apiVersion: 'mlops.seldon.io/v1alpha1', kind: 'Server', namespace: 'financial-ml', name: 'mlserver' });
    expect(r.remediation?.dryRun?.ok).toBe(true);
    expect(r.change?.diff.join('\n')).toMatch(/- +- name: MLSERVER_HOST/);
    expect(r.checks.length).toBeGreaterThanOrEqual(2);
    expect(r.checks.every((c) => c.ok && !c.causePresent && c.restarts === 0 && c.ready === true && /connected/.test(c.dial ?? ''))).toBe(true);
    expect(r.summary).toMatch(/^Fixed — verified/);
  }, 60_000);

  it.each([
    { file: 'bind-address-mismatch.yaml', namespace: 'checkout', pod: 'cart-5c7b8d9f6-q8wzt', name: 'cart', cause: 'bind-address-mismatch', client: /connected/ },
    { file: 'probe-bind-mismatch.yaml', namespace: 'payments', pod: 'ledger-api-7d9c6b5f4-x2kqp', name: 'ledger-api', cause: 'probe-bind-mismatch', client: /outbox → 127\.0\.0\.1:8080 connected/ },
    // The startupProbe patch lets llm live through its ~4 min start (scenario startsAfter), so it binds 8000.
    { file: 'liveness-kills-slow-start.yaml', namespace: 'genai', pod: 'llm-server-7c9f8d6b4-x2k8p', name: 'llm-server', cause: 'liveness-kills-slow-start', client: /router → 127\.0\.0\.1:8000 connected/ },
  ])('Deployment-owned pod ($file): --apply patches the Deployment and verifies on the replacement pod, which has a new name', async ({ file, namespace, pod, name, cause, client }) => {
    const o = io();
    const code = await fixMain([pod, '-n', namespace, '--scenario', join(DIR, file), '--apply', '--output', 'json'], o);
    expect(o.err).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(o.out) as FixReport;
    expect(r).toMatchObject({ applied: true, verified: true, cause });
    expect(r.remediation?.target).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });
    expect(r.checks.length).toBeGreaterThanOrEqual(2);
    expect(r.checks.every((c) => c.ok && !c.causePresent && c.restarts === 0 && client.test(c.dial ?? ''))).toBe(true);
    expect(r.summary).toMatch(/^Fixed — verified/);
  }, 60_000);

  it('a startupProbe too short for the start leaves the rolled container killed before it binds: the router is still refused', async () => {
    const s = loadScenario(join(DIR, 'liveness-kills-slow-start.yaml'));
    await onSimulator(s, async (cluster) => {
      const old = { namespace: 'genai', pod: 'llm-server-7c9f8d6b4-x2k8p' };
      const labels = (await cluster.getPod(old.namespace, old.pod)).metadata?.labels ?? {};
      const target = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'genai', name: 'llm-server' };
      // 10 s × 12 = 120 s: less than the ~240 s start.
      const startupProbe = { httpGet: { path: '/health', port: 8000 }, periodSeconds: 10, failureThreshold: 12 };
      await applyRemediation(cluster, { target, why: 'test', patchType: 'strategic', patch: { spec: { template: { spec: { containers: [{ name: 'llm', startupProbe }] } } } } } as never);
      const next = await successorPod(cluster, old.namespace, old.pod, labels, target);
      expect(next).not.toBe(old.pod);
      const evidence = await collectEvidence(cluster, { ...old, pod: next }, { now: () => new Date(s.now) });
      // The router's own port is there (the probe read the table); llm's 8000 is not.
      const ports = evidence.sockets.flatMap((t) => t.listeners.map((l) => l.port));
      expect(ports).toContain(8080);
      expect(ports).not.toContain(8000);
    });
  }, 60_000);

  it('a patched Deployment rolls to a new ReplicaSet; the re-check follows its pod through the owner, not the old name', async () => {
    const s = loadScenario(join(DIR, 'bind-address-mismatch.yaml'));
    await onSimulator(s, async (cluster) => {
      const now = new Date(s.now);
      const old = { namespace: 'checkout', pod: 'cart-5c7b8d9f6-q8wzt' };
      const labels = (await cluster.getPod(old.namespace, old.pod)).metadata?.labels ?? {};
      const first = await checkPod(cluster, old, labels, () => now);
      const d = await attachRemediations(cluster, first.diagnosis, first.evidence);
      const r = d.hypotheses[0]!.remediation!;
      await applyRemediation(cluster, r);
      // The old pod is gone; its replacement runs under a new ReplicaSet of the same Deployment.
      await expect(cluster.getPod(old.namespace, old.pod)).rejects.toThrow();
      const next = await successorPod(cluster, old.namespace, old.pod, labels, r.target);
      expect(next).not.toBe(old.pod);
      const pod = await cluster.getPod(old.namespace, next);
      const hash = pod.metadata?.labels?.['pod-template-hash'];
      expect(hash).toBeDefined();
      expect(hash).not.toBe(labels['pod-template-hash']);
      expect(next.startsWith(`cart-${hash}-`)).toBe(true);
      const rsRef = pod.metadata?.ownerReferences?.find((x) => x.controller);
      expect(rsRef).toMatchObject({ kind: 'ReplicaSet', name: `cart-${hash}` });
      const rs = await cluster.getObject({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'checkout', name: rsRef!.name });
      expect((rs.metadata as { ownerReferences?: { kind: string; name: string }[] }).ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'cart' });
      const oldRs = await cluster.getObject({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'checkout', name: 'cart-5c7b8d9f6' });
      expect((oldRs.spec as { replicas?: number }).replicas).toBe(0);
      // The new pod runs the patched template, and the check made there no longer finds the cause.
      expect(pod.spec?.containers.find((c) => c.name === 'pricing')?.env?.find((e) => e.name === 'GRPC_LISTEN_HOST')).toEqual({ name: 'GRPC_LISTEN_HOST', value: '0.0.0.0' });
      const after = await checkPod(cluster, old, labels, () => now, r.target);
      expect(after.evidence.target.pod).toBe(next);
      expect(after.diagnosis.hypotheses.map((h) => h.cause)).not.toContain('bind-address-mismatch');
    });
  }, 60_000);

  it('a fix that does not take (listeners do not follow the env) is Not fixed; the roll-back restores the Server', async () => {
    const s = loadScenario(SEED);
    const pods = structuredClone(s.pods);
    delete pods['financial-ml/mlserver-0']!.containers.mlserver!.listenFollows;
    const scenario = { ...s, pods };
    await onSimulator(scenario, async (cluster) => {
      const now = new Date(s.now);
      const first = await checkPod(cluster, { namespace: 'financial-ml', pod: 'mlserver-0' }, {}, () => now);
      const d = await attachRemediations(cluster, first.diagnosis, first.evidence);
      const change = await applyRemediation(cluster, d.hypotheses[0]!.remediation!);
      let t = 0;
      const result = await verifyFix({
        cause: 'probe-bind-mismatch',
        check: () => checkPod(cluster, { namespace: 'financial-ml', pod: 'mlserver-0' }, {}, () => now),
        settleMs: 1000, deadlineMs: 3000, intervalMs: 1000, now: () => t, sleep: async (ms) => void (t += ms),
      });
      expect(result.verified).toBe(false);
      expect(result.summary).toMatch(/^Not fixed/);
      expect(result.checks.at(-1)?.failing.join(' ')).toMatch(/probe-bind-mismatch is still diagnosed|not ready|refused/);
      const undo = await rollBack(cluster, change);
      expect(undo.join('\n')).toMatch(/\+ +- name: MLSERVER_HOST/);
      const server = (await cluster.getObject({ apiVersion: 'mlops.seldon.io/v1alpha1', kind: 'Server', namespace: 'financial-ml', name: 'mlserver' })) as { spec: { podSpec: { containers: { env?: unknown[] }[] } } };
      expect(server.spec.podSpec.containers[0]?.env).toEqual([{ name: 'MLSERVER_HOST', value: '127.0.0.1' }]);
      // A second roll-back of the same change is refused: the fields no longer hold what the apply left.
      await expect(rollBack(cluster, change)).rejects.toThrow(/test failed|422|rejected/);
    });
  }, 60_000);

  it('where the scenario RBAC allows no patch, nothing is offered or applied (exit 1)', async () => {
    const s = loadScenario(SEED);
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { stringify } = await import('yaml');
    const dir = mkdtempSync(join(tmpdir(), 'podnet-fix-'));
    const file = join(dir, 'seed-no-patch.yaml');
    const { baseDir: _b, ...rest } = s;
    writeFileSync(file, stringify({ ...rest, rbac: { allow: [] } }));
    const o = io();
    const code = await fixMain(['mlserver-0', '-n', 'financial-ml', '--scenario', file, '--apply', '--output', 'json'], o);
    expect(code).toBe(1);
    const r = JSON.parse(o.out) as FixReport;
    expect(r.applied).toBe(false);
    expect(r.remediation?.dryRun).toEqual({ ok: false, message: expect.stringMatching(/forbidden: cannot patch servers.*deploy\/components\/patch/) });
    expect(r.summary).toMatch(/^Nothing applied/);
  }, 60_000);

  it('bad input gets one line and the usage, exit 2', async () => {
    const o = io();
    expect(await fixMain(['mlserver-0', '--settle', '5s'], o)).toBe(2);
    expect(o.err).toMatch(/--settle only applies with --apply/);
    const o2 = io();
    expect(await fixMain(['mlserver-0', '--cause', 'nope'], o2)).toBe(2);
    expect(o2.err).toMatch(/--cause must be a cause id/);
  });
});
