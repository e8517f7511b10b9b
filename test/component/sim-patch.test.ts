/**
 * PATCH on the simulator through podnet's cluster client (real HTTP): the three patch formats
 * with dryRun, what the apiserver refuses (415 strategic merge on a custom resource, 422 a
 * failed JSON-patch test or an immutable field, 409 a stale resourceVersion, 403 from the
 * scenario's RBAC), and a stored patch rolling the pod with listeners that follow its env.
 */
import { join } from 'node:path';
import { createClusterAccess, type KubeClusterAccess } from '../../src/cluster/client.js';
import { PodnetError } from '../../src/errors.js';
import { loadScenario } from '../../src/sim/scenario.js';
import { startSimulator, type RunningSimulator } from '../../src/sim/server.js';

const SEED = join(process.cwd(), 'scenarios', 'seed-incident.yaml');
const SERVER = { apiVersion: 'mlops.seldon.io/v1alpha1', kind: 'Server', namespace: 'financial-ml', name: 'mlserver' };
const STS = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'financial-ml', name: 'mlserver' };
const REMOVE_HOST = [
  { op: 'test', path: '/spec/podSpec/containers/0/env/0', value: { name: 'MLSERVER_HOST', value: '127.0.0.1' } },
  { op: 'remove', path: '/spec/podSpec/containers/0/env/0' },
];

type Obj = Record<string, unknown>;
/** The value at a dotted path (`spec.podSpec.containers.0.env`). */
function at(o: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((a, k) => (a && typeof a === 'object' ? (a as Record<string, unknown>)[k] : undefined), o);
}

