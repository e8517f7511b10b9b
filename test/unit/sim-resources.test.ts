import { faultStatus, forbidden, notFound, typeFor } from '../../src/sim/resources.js';
import { toTable } from '../../src/sim/table.js';

describe('Status bodies', () => {
  it('words a 403 on exec as the RBAC authorizer does', () => {
    expect(forbidden({ verb: 'create', resource: 'pods/exec', group: '', namespace: 'financial-ml', name: 'mlserver-0' })).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403,
      message: 'pods "mlserver-0" is forbidden: User "system:serviceaccount:podnet:podnet" cannot create resource "pods/exec" in API group "" in the namespace "financial-ml"',
      details: { name: 'mlserver-0', kind: 'pods' },
    });
    expect(forbidden({ verb: 'list', resource: 'nodes', group: '' }).message).toBe('nodes is forbidden: User "system:serviceaccount:podnet:podnet" cannot list resource "nodes" in API group "" at the cluster scope');
    expect(forbidden({ verb: 'list', resource: 'networkpolicies', group: 'networking.k8s.io', namespace: 'ns' }).message).toMatch(/^networkpolicies\.networking\.k8s\.io is forbidden: .* in API group "networking\.k8s\.io" in the namespace "ns"$/);
  });
  it('gives each fault status its apiserver reason', () => {
    expect(faultStatus(500, undefined)).toMatchObject({ reason: 'InternalError', code: 500 });
    expect(faultStatus(429, undefined)).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 1 } });
    expect(faultStatus(503, undefined).reason).toBe('ServiceUnavailable');
    expect(faultStatus(404, { verb: 'get', resource: 'pods', group: '', namespace: 'a', name: 'p' }).message).toBe('pods "p" not found');
    expect(notFound(typeFor('Node', 'v1'), 'n1').details).toEqual({ name: 'n1', kind: 'nodes' });
  });
  it('derives resource names for kinds it does not know', () => {
    expect(typeFor('Server', 'mlops.seldon.io/v1alpha1')).toMatchObject({ group: 'mlops.seldon.io', version: 'v1alpha1', plural: 'servers' });
    expect(typeFor('NetworkPolicy', 'networking.k8s.io/v1').plural).toBe('networkpolicies');
  });
});

describe('pod Table rows (kubectl get pods)', () => {
  const now = Date.parse('2025-07-06T15:20:00Z');
  const pod = (statuses: unknown[], extra: Record<string, unknown> = {}) => ({
    metadata: { name: 'p', creationTimestamp: '2025-07-06T15:00:00Z' },
    spec: { containers: statuses.map((_, i) => ({ name: `c${i}` })) },
    status: { phase: 'Running', containerStatuses: statuses, ...extra },
  });
  const row = (p: Record<string, unknown>) => ((toTable('Pod', [p], { now, resourceVersion: '1' }).rows as { cells: unknown[] }[])[0]?.cells ?? []).slice(0, 5);
  it('shows CrashLoopBackOff, restarts with the last restart age, and readiness', () => {
    expect(row(pod([
      { name: 'c0', ready: true, restartCount: 0, state: { running: {} } },
      { name: 'c1', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2025-07-06T15:19:00Z' } } },
    ]))).toEqual(['p', '1/2', 'CrashLoopBackOff', '5 (60s ago)', '20m']);
  });
  it('shows OOMKilled and init progress', () => {
    expect(row(pod([{ name: 'c0', ready: false, restartCount: 0, state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }]))[2]).toBe('OOMKilled');
    expect(row(pod([{ name: 'c0', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }], { initContainerStatuses: [{ name: 'i', restartCount: 0, state: { running: {} } }] }))[2]).toBe('Init:0/1');
  });
});
