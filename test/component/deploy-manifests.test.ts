/**
 * The deploy/ manifests: every overlay renders with `kubectl kustomize`, every object
 * validates against the Kubernetes schemas (kubernetes-models), the pods meet the
 * `restricted` Pod Security Standard, no secret is written into a manifest, and the
 * container settings agree with the Dockerfile (user, ports, entry point, probes).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { DEPLOY_DIR, kustomizeVersion, OVERLAYS, renderOverlay, REPO_ROOT, type K8sObject, type OverlayName } from '../helpers/deploy-render.js';

const version = await kustomizeVersion();
const describeKubectl = version === undefined ? describe.skip : describe;
if (version === undefined) console.warn('deploy-manifests: kubectl not found; manifest rendering tests skipped (install kubectl >= 1.24)');

/** The environment variables the app reads (src/config.ts, src/bin/*); anything else in a manifest is a typo. */
const KNOWN_ENV = new Set([
  'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'REDIS_URL', 'PODNET_CLUSTER', 'PODNET_POLICY_FILE',
  'PODNET_RUNBOOKS_DIR', 'PODNET_AUDIT_LOG', 'LOG_LEVEL', 'PODNET_BOARD_USER', 'PODNET_BOARD_PASSWORD',
  'PODNET_DEFAULT_CLUSTER', 'PODNET_QUEUE_PREFIX', 'PORT', 'OPS_PORT',
]);
/** Secrets the operator creates (deploy/README.md); manifests only refer to them. */
const USER_SECRETS = new Set(['podnet-slack', 'podnet-redis', 'podnet-board']);

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[];
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
interface Probe {
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: { name: string; hostPath?: unknown; configMap?: { name: string }; secret?: { secretName: string } }[];
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
}
interface Workload extends K8sObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}

const workloads = (objects: K8sObject[]): Workload[] =>
  objects.filter((o): o is Workload => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind));
const podnetContainers = (objects: K8sObject[]): { workload: string; container: Container }[] =>
  workloads(objects).flatMap((w) =>
    w.spec.template.spec.containers.filter((c) => c.image.startsWith('podnet')).map((container) => ({ workload: w.metadata.name, container })),
  );
const find = (objects: K8sObject[], kind: string, name: string): K8sObject | undefined =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