async function failureOf(p: Promise<unknown>): Promise<PodnetError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PodnetError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('simulator PATCH', () => {
  let sim: RunningSimulator;
  let cluster: KubeClusterAccess;
  beforeEach(async () => {
    sim = await startSimulator({ scenario: SEED });
    cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), retries: 0 });
  });
  afterEach(() => sim.close());

  it('dryRun=All answers the patched Server and stores nothing', async () => {
    const out = (await cluster.patchObject(SERVER, 'json', REMOVE_HOST, { dryRun: true, fieldManager: 'podnet' })) as Obj;
    expect(at(out, 'spec.podSpec.containers.0.env')).toEqual([]);
    const stored = (await cluster.getObject(SERVER)) as Obj;
    expect(at(stored, 'spec.podSpec.containers.0.env')).toEqual([{ name: 'MLSERVER_HOST', value: '127.0.0.1' }]);
    const pod = await cluster.getPod('financial-ml', 'mlserver-0');
    expect(pod.metadata?.uid).toBe('9b3f5d7a-2c4e-4b6a-8d0f-1e3a5c7e9b52');
  });

  it('refuses a strategic merge patch on a custom resource (415), as the apiserver does', async () => {
    const err = await failureOf(cluster.patchObject(SERVER, 'strategic', { spec: { replicas: 2 } }, { dryRun: true }));
    expect(err.detail?.status).toBe(415);
    expect(err.message).toMatch(/unknown format/);
  });

  it('merges containers and env by name in a strategic merge patch of a StatefulSet', async () => {
    const patch = { spec: { template: { spec: { containers: [{ name: 'mlserver', image: 'docker.io/seldonio/mlserver:1.6.1', env: [{ name: 'MLSERVER_HOST', value: '0.0.0.0' }] }] } } } };
    const once = (await cluster.patchObject(STS, 'strategic', patch, { dryRun: true })) as Obj;
    const env2 = { spec: { template: { spec: { containers: [{ name: 'mlserver', env: [{ name: 'MLSERVER_HOST', value: '::' }, { name: 'X', value: '1' }] }] } } } };
    // Applied to what the first produced: the container and its env entry merge by name.
    await cluster.patchObject(STS, 'strategic', patch, { fieldManager: 'podnet' });
    const twice = (await cluster.patchObject(STS, 'strategic', env2, { dryRun: true })) as Obj;
    expect(at(once, 'spec.template.spec.containers')).toHaveLength(1);
    expect(at(twice, 'spec.template.spec.containers')).toHaveLength(1);
    expect(at(twice, 'spec.template.spec.containers.0.env')).toEqual([{ name: 'MLSERVER_HOST', value: '::' }, { name: 'X', value: '1' }]);
    expect(at(twice, 'spec.template.spec.containers.0.image')).toBe('docker.io/seldonio/mlserver:1.6.1');
  });

  it('refuses a JSON patch whose test fails (422) and an immutable StatefulSet field (422)', async () => {
    const stale = [{ op: 'test', path: '/spec/podSpec/containers/0/env/0/value', value: '::1' }, { op: 'remove', path: '/spec/podSpec/containers/0/env/0' }];
    const e1 = await failureOf(cluster.patchObject(SERVER, 'json', stale, { dryRun: true }));
    expect(e1.detail?.status).toBe(422);
    const e2 = await failureOf(cluster.patchObject(STS, 'merge', { spec: { serviceName: 'other' } }, { dryRun: true }));
    expect(e2.detail?.status).toBe(422);
    expect(e2.message).toMatch(/updates to statefulset spec for fields other than/);
    const e3 = await failureOf(cluster.patchObject(STS, 'merge', { metadata: { resourceVersion: '1' }, spec: { replicas: 2 } }, { dryRun: true }));
    expect(e3.detail?.status).toBe(409);
    const e4 = await failureOf(cluster.patchObject(SERVER, 'json', [{ op: 'add', path: '/spec/podSpec/containers/0/env/-', value: { name: '9BAD', value: 'x' } }], { dryRun: true }));
    expect(e4.detail?.status).toBe(422);
    expect(e4.message).toMatch(/valid environment variable name/);
  });

  it('a stored patch of the Server rolls the pod: new uid, restartCount 0, MLServer on 0.0.0.0, the agent connects', async () => {
    const before = await cluster.getPod('financial-ml', 'mlserver-0');
    const out = (await cluster.patchObject(SERVER, 'json', REMOVE_HOST, { fieldManager: 'podnet' })) as Obj;
    expect(at(out, 'metadata.generation')).toBe(4);
    expect((at(out, 'metadata.managedFields') as Obj[]).map((f) => f.manager)).toContain('podnet');
    const pod = await cluster.getPod('financial-ml', 'mlserver-0');
    expect(pod.metadata?.uid).not.toBe(before.metadata?.uid);
    const ml = pod.spec?.containers.find((c) => c.name === 'mlserver');
    expect(ml?.env?.some((e) => e.name === 'MLSERVER_HOST')).toBe(false);
    expect(pod.status?.containerStatuses?.every((c) => c.restartCount === 0 && c.ready && c.state?.running)).toBe(true);
    const tcp = await cluster.exec('financial-ml', 'mlserver-0', 'mlserver', ['cat', '/proc/net/tcp']);
    // 0.0.0.0:9000 in the kernel's format: 00000000:2328, LISTEN (0A).
    expect(tcp.stdout).toMatch(/00000000:2328 00000000:0000 0A/);
    expect(tcp.stdout).not.toMatch(/0100007F:2328/);
    const dial = await cluster.exec('financial-ml', 'mlserver-0', 'agent', ['bash', '-c', 'exec 3<>/dev/tcp/10.42.1.17/9000']);
    expect(dial.exitCode).toBe(0);
  });

  it('answers 403 where the scenario RBAC allows no patch of that resource', async () => {
    await sim.close();
    const s = loadScenario(SEED);
    sim = await startSimulator({ scenario: { ...s, rbac: { allow: [{ verbs: ['patch'], apiGroups: ['mlops.seldon.io'], resources: ['servers'], namespaces: ['financial-ml'] }] } } });
    cluster = createClusterAccess({ kubeConfigYaml: sim.kubeconfigYaml(), retries: 0 });
    const err = await failureOf(cluster.patchObject(STS, 'merge', { spec: { replicas: 1 } }, { dryRun: true }));
    expect(err.code).toBe('forbidden');
    expect(err.message).toMatch(/cannot patch statefulsets in namespace financial-ml — applying fixes needs the opt-in deploy\/components\/patch/);
    await expect(cluster.patchObject(SERVER, 'json', REMOVE_HOST, { dryRun: true })).resolves.toBeDefined();
  });
});
