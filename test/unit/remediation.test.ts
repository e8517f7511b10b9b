/**
 * The pure parts of remediation: the three patch formats as the apiserver applies them, who
 * manages an owner (Helm, Argo CD, Flux), the owner a fix goes to, the spec diff, and the
 * verification loop on a driven clock.
 */
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from '../../src/sim/patch.js';
import { managedBy, type OwnerChain } from '../../src/remediation/owners.js';
import { planRemediation } from '../../src/remediation/plan.js';
import { doubleQuantity, kubectlCommand, settingOwner } from '../../src/remediation/patches.js';
import { container, evidence, httpProbe } from '../helpers/evidence-builders.js';
import type { Hypothesis } from '../../src/analysis/types.js';
import { lineDiff, specDiff } from '../../src/remediation/diff.js';
import { verifyFix } from '../../src/remediation/verify.js';
import { rollbackPatch } from '../../src/remediation/apply.js';
import type { Diagnosis } from '../../src/analysis/types.js';
import type { Evidence } from '../../src/evidence.js';

const pod = (env: { name: string; value: string }[]) => ({ spec: { containers: [{ name: 'a', image: 'x', env }, { name: 'b', image: 'y' }] } });

describe('patch formats', () => {
  it('merge patch: null deletes, lists are replaced whole', () => {
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null }, l: [3] })).toEqual({ a: 1, b: { d: 3 }, l: [3] });
  });

  it('strategic merge: containers and env merge by name; $patch: delete removes one entry', () => {
    const out = applyStrategicMergePatch(pod([{ name: 'H', value: '127.0.0.1' }, { name: 'P', value: '1' }]), {
      spec: { containers: [{ name: 'a', env: [{ name: 'H', $patch: 'delete' }, { name: 'N', value: 'n' }] }] },
    });
    expect(out).toEqual(pod([{ name: 'P', value: '1' }, { name: 'N', value: 'n' }]));
  });

  it('strategic merge: an entry without its merge key is a 400', () => {
    expect(() => applyStrategicMergePatch(pod([]), { spec: { containers: [{ image: 'z' }] } })).toThrow(PatchError);
  });

  it('JSON patch: test guards, remove/add/move/copy apply in order; a failed test or a bad index is 422', () => {
    const doc = { l: [1, 2, 3], o: { k: 'v' } };
    expect(applyJsonPatch(doc, [{ op: 'test', path: '/l/1', value: 2 }, { op: 'remove', path: '/l/1' }, { op: 'add', path: '/l/-', value: 9 }, { op: 'move', from: '/o/k', path: '/m' }, { op: 'copy', from: '/m', path: '/o/c' }]))
      .toEqual({ l: [1, 3, 9], o: { c: 'v' }, m: 'v' });
    expect(doc).toEqual({ l: [1, 2, 3], o: { k: 'v' } });
    for (const ops of [[{ op: 'test', path: '/l/0', value: 7 }], [{ op: 'remove', path: '/l/5' }], [{ op: 'replace', path: '/nope', value: 1 }], [{ op: 'frob', path: '/l' }]]) {
      try {
        applyJsonPatch(doc, ops);
        throw new Error('expected a refusal');
      } catch (err) {
        expect(err).toBeInstanceOf(PatchError);
        expect((err as PatchError).status.code).toBe(422);
      }
    }
    expect(() => applyJsonPatch(doc, { op: 'add' })).toThrow(/cannot unmarshal object/);
  });
});

