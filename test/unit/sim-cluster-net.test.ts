import { describe, expect, it } from '@jest/globals';
import { clusterNetwork } from '../../src/sim/cluster-net.js';
import type { SimListener } from '../../src/sim/netmodel.js';
import { policyAdmits, policyDenialRejects } from '../../src/sim/policy.js';
import { validateScenario } from '../../src/sim/scenario.js';

type Obj = Record<string, unknown>;
const pod = (ns: string, name: string, labels: Record<string, string>, ips: string[], extra: Obj = {}): Obj => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels },
  spec: { containers: [{ name: 'c', image: 'x', ports: [{ name: 'pg', containerPort: 5432 }] }], ...((extra.spec as Obj) ?? {}) },
  status: { phase: 'Running', hostIP: '192.168.50.2', podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) },
});
const policy = (ns: string, name: string, spec: Obj): Obj => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: ns, name }, spec });

const A = pod('a', 'client', { app: 'a' }, ['10.42.0.10', 'fd00::a']);
const C = pod('a', 'other', { app: 'c' }, ['10.42.0.11']);
const B = pod('b', 'db', { app: 'b' }, ['10.42.0.20', 'fd00::14']);
const HOST = pod('kube-system', 'exporter', { app: 'exporter' }, ['192.168.50.2'], { spec: { hostNetwork: true } });
const objects: Obj[] = [
  A, B, C, HOST,
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', labels: { team: 'a' } } },
  policy('b', 'db-ingress', { podSelector: { matchLabels: { app: 'b' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: { matchLabels: { app: 'a' } } }], ports: [{ port: 'pg' }] }] }),
];
const listeners: Record<string, SimListener[]> = {
  'b/db': [{ proto: 'tcp6', address: '::', port: 5432, container: 'c', inode: 1 }, { proto: 'tcp', address: '127.0.0.1', port: 6000, container: 'c', inode: 2 }],
  'kube-system/exporter': [{ proto: 'tcp', address: '0.0.0.0', port: 9100, container: 'c', inode: 3 }],
};
const net = (from: string, rejects: boolean) => clusterNetwork({ objects, listenersOf: (k) => listeners[k] ?? [], rejects }, from);

describe('cluster network seen from a pod', () => {
  it('another pod: its listeners decide once the policies admit the dial (a named port)', () => {
    expect(net('a/client', true).route('10.42.0.20', 5432)).toBe('connected');
    expect(net('a/client', true).route('fd00::14', 5432)).toBe('connected');
  });

  it('a denied dial is refused where the CNI REJECTs and times out where it DROPs', () => {
    expect(net('a/other', true).route('10.42.0.20', 5432)).toBe('refused');
    expect(net('a/other', false).route('10.42.0.20', 5432)).toBe('timeout');
    // Port 6000 is not admitted either (and is bound to the pod's loopback only).
    expect(net('a/client', false).route('10.42.0.20', 6000)).toBe('timeout');
  });

  it('the node answers for hostNetwork pods; an unrouted address times out', () => {
    expect(net('a/client', false).route('192.168.50.2', 9100)).toBe('connected');
    expect(net('a/client', false).route('192.168.50.2', 10250)).toBe('refused');
    expect(net('a/client', true).route('10.99.0.1', 80)).toBe('timeout');
  });

  it('a pod whose containers have namespaces of their own is linked to nothing', () => {
    const n = clusterNetwork({ objects, listenersOf: (k) => (k === 'b/db' ? undefined : []), rejects: true }, 'a/client');
    expect(n.route('10.42.0.20', 5432)).toBe('timeout');
  });
});

describe('policyAdmits', () => {
  it('ipBlock with except, egress isolation, unselected pods are open', () => {
    const deny = policy('a', 'egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.42.0.0/16', except: ['10.42.0.20/32'] } }] }] });
    const src = { ip: '10.42.0.10', pod: { namespace: 'a', labels: { app: 'a' }, obj: A } };
    const dst = (ip: string) => ({ ip });
    expect(policyAdmits([deny], src, dst('10.42.0.30'), 80)).toBe(true);
    expect(policyAdmits([deny], src, dst('10.42.0.20'), 80)).toBe(false);
    expect(policyAdmits([deny], src, dst('10.43.0.1'), 80)).toBe(false);
    expect(policyAdmits([], src, dst('10.43.0.1'), 80)).toBe(true);
  });

  it('REJECT or DROP: the scenario says, else K3s rejects and others drop', () => {
    expect(policyDenialRejects({ version: 'v1.32.5+k3s1' })).toBe(true);
    expect(policyDenialRejects({ version: 'v1.32.5' })).toBe(false);
    expect(policyDenialRejects({ version: 'v1.32.5+k3s1', policyDenial: 'drop' })).toBe(false);
    expect(policyDenialRejects({ version: 'v1.32.5', policyDenial: 'reject' })).toBe(true);
  });

  it('cluster.policyDenial is an optional scenario field, checked', () => {
    const base = { apiVersion: 'podnet.dev/v1alpha1', kind: 'Scenario', metadata: { name: 'x' }, now: '2025-01-01T00:00:00Z' };
    expect(validateScenario({ ...base, cluster: { version: 'v1.32.5', policyDenial: 'drop' } }, 'x.yaml').cluster.policyDenial).toBe('drop');
    expect(() => validateScenario({ ...base, cluster: { version: 'v1.32.5', policyDenial: 'DROP' } }, 'x.yaml')).toThrow(/cluster\.policyDenial: expected one of "reject", "drop"/);
  });
});
