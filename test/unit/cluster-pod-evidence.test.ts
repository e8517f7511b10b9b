import { argvEvidence, envEvidence, looksSecret, podEvidence } from '../../src/probes/pod.js';
import { detectSidecars, policyEvidence, selectorMatches } from '../../src/probes/network.js';
import { nodeEvidence } from '../../src/probes/node.js';
import { eventEvidence } from '../../src/probes/events.js';
import { fixtureObjects, fixturePod } from '../helpers/cluster-fixtures.js';

describe('env masking', () => {
  it('keeps literal config, masks secret-looking names and values, never reads secretKeyRef', () => {
    const env = envEvidence([
      { name: 'MLSERVER_HOST', value: '127.0.0.1' },
      { name: 'SELDON_API_TOKEN', value: 'short' },
      { name: 'DB_PASSWORD', value: 'hunter2' },
      { name: 'CONFIG', value: 'xoxb-1234567890-abcdefghijkl' },
      { name: 'BLOB', value: 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr' },
      { name: 'TLS_KEY', valueFrom: { secretKeyRef: { name: 'seldon-tls', key: 'tls.key' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'MODEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'model' } } },
    ]);
    expect(env).toEqual([
      { name: 'MLSERVER_HOST', from: 'literal', value: '127.0.0.1' },
      { name: 'SELDON_API_TOKEN', from: 'literal', masked: true },
      { name: 'DB_PASSWORD', from: 'literal', masked: true },
      { name: 'CONFIG', from: 'literal', masked: true },
      { name: 'BLOB', from: 'literal', masked: true },
      { name: 'TLS_KEY', from: 'secretKeyRef', ref: 'seldon-tls/tls.key' },
      { name: 'POD_IP', from: 'fieldRef', ref: 'status.podIP' },
      { name: 'MODEL', from: 'configMapKeyRef', ref: 'cfg/model' },
    ]);
    expect(JSON.stringify(env)).not.toContain('hunter2');
  });

  it('does not mask ordinary values', () => {
    expect(looksSecret('SELDON_SERVER_GRPC_PORT', '9500')).toBe(false);
    expect(looksSecret('SELDON_SCHEDULER_HOST', 'seldon-scheduler.financial-ml.svc.cluster.local')).toBe(false);
    expect(looksSecret('MAX_TOKENS_IN_BATCH', '32')).toBe(true); // a secret-ish name: withheld, harmless
  });
});

describe('podEvidence', () => {
  const pod = podEvidence(fixturePod('cluster-seldon-scenario.yaml', 'mlserver-0'));

  it('resolves named probe ports and applies probe defaults', () => {
    const ml = pod.containers.find((c) => c.name === 'mlserver')!;
    expect(ml.probes).toEqual([
      { kind: 'liveness', handler: 'httpGet', port: 9000, path: '/v2/health/live', initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3 },
      { kind: 'readiness', handler: 'httpGet', port: 9000, path: '/v2/health/ready', initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 },
    ]);
    expect(ml.status).toMatchObject({ restartCount: 3, state: { state: 'running' }, lastState: { state: 'terminated', reason: 'Completed', exitCode: 0 } });
  });

  it('carries IPs, node, owner, labels and masked env', () => {
    expect(pod).toMatchObject({ podIP: '10.42.1.17', nodeName: 'k3s-node-2', hostNetwork: false, owner: { kind: 'StatefulSet', name: 'mlserver' } });
    const agent = pod.containers.find((c) => c.name === 'agent')!;
    expect(agent.env.find((e) => e.name === 'SELDON_API_TOKEN')).toEqual({ name: 'SELDON_API_TOKEN', from: 'literal', masked: true });
    expect(JSON.stringify(pod)).not.toContain('s3cr3t');
  });
});

describe('network, node and event evidence', () => {
  const objects = fixtureObjects('cluster-seldon-scenario.yaml');
  const labels = { 'seldon-server-name': 'mlserver', app: 'mlserver' };

  it('selects policies by matchLabels and matchExpressions', () => {
    expect(selectorMatches({ matchLabels: { app: 'mlserver' } }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'In', values: ['scheduler'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['mlserver'] }] }, labels)).toBe(false);
    expect(selectorMatches({}, labels)).toBe(true);
  });

  it('summarises an allow-all policy', () => {
    const p = objects.find((o) => o.kind === 'NetworkPolicy')!;
    expect(policyEvidence(p as never)).toEqual({
      name: 'mlserver-allow-intra-pod',
      policyTypes: ['Ingress', 'Egress'],
      ingressRules: 1,
      egressRules: 1,
      allowsAllIngress: true,
      allowsAllEgress: true,
    });
  });

  it('reads K3s version, runtime and flannel backend from the node', () => {
    const n = objects.find((o) => o.kind === 'Node')!;
    expect(nodeEvidence(n as never)).toMatchObject({ k3sVersion: 'v1.32.5+k3s1', containerRuntime: 'containerd://2.0.5-k3s1', cni: 'flannel', cniBackend: 'vxlan' });
  });

  it('names the container of an event', () => {
    const e = objects.find((o) => o.kind === 'Event')!;
    expect(eventEvidence(e as never)).toMatchObject({ reason: 'Unhealthy', container: 'mlserver', count: 9, at: '2025-07-06T15:19:15Z' });
  });

  it('finds mesh sidecars by name or image', () => {
    const pod = fixturePod('cluster-seldon-scenario.yaml', 'mlserver-0');
    expect(detectSidecars(pod)).toEqual([]);
    pod.spec!.initContainers = [{ name: 'istio-init', image: 'docker.io/istio/proxyv2:1.22' }];
    pod.spec!.containers.push({ name: 'proxy', image: 'cr.l5d.io/linkerd/proxy:stable' }, { name: 'istio-proxy', image: 'istio/proxyv2' });
    expect(detectSidecars(pod)).toEqual(['istio-init', 'istio-proxy']);
  });
});

describe('command and args masking', () => {
  it('withholds secrets in container args (--flag=value, --flag value, tokens) and keeps the rest', () => {
    expect(
      argvEvidence(['--inference-host', '0.0.0.0', '--password', 'hunter2', '--db-url=postgres://app:s3cret@db:5432/x', '--api-key=abcd1234', '--token', 'xoxb-1234567890-abcdef', '--grpc-port', '9500']),
    ).toEqual(['--inference-host', '0.0.0.0', '--password', '[redacted]', '--db-url=postgres://app:[redacted]@db:5432/x', '--api-key=[redacted]', '--token', '[redacted]', '--grpc-port', '9500']);
    expect(argvEvidence(undefined)).toEqual([]);
  });

  it('podEvidence carries masked args, never the secret', () => {
    const raw = fixturePod('cluster-seldon-scenario.yaml', 'mlserver-0');
    const c0 = raw.spec!.containers[0]!;
    c0.args = [...(c0.args ?? []), '--password', 'hunter2'];
    const ev = podEvidence(raw);
    expect(JSON.stringify(ev)).not.toContain('hunter2');
    expect(ev.containers.find((c) => c.name === c0.name)?.args.slice(-2)).toEqual(['--password', '[redacted]']);
  });
});