describe('owners', () => {
  const obj = (labels: Record<string, string>, annotations: Record<string, string> = {}) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels, annotations } });

  it('names Helm, Argo CD and Flux, and says what to change instead', () => {
    expect(managedBy(obj({ 'app.kubernetes.io/managed-by': 'Helm' }, { 'meta.helm.sh/release-name': 'shop', 'meta.helm.sh/release-namespace': 'apps' }))).toMatchObject({ tool: 'helm', name: 'shop', note: expect.stringMatching(/helm upgrade.*chart's values/) });
    expect(managedBy(obj({}, { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:apps/web' }))).toMatchObject({ tool: 'argocd', name: 'shop' });
    expect(managedBy(obj({ 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' }))).toMatchObject({ tool: 'flux', name: 'apps', note: expect.stringMatching(/Git/) });
    // app.kubernetes.io/instance alone is set by Helm charts too: not taken as Argo CD.
    expect(managedBy(obj({ 'app.kubernetes.io/instance': 'web' }))).toBeUndefined();
  });

  const chain = (...owners: { kind: string; name: string }[]): OwnerChain => ({
    pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } },
    owners: owners.map((o) => ({ apiVersion: o.kind === 'Server' ? 'mlops.seldon.io/v1alpha1' : o.kind === 'CronJob' || o.kind === 'Job' ? 'batch/v1' : 'apps/v1', kind: o.kind, metadata: { name: o.name } })),
    path: [],
  });

  it('the setting lives in the topmost controller: Deployment over ReplicaSet, CronJob over Job, the Seldon Server over its StatefulSet', () => {
    expect(settingOwner(chain({ kind: 'ReplicaSet', name: 'web-1' }, { kind: 'Deployment', name: 'web' })).owner?.kind).toBe('Deployment');
    expect(settingOwner(chain({ kind: 'Job', name: 'j-1' }, { kind: 'CronJob', name: 'j' })).owner?.kind).toBe('CronJob');
    const s = settingOwner(chain({ kind: 'StatefulSet', name: 'mlserver' }, { kind: 'Server', name: 'mlserver' }));
    expect(s.owner?.kind).toBe('Server');
    expect(s.why).toMatch(/reverted/);
    expect(settingOwner(chain({ kind: 'StatefulSet', name: 'db' }, { kind: 'PostgresCluster', name: 'db' })).owner).toBeUndefined();
    expect(settingOwner(chain()).owner).toBeUndefined();
  });

  it('kubectl line names the group of a custom resource and quotes the patch for a shell', () => {
    const line = kubectlCommand({ apiVersion: 'mlops.seldon.io/v1alpha1', kind: 'Server', metadata: { name: 'm', namespace: 'ns' } }, 'json', [{ op: 'add', path: '/x', value: "it's" }]);
    expect(line).toBe(`kubectl -n ns patch server.mlops.seldon.io/m --type=json --field-manager=podnet -p '[{"op":"add","path":"/x","value":"it'\\''s"}]'`);
  });

  it('doubles a memory quantity in its unit', () => {
    expect(doubleQuantity('3Gi')).toBe('6Gi');
    expect(doubleQuantity('512M')).toBe('1024M');
    expect(doubleQuantity('1.5Gi')).toBe('3Gi');
    expect(doubleQuantity('lots')).toBeUndefined();
  });
});

describe('diff and roll-back', () => {
  it('shows changed lines with context, nothing for an unchanged spec', () => {
    expect(lineDiff(['a', 'b', 'c'], ['a', 'c', 'd'])).toEqual(['  a', '- b', '  c', '+ d']);
    const before = { spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'H', value: '127.0.0.1' }] }] } } } };
    const after = { spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'H', value: '0.0.0.0' }] }] } } } };
    expect(specDiff(before, after).filter((l) => !l.startsWith('  '))).toEqual(['-               value: 127.0.0.1', '+               value: 0.0.0.0']);
    expect(specDiff(before, before)).toEqual([]);
  });

  it('the roll-back restores the changed spec fields, guarded by tests of the values the apply left (not the resourceVersion)', () => {
    const before = { metadata: { resourceVersion: '6' }, spec: { a: 1, b: 2 } };
    const after = { metadata: { resourceVersion: '7' }, spec: { a: 1, b: 3, c: 4 } };
    const ops = rollbackPatch(before, after);
    expect(ops).toEqual([{ op: 'test', path: '/spec/b', value: 3 }, { op: 'test', path: '/spec/c', value: 4 }, { op: 'replace', path: '/spec/b', value: 2 }, { op: 'remove', path: '/spec/c' }]);
    // A controller's status write since (a new resourceVersion) does not block it…
    expect(applyJsonPatch({ ...after, metadata: { resourceVersion: '9' }, status: { ready: 1 } }, ops)).toMatchObject({ spec: { a: 1, b: 2 } });
    // …someone's later change to a field the fix changed does (422), and so does a second roll-back.
    expect(() => applyJsonPatch({ ...after, spec: { a: 1, b: 5, c: 4 } }, ops)).toThrow(PatchError);
    expect(() => applyJsonPatch(applyJsonPatch(after, ops), ops)).toThrow(PatchError);
  });
});