/** kubernetes-models module for an apiVersion + kind, e.g. `kubernetes-models/apps/v1/Deployment`. */
async function modelFor(apiVersion: string, kind: string): Promise<new (data: unknown) => { validate(): void }> {
  const path = apiVersion.includes('/') ? `kubernetes-models/${apiVersion}/${kind}` : `kubernetes-models/${apiVersion}/${kind}`;
  const mod = (await import(path)) as Record<string, new (data: unknown) => { validate(): void }>;
  const model = mod[kind];
  if (!model) throw new Error(`kubernetes-models has no ${kind} in ${path}`);
  return model;
}

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
    const problems: string[] = [];
    for (const o of objects) {
      try {
        const Model = await modelFor(o.apiVersion, o.kind);
        new Model(o).validate();
      } catch (err) {
        problems.push(`${o.kind}/${o.metadata.name}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
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
    const objects = objectsOf(name);
    expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual([]);
    for (const w of workloads(objects)) {
      for (const c of w.spec.template.spec.containers) {
        for (const e of c.env ?? []) {
          if (/TOKEN|SECRET|PASSWORD/.test(e.name)) expect(`${c.name} ${e.name} value=${e.value}`).toBe(`${c.name} ${e.name} value=undefined`);
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) expect(USER_SECRETS.has(ref.name)).toBe(true);
        }
        for (const f of c.envFrom ?? []) if (f.secretRef) expect(USER_SECRETS.has(f.secretRef.name)).toBe(true);
      }
    }
    // The settings ConfigMap carries no secret-looking keys either.
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
      for (const k of Object.keys((cm as { data?: Record<string, string> }).data ?? {})) expect(k).not.toMatch(/TOKEN|SECRET|PASSWORD/);
    }
  });

  test.each(OVERLAYS)('%s: every pod meets the restricted Pod Security Standard', (name) => {
    for (const w of workloads(objectsOf(name))) {
      const spec = w.spec.template.spec;
      const where = `${w.kind}/${w.metadata.name}`;
      expect({ where, hostNetwork: spec.hostNetwork ?? false, hostPID: spec.hostPID ?? false, hostIPC: spec.hostIPC ?? false }).toEqual({
        where, hostNetwork: false, hostPID: false, hostIPC: false,
      });
      expect({ where, hostPath: (spec.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name) }).toEqual({ where, hostPath: [] });
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        const sc = c.securityContext ?? {};
        const seccomp = sc.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type;
        const runAsNonRoot = sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
        const user = sc.runAsUser ?? spec.securityContext?.runAsUser;
        expect({
          where: `${where} ${c.name}`,
          runAsNonRoot,
          nonRootUser: user !== undefined && user !== 0,
          seccomp,
          allowPrivilegeEscalation: sc.allowPrivilegeEscalation,
          readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
          privileged: sc.privileged ?? false,
          drop: sc.capabilities?.drop,
          add: sc.capabilities?.add ?? [],
        }).toEqual({
          where: `${where} ${c.name}`,
          runAsNonRoot: true,
          nonRootUser: true,
          seccomp: 'RuntimeDefault',
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          drop: ['ALL'],
          add: [],
        });
        // A read-only root filesystem needs somewhere to write temporary files.
        expect(`${where} ${c.name} ${(c.volumeMounts ?? []).some((m) => m.mountPath === '/tmp') ? 'has /tmp' : 'no writable /tmp'}`).toBe(`${where} ${c.name} has /tmp`);
      }
    }
    const ns = find(objectsOf(name), 'Namespace', 'podnet');
    expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test.each(OVERLAYS)('%s: every container has CPU and memory requests and a memory limit', (name) => {
    for (const w of workloads(objectsOf(name))) {
      for (const c of w.spec.template.spec.containers) {
        const r = c.resources ?? {};
        expect({ c: `${w.metadata.name}/${c.name}`, cpu: !!r.requests?.cpu, memory: !!r.requests?.memory, limitMemory: !!r.limits?.memory, limitCpu: !!r.limits?.cpu }).toEqual({
          c: `${w.metadata.name}/${c.name}`, cpu: true, memory: true, limitMemory: true, limitCpu: true,
        });
      }
    }
  });

  test.each(OVERLAYS)('%s: every pod is selected by a NetworkPolicy for both ingress and egress; bot and worker have a PDB', (name) => {
    const objects = objectsOf(name);
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as (K8sObject & {
      spec: { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[] };
    })[];
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget') as (K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } })[];
    const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>): boolean =>
      Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
    for (const w of workloads(objects)) {
      const labels = w.spec.template.metadata.labels;
      const covering = policies.filter((p) => selects(p.spec.podSelector.matchLabels, labels));
      expect(`${w.metadata.name}: ${covering.flatMap((p) => p.spec.policyTypes).sort().join(',')}`).toBe(`${w.metadata.name}: Egress,Ingress`);
      if (w.kind === 'Deployment') expect(`${w.metadata.name} PDB: ${pdbs.some((p) => selects(p.spec.selector.matchLabels, labels))}`).toBe(`${w.metadata.name} PDB: true`);
    }
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
    const objects = objectsOf(name);
    const configMaps = new Set(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name));
    for (const w of workloads(objects)) {
      const spec = w.spec.template.spec;
      const refs = [
        ...(spec.volumes ?? []).flatMap((v) => (v.configMap ? [v.configMap.name] : [])),
        ...spec.containers.flatMap((c) => [
          ...(c.envFrom ?? []).flatMap((f) => (f.configMapRef ? [f.configMapRef.name] : [])),
          ...(c.env ?? []).flatMap((e) => (e.valueFrom?.configMapKeyRef ? [e.valueFrom.configMapKeyRef.name] : [])),
        ]),
      ];
      for (const ref of refs) expect(`${w.metadata.name} -> ConfigMap/${ref} ${configMaps.has(ref) ? 'found' : 'missing'}`).toBe(`${w.metadata.name} -> ConfigMap/${ref} found`);
      for (const c of spec.containers.filter((x) => x.image.startsWith('podnet'))) {
        for (const e of c.env ?? []) expect(KNOWN_ENV.has(e.name) ? e.name : `unknown env ${e.name}`).toBe(e.name);
      }
    }
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('podnet-settings'))) {
      for (const k of Object.keys((cm as { data?: Record<string, string> }).data ?? {})) expect(KNOWN_ENV.has(k) ? k : `unknown setting ${k}`).toBe(k);
    }
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
