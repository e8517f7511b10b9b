/**
 * The deploy/ manifests: every overlay renders with `kubectl kustomize`, every object
 * validates against the Kubernetes schemas (kubernetes-models), the pods meet the
 * `restricted` Pod Security Standard, no secret is written into a manifest, and the
 * container settings agree with the Dockerfile (user, ports, entry point, probes).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import {
  find,
  isolationProblems,
  modelFor,
  podnetContainers,
  podSecurityProblems,
  referenceProblems,
  resourceProblems,
  schemaProblems,
  secretProblems,
  workloads,
  type Probe,
  type Workload,
} from '../helpers/deploy-checks.js';
import { DEPLOY_DIR, OVERLAYS, renderOverlay, REPO_ROOT, type K8sObject, type OverlayName } from '../helpers/deploy-render.js';
import { deployTools } from '../helpers/deploy-tools.js';

const { kustomize: version, describeKubectl } = await deployTools({ suite: 'deploy-manifests', kubectlTests: 'manifest rendering tests' });

/** Secrets the operator creates (deploy/README.md); manifests only refer to them. */
const USER_SECRETS = new Set(['podnet-slack', 'podnet-redis', 'podnet-board']);

function parseVersion(v: string): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

describeKubectl(`deploy/ rendered with kubectl kustomize (kustomize ${version ?? 'absent'})`, () => {
  const rendered = new Map<OverlayName, K8sObject[]>();
  beforeAll(async () => {
    for (const name of OVERLAYS) rendered.set(name, await renderOverlay(name));
  });
  const objectsOf = (name: OverlayName): K8sObject[] => rendered.get(name) ?? [];

  test('kubectl embeds kustomize >= v4.5.7 (components, labels, patches with target)', () => {
    const [major, minor, patch] = parseVersion(version ?? '');
    const ok = major > 4 || (major === 4 && (minor > 5 || (minor === 5 && patch >= 7)));
    expect(`kustomize ${version}: ${ok ? 'new enough' : 'too old: Debian bookworm kubernetes-client 1.20 embeds v2.0.3; install kubectl >= 1.24 or a kustomize binary'}`).toBe(
      `kustomize ${version}: new enough`,
    );
  });

  test.each(OVERLAYS)('%s: renders and every object validates against the Kubernetes schema', async (name) => {
    const objects = objectsOf(name);
    expect(objects.length).toBeGreaterThan(5);
    expect(await schemaProblems(objects)).toEqual([]);
  });

  test('schema validation is real: a broken object fails it', async () => {
    const deployment = structuredClone(find(objectsOf('single-cluster'), 'Deployment', 'podnet-worker')) as Workload;
    (deployment.spec.template.spec.containers[0] as unknown as { ports: unknown }).ports = [{ containerPort: 'ops' }];
    const Model = await modelFor(deployment.apiVersion, deployment.kind);
    expect(() => new Model(deployment).validate()).toThrow(/containerPort must be integer/);
  });

  test('the overlays contain what they promise', () => {
    const names = (name: OverlayName): string[] => objectsOf(name).map((o) => `${o.kind}/${o.metadata.name}`);
    for (const o of ['single-cluster', 'read-only', 'namespaced'] as const) {
      expect(names(o)).toEqual(
        expect.arrayContaining(['Namespace/podnet', 'Deployment/podnet-bot', 'Deployment/podnet-worker', 'StatefulSet/podnet-redis', 'Service/podnet-bot']),
      );
    }
    const agent = names('agent-only');
    expect(agent).toContain('Deployment/podnet-worker');
    expect(agent.filter((n) => /podnet-bot|podnet-redis/.test(n))).toEqual([]);
  });

  test.each(OVERLAYS)('%s: podnet objects live in the podnet namespace (RoleBindings excepted)', (name) => {
    for (const o of objectsOf(name)) {
      if (['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'RoleBinding'].includes(o.kind)) continue;
      expect(`${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`).toBe(`${o.kind}/${o.metadata.name} in podnet`);
    }
  });

  test.each(OVERLAYS)('%s: no Secret objects and no literal secret values; only references to the operator\'s Secrets', (name) => {
    expect(secretProblems(objectsOf(name), USER_SECRETS)).toEqual([]);
  });

  test.each(OVERLAYS)('%s: every pod meets the restricted Pod Security Standard', (name) => {
    expect(podSecurityProblems(objectsOf(name))).toEqual([]);
    const ns = find(objectsOf(name), 'Namespace', 'podnet');
    expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test.each(OVERLAYS)('%s: every container has CPU and memory requests and a memory limit', (name) => {
    expect(resourceProblems(objectsOf(name))).toEqual([]);
  });

  test.each(OVERLAYS)('%s: every pod is selected by a NetworkPolicy for both ingress and egress; bot and worker have a PDB', (name) => {
    expect(isolationProblems(objectsOf(name))).toEqual([]);
  });

  test('Redis keeps every accepted job: AOF on, noeviction, a persistent volume, maxmemory under the limit', () => {
    const redis = find(objectsOf('single-cluster'), 'StatefulSet', 'podnet-redis') as Workload & { spec: { volumeClaimTemplates?: unknown[] } };
    const args = redis.spec.template.spec.containers[0]?.args ?? [];
    const arg = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
    expect(arg('--appendonly')).toBe('yes');
    expect(arg('--appendfsync')).toBe('always');
    expect(arg('--maxmemory-policy')).toBe('noeviction');
    expect(arg('--dir')).toBe('/data');
    expect(redis.spec.volumeClaimTemplates).toHaveLength(1);
    const maxMb = Number(/^(\d+)mb$/.exec(arg('--maxmemory') ?? '')?.[1]);
    const limitMi = Number(/^(\d+)Mi$/.exec(redis.spec.template.spec.containers[0]?.resources?.limits?.memory ?? '')?.[1]);
    expect(maxMb).toBeGreaterThan(0);
    expect(maxMb).toBeLessThan(limitMi * 0.8);
  });

  test.each(OVERLAYS)('%s: every ConfigMap a pod uses is in the manifests; env names are ones podnet reads', (name) => {
    expect(referenceProblems(objectsOf(name))).toEqual([]);
  });

  test('the policy file and runbooks are mounted where the settings say', () => {
    const objects = objectsOf('single-cluster');
    const settings = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('podnet-settings')) as unknown as { data: Record<string, string> };
    const mounts = (name: string): string[] =>
      (find(objects, 'Deployment', name) as Workload).spec.template.spec.containers[0]?.volumeMounts?.map((m) => m.mountPath) ?? [];
    expect(mounts('podnet-bot')).toContain(settings.data.PODNET_POLICY_FILE);
    expect(mounts('podnet-bot')).toContain(settings.data.PODNET_RUNBOOKS_DIR);
    expect(mounts('podnet-worker')).toContain(settings.data.PODNET_RUNBOOKS_DIR);
    const runbooks = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('podnet-runbooks')) as unknown as { data: Record<string, string> };
    expect(Object.keys(runbooks.data).sort()).toEqual(readdirSync(join(REPO_ROOT, 'runbooks')).filter((f) => f.endsWith('.yaml')).sort());
  });

  test.each(['single-cluster', 'read-only', 'namespaced'] as const)(
    '%s: commands without --cluster reach this cluster\'s worker (PODNET_DEFAULT_CLUSTER = PODNET_CLUSTER)',
    (name) => {
      const settings = objectsOf(name).find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('podnet-settings')) as unknown as { data: Record<string, string> };
      expect(settings.data.PODNET_CLUSTER).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(settings.data.PODNET_DEFAULT_CLUSTER).toBe(settings.data.PODNET_CLUSTER);
    },
  );

  test('the shipped channel policy parses with podnet\'s own policy schema', async () => {
    const { parsePolicyYaml } = await import('../../src/authz/policy.js');
    const objects = objectsOf('single-cluster');
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('podnet-policy')) as unknown as { data: Record<string, string> };
    const policy = parsePolicyYaml(cm.data['policy.yaml'] ?? '', 'deploy/components/bot/policy.yaml');
    expect(policy.channels.length).toBeGreaterThan(0);
  });

  test('agent-only: no in-cluster Redis, so the podnet-redis Secret (REDIS_URL) is required', () => {
    const worker = find(objectsOf('agent-only'), 'Deployment', 'podnet-worker') as Workload;
    const secretRef = worker.spec.template.spec.containers[0]?.envFrom?.find((f) => f.secretRef)?.secretRef;
    expect(secretRef).toEqual({ name: 'podnet-redis', optional: false });
  });

  describe('matches the Dockerfile', () => {
    const dockerfilePath = join(REPO_ROOT, 'Dockerfile');
    /** Instructions of the final stage (after the last FROM), continuation lines joined. */
    function finalStage(): Map<string, string[]> {
      if (!existsSync(dockerfilePath)) throw new Error('Dockerfile not found at the repository root (H5 writes it); the manifests cannot be checked against it');
      const lines = readFileSync(dockerfilePath, 'utf8').replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      const lastFrom = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
      const stage = new Map<string, string[]>();
      for (const line of lines.slice(lastFrom)) {
        const [instruction = '', ...rest] = line.split(/\s+/);
        stage.set(instruction.toUpperCase(), [...(stage.get(instruction.toUpperCase()) ?? []), rest.join(' ')]);
      }
      return stage;
    }
    const last = (stage: Map<string, string[]>, instruction: string): string | undefined => stage.get(instruction)?.at(-1);

    test('USER is a numeric non-root uid and every podnet container runs as it', () => {
      const user = last(finalStage(), 'USER');
      expect(user).toMatch(/^\d+(:\d+)?$/);
      const uid = Number(user?.split(':')[0]);
      expect(uid).toBeGreaterThan(0);
      for (const name of OVERLAYS) {
        for (const w of workloads(objectsOf(name)).filter((x) => x.spec.template.spec.containers.some((c) => c.image.startsWith('podnet')))) {
          expect(`${w.metadata.name} runAsUser ${w.spec.template.spec.securityContext?.runAsUser}`).toBe(`${w.metadata.name} runAsUser ${uid}`);
        }
      }
    });

    test('every container port is EXPOSEd, and the bot serves 3000 (Slack) and 9464 (ops)', () => {
      const exposed = new Set((finalStage().get('EXPOSE') ?? []).flatMap((e) => e.split(/\s+/)).map((p) => Number(p.split('/')[0])));
      expect([...exposed].sort()).toEqual(expect.arrayContaining([3000, 9464]));
      for (const { workload, container } of podnetContainers(objectsOf('single-cluster'))) {
        for (const p of container.ports ?? []) expect(`${workload} ${p.containerPort} ${exposed.has(p.containerPort) ? 'exposed' : 'not in EXPOSE'}`).toBe(`${workload} ${p.containerPort} exposed`);
      }
      const bot = podnetContainers(objectsOf('single-cluster')).find((c) => c.workload === 'podnet-bot')?.container;
      expect(bot?.ports?.map((p) => p.containerPort).sort()).toEqual([3000, 9464]);
    });

    test('the image ENTRYPOINT runs bin/podnet.js and the manifests pass only the subcommand', () => {
      const entrypoint = JSON.parse(last(finalStage(), 'ENTRYPOINT') ?? '[]') as string[];
      expect(entrypoint).toEqual(['node', 'bin/podnet.js']);
      const subcommands = Object.fromEntries(podnetContainers(objectsOf('single-cluster')).map(({ workload, container }) => [workload, container]));
      expect(subcommands['podnet-bot']?.command).toBeUndefined();
      expect(subcommands['podnet-bot']?.args).toEqual(['bot']);
      expect(subcommands['podnet-worker']?.command).toBeUndefined();
      expect(subcommands['podnet-worker']?.args).toEqual(['worker', '--cluster', '$(PODNET_CLUSTER)']);
      // $(PODNET_CLUSTER) only expands from an explicit env entry.
      expect(subcommands['podnet-worker']?.env?.some((e) => e.name === 'PODNET_CLUSTER')).toBe(true);
    });

    test('probes: liveness and startup GET /healthz, readiness GET /readyz, on the ops port 9464', () => {
      for (const name of OVERLAYS) {
        for (const { workload, container } of podnetContainers(objectsOf(name))) {
          const portOf = (p: Probe | undefined): number | undefined => {
            const port = p?.httpGet?.port;
            return typeof port === 'number' ? port : container.ports?.find((x) => x.name === port)?.containerPort;
          };
          expect({
            workload,
            liveness: [container.livenessProbe?.httpGet?.path, portOf(container.livenessProbe)],
            startup: [container.startupProbe?.httpGet?.path, portOf(container.startupProbe)],
            readiness: [container.readinessProbe?.httpGet?.path, portOf(container.readinessProbe)],
          }).toEqual({ workload, liveness: ['/healthz', 9464], startup: ['/healthz', 9464], readiness: ['/readyz', 9464] });
        }
      }
    });
  });
});

test('deploy/base/runbooks are the same files as the repository\'s runbooks/', () => {
  const shipped = readdirSync(join(REPO_ROOT, 'runbooks')).filter((f) => f.endsWith('.yaml')).sort();
  const deployed = readdirSync(join(DEPLOY_DIR, 'base', 'runbooks')).filter((f) => f.endsWith('.yaml')).sort();
  expect(deployed).toEqual(shipped);
  for (const f of shipped) {
    const same = readFileSync(join(REPO_ROOT, 'runbooks', f), 'utf8') === readFileSync(join(DEPLOY_DIR, 'base', 'runbooks', f), 'utf8');
    expect(`${f}: ${same ? 'same' : 'differs; copy runbooks/ into deploy/base/runbooks/'}`).toBe(`${f}: same`);
  }
});