describe('verifyFix', () => {
  const check = (restarts: number, ready: boolean, dial: 'connected' | 'refused', cause: 'probe-bind-mismatch' | 'unknown') => ({
    evidence: {
      target: { namespace: 'n', pod: 'p', client: 'agent', server: 'srv', address: '127.0.0.1', port: 9500 },
      pod: { containers: [{ name: 'srv', status: { ready, restartCount: restarts, state: { state: 'running' } } }] },
      dials: [{ from: 'agent', host: '127.0.0.1', port: 9500, ok: dial === 'connected', outcome: dial, tool: 'bash' }],
    } as unknown as Evidence,
    diagnosis: { hypotheses: [{ cause, confidence: 0.9 }] } as unknown as Diagnosis,
  });

  it('verified only after every condition held for the settle period, over two or more checks', async () => {
    let t = 0;
    const seq = [check(0, false, 'refused', 'probe-bind-mismatch'), check(0, true, 'connected', 'unknown'), check(0, true, 'connected', 'unknown'), check(0, true, 'connected', 'unknown')];
    let i = 0;
    const r = await verifyFix({ cause: 'probe-bind-mismatch', check: async () => seq[Math.min(i++, seq.length - 1)]!, settleMs: 2000, deadlineMs: 60_000, intervalMs: 1000, now: () => t, sleep: async (ms) => void (t += ms) });
    expect(r.verified).toBe(true);
    expect(r.checks.map((c) => c.ok)).toEqual([false, true, true, true]);
    expect(r.checks[0]?.failing).toEqual(expect.arrayContaining(['probe-bind-mismatch is still diagnosed', 'srv is not ready (its readiness probe is not passing)', 'agent → 127.0.0.1:9500 refused']));
  });

  it('a new restart resets the settle period; the deadline ends it Not fixed with what still fails', async () => {
    let t = 0;
    let i = 0;
    const r = await verifyFix({
      cause: 'probe-bind-mismatch',
      check: async () => check(i++, true, 'connected', 'unknown'),
      settleMs: 2000, deadlineMs: 5000, intervalMs: 1000, now: () => t, sleep: async (ms) => void (t += ms),
    });
    expect(r.verified).toBe(false);
    expect(r.summary).toMatch(/^Not fixed after 5 s: srv restarted \d+ more time/);
  });
});

describe('liveness-kills-slow-start patch', () => {
  const hyp = { cause: 'liveness-kills-slow-start', confidence: 0.8, summary: 's', fix: 'f', evidence: [], against: [] } as unknown as Hypothesis;
  const killed = container('llm', {
    probes: [httpProbe('liveness', 8000, { initialDelaySeconds: 60 })],
    statusOver: { ready: false, restartCount: 6, state: { state: 'waiting', reason: 'CrashLoopBackOff' }, lastState: { state: 'terminated', reason: 'Error', exitCode: 137, startedAt: '2025-07-06T15:00:00Z', finishedAt: '2025-07-06T15:04:00Z' } },
  });
  const ev = evidence({ server: 'llm', containers: [container('router'), killed] });
  const liveness = { httpGet: { path: '/health', port: 8000, scheme: 'HTTP' }, initialDelaySeconds: 60, periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 3 };
  const deployment = (llm: Record<string, unknown>) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'llm-server', namespace: 'team-a' },
    spec: { template: { spec: { containers: [{ name: 'router', image: 'r' }, { name: 'llm', image: 'v', ...llm }] } } },
  });
  const chainOf = (d: ReturnType<typeof deployment>): OwnerChain => ({
    pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app-0' } },
    owners: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'llm-server-1' } }, d],
    path: ['Pod app-0 → ReplicaSet llm-server-1 (controller ownerReference)', 'ReplicaSet llm-server-1 → Deployment llm-server (controller ownerReference)'],
  });

  it('adds a startupProbe with the liveness check to the Deployment, sized from the killed run (3 × 240 s)', () => {
    const r = planRemediation(hyp, ev, chainOf(deployment({ livenessProbe: liveness })))!;
    expect(r.target).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'llm-server', namespace: 'team-a' });
    expect(r.patchType).toBe('strategic');
    const startupProbe = { httpGet: liveness.httpGet, periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 72 };
    expect(r.patch).toEqual({ spec: { template: { spec: { containers: [{ name: 'llm', startupProbe }] } } } });
    // The patch as the apiserver merges it: only container llm gains the probe.
    const merged = applyStrategicMergePatch(deployment({ livenessProbe: liveness }), r.patch) as ReturnType<typeof deployment>;
    expect(merged.spec.template.spec.containers).toEqual([{ name: 'router', image: 'r' }, { name: 'llm', image: 'v', livenessProbe: liveness, startupProbe }]);
    expect(r.why).toMatch(/killed after 240 s, still starting: add a startupProbe .* 720 s/);
  });

  it('raises a startupProbe that is too short; leaves a generous one to a person', () => {
    const short = planRemediation(hyp, ev, chainOf(deployment({ livenessProbe: liveness, startupProbe: { ...liveness, failureThreshold: 6 } })))!;
    expect(short.patch).toEqual({ spec: { template: { spec: { containers: [{ name: 'llm', startupProbe: { ...liveness, failureThreshold: 72 } }] } } } });
    const long = planRemediation(hyp, ev, chainOf(deployment({ livenessProbe: liveness, startupProbe: { ...liveness, failureThreshold: 200 } })))!;
    expect(long.patch).toBeUndefined();
    expect(long.manual).toMatch(/already allows 2000 s/);
  });
});
