import type { V1Pod } from '@kubernetes/client-node';
import type { LogEvidence } from '../../src/evidence.js';
import { podEvidence } from '../../src/probes/pod.js';
import { inferTarget, isSeldonServerPod } from '../../src/probes/target.js';
import { fixturePod } from '../helpers/cluster-fixtures.js';

const req = { namespace: 'financial-ml', pod: 'mlserver-0' };
const seldon = () => fixturePod('cluster-seldon-scenario.yaml', 'mlserver-0');

function agentEnv(pod: V1Pod) {
  return pod.spec!.containers.find((c) => c.name === 'agent')!.env!;
}

function plainPod(containers: V1Pod['spec'] extends infer S ? (S extends { containers: infer C } ? C : never) : never): V1Pod {
  return {
    metadata: { name: 'web-0', namespace: 'shop', labels: { app: 'web' } },
    spec: { containers },
    status: { podIP: '10.42.0.9', containerStatuses: [] },
  };
}

function refusalLog(container: string, line: string, host: string, port: string): LogEvidence {
  return {
    container,
    previous: false,
    lines: 1,
    bytes: line.length,
    truncated: false,
    matches: [{ signature: 'client-refused', container, previous: false, at: '2025-07-06T15:19:24Z', line, groups: { host, port } }],
    tail: [],
  };
}

describe('inferTarget: Seldon server pods', () => {
  it('agent -> mlserver on SELDON_SERVER_GRPC_PORT at SELDON_SERVER_HOST, one sentence per part', () => {
    const pod = podEvidence(seldon());
    expect(isSeldonServerPod(pod)).toBe(true);
    const t = inferTarget(req, pod);
    expect(t).toMatchObject({ client: 'agent', server: 'mlserver', port: 9500, address: '127.0.0.1', extraPorts: [9000] });
    expect(t.inferredFrom).toEqual(
      expect.arrayContaining([
        'port 9500 from agent env SELDON_SERVER_GRPC_PORT',
        'address 127.0.0.1 from agent env SELDON_SERVER_HOST',
        'extra port 9000 from agent env SELDON_SERVER_HTTP_PORT',
      ]),
    );
  });

  it('defaults: port 9500, host 0.0.0.0 dialled as loopback', () => {
    const p = seldon();
    p.spec!.containers.find((c) => c.name === 'agent')!.env = [];
    const t = inferTarget(req, podEvidence(p));
    expect(t.port).toBe(9500);
    expect(t.address).toBe('127.0.0.1');
    expect(t.inferredFrom.join('\n')).toMatch(/default --inference-host 0\.0\.0\.0.*loopback/);
  });

  it('reads --inference-host from the agent args, and the pod IP from a fieldRef', () => {
    const p = seldon();
    const agent = p.spec!.containers.find((c) => c.name === 'agent')!;
    agent.env = agent.env!.filter((e) => e.name !== 'SELDON_SERVER_HOST');
    agent.args = ['--inference-host=::1'];
    expect(inferTarget(req, podEvidence(p)).address).toBe('::1');
    agentEnv(p).push({ name: 'SELDON_SERVER_HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    const t = inferTarget(req, podEvidence(p));
    expect(t.address).toBe('10.42.1.17');
    expect(t.inferredFrom).toContain('address 10.42.1.17 from agent env SELDON_SERVER_HOST (fieldRef status.podIP)');
  });

  it('flags win over inference', () => {
    const t = inferTarget({ ...req, client: 'rclone', port: 9000 }, podEvidence(seldon()));
    expect(t.client).toBe('rclone');
    expect(t.port).toBe(9000);
    expect(t.inferredFrom).toContain('port 9000: given with --port');
  });

  it('notes a --client that is not in the pod', () => {
    const t = inferTarget({ ...req, client: 'nope' }, podEvidence(seldon()));
    expect(t.inferredFrom.some((s) => s.startsWith('note: --client nope is not a container'))).toBe(true);
  });
});

describe('inferTarget: other pods', () => {
  const twoContainers = () =>
    plainPod([
      { name: 'app', image: 'shop/app:1', env: [{ name: 'CACHE_URL', value: 'redis://localhost:6379/0' }] },
      { name: 'cache', image: 'redis:7', ports: [{ containerPort: 6379 }] },
    ]);

  it('takes client, address and port from the client log refusal', () => {
    const line = 'dial tcp [::1]:8080: connect: connection refused';
    const t = inferTarget({ namespace: 'shop', pod: 'web-0' }, podEvidence(twoContainers()), [refusalLog('app', line, '[::1]', '8080')]);
    expect(t).toMatchObject({ client: 'app', port: 8080, address: '::1' });
    expect(t.inferredFrom[0]).toBe('client app: its log shows it was refused');
  });

  it('falls back to HOST:PORT env values, then the server declaring that port', () => {
    const t = inferTarget({ namespace: 'shop', pod: 'web-0' }, podEvidence(twoContainers()));
    expect(t).toMatchObject({ client: 'app', server: 'cache', port: 6379, address: 'localhost' });
    expect(t.inferredFrom).toContain('port 6379 from app env CACHE_URL');
    expect(t.inferredFrom).toContain('server cache: it declares containerPort 6379');
  });

  it('falls back to the declared containerPorts', () => {
    const pod = plainPod([
      { name: 'sidecar', image: 'busybox' },
      { name: 'web', image: 'nginx', ports: [{ containerPort: 8080 }, { containerPort: 8443 }] },
    ]);
    const t = inferTarget({ namespace: 'shop', pod: 'web-0' }, podEvidence(pod));
    expect(t).toMatchObject({ server: 'web', client: 'sidecar', port: 8080, extraPorts: [8443], address: '127.0.0.1' });
  });

  it('without a pod, records the flags only', () => {
    expect(inferTarget({ namespace: 'a', pod: 'b', port: 1 }, undefined)).toEqual({ namespace: 'a', pod: 'b', port: 1, inferredFrom: ['port 1: given with --port'] });
  });
});
