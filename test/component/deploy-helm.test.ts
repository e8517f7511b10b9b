/**
 * The Helm chart deploy/helm/podnet: `helm lint --strict` passes, `helm template` renders for the
 * default values and every variant (Sentinel, Cluster, two clusters, the RBAC variants,
 * agent-only), every object validates against the Kubernetes schema and meets the restricted Pod
 * Security Standard, the Redis settings it renders are read by podnet's own loader as meant, bad
 * values fail with a message naming the value, and the objects are equivalent to the Kustomize
 * overlays' (kinds, names, security contexts, probes, ports, NetworkPolicy ports; RBAC is compared
 * in deploy-rbac.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { loadRedisSettings, queuePrefixFor, REDIS_ENV } from '../../src/config.js';
import {
  find,
  isolationProblems,
  podSecurityProblems,
  referenceProblems,
  resourceProblems,
  schemaProblems,
  secretProblems,
  workloads,
  type Workload,
} from '../helpers/deploy-checks.js';
import {
  CHART_DIR,
  lintChart,
  renderChart,
  renderOverlay,
  renderWithComponents,
  REPO_ROOT,
  type K8sObject,
} from '../helpers/deploy-render.js';
import { deployTools } from '../helpers/deploy-tools.js';

// CI installs helm and kubectl when missing (.ci/run); elsewhere these tests need both.
const { helm, describeHelm } = await deployTools({ suite: 'deploy-helm', helmTests: 'chart tests' });

const ciValues = (name: string): object => parseYaml(readFileSync(join(CHART_DIR, 'ci', `${name}-values.yaml`), 'utf8')) as object;

/** The values of each variant the chart supports. */
const CHART_VARIANTS = {
  default: {},
  sentinel: ciValues('sentinel'),
  cluster: ciValues('cluster'),
  'two clusters': ciValues('two-clusters'),
  'debug RBAC': { rbac: { debugContainers: true } },
  'patch RBAC': { rbac: { patch: true } },
  'read-only': { rbac: { exec: false } },
  namespaced: { rbac: { namespaces: ['team-a', 'team-b'] } },
  'agent-only': { bot: { enabled: false }, redis: { mode: 'standalone', existingSecret: 'podnet-redis' }, clusters: [{ name: 'edge-1' }] },
} as const;
type Variant = keyof typeof CHART_VARIANTS;
const VARIANT_NAMES = Object.keys(CHART_VARIANTS) as Variant[];
/** Secrets the operator creates (named in the values); the chart only refers to them. */
const USER_SECRETS = new Set(['podnet-slack', 'podnet-redis', 'podnet-board', 'podnet-kubeconfig-edge-1']);

type Data = { data: Record<string, string> };
const settingsOf = (objects: K8sObject[]): Record<string, string> => (find(objects, 'ConfigMap', 'podnet-settings') as unknown as Data).data;
const workload = (objects: K8sObject[], name: string): Workload => {
  const w = workloads(objects).find((x) => x.metadata.name === name);
  if (!w) throw new Error(`no workload ${name} in ${workloads(objects).map((x) => x.metadata.name).join(', ')}`);
  return w;
};
type Policy = K8sObject & { spec: { policyTypes: string[]; ingress?: { ports?: { port: number; protocol: string }[] }[]; egress?: { ports?: { port: number; protocol: string }[] }[] } };
const egressPorts = (objects: K8sObject[], name: string): number[] =>
  [...new Set((find(objects, 'NetworkPolicy', name) as Policy).spec.egress?.flatMap((e) => e.ports?.map((p) => p.port) ?? []) ?? [])].sort((a, b) => a - b);

describeHelm(`deploy/helm/podnet (${helm ?? 'helm absent'})`, () => {
  const rendered = new Map<Variant, K8sObject[]>();
  beforeAll(async () => {
    for (const v of VARIANT_NAMES) rendered.set(v, await renderChart(CHART_VARIANTS[v]));
  });
  const objectsOf = (v: Variant): K8sObject[] => rendered.get(v) ?? [];

  test.each(VARIANT_NAMES)('%s: helm lint --strict passes', async (v) => {
    expect(await lintChart(CHART_VARIANTS[v])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  test.each(VARIANT_NAMES)('%s: renders, and every object validates against the Kubernetes schema', async (v) => {
    expect(objectsOf(v).length).toBeGreaterThan(5);
    expect(await schemaProblems(objectsOf(v))).toEqual([]);
  });

  test.each(VARIANT_NAMES)('%s: restricted Pod Security, requests and limits, a NetworkPolicy and a PDB for every pod', (v) => {
    expect(podSecurityProblems(objectsOf(v))).toEqual([]);
    expect(resourceProblems(objectsOf(v))).toEqual([]);
    expect(isolationProblems(objectsOf(v))).toEqual([]);
  });

  test.each(VARIANT_NAMES)('%s: no Secret objects and no secret values; only the Secrets named in values; env names podnet reads', (v) => {
    expect(secretProblems(objectsOf(v), USER_SECRETS)).toEqual([]);
    expect(referenceProblems(objectsOf(v))).toEqual([]);
  });

  test.each(VARIANT_NAMES)('%s: every namespaced object is in the release namespace; the standard Helm labels are on every object', (v) => {
    for (const o of objectsOf(v)) {
      const l = o.metadata.labels ?? {};
      expect(`${o.kind}/${o.metadata.name}: ${[l['helm.sh/chart'], l['app.kubernetes.io/name'], l['app.kubernetes.io/instance'], l['app.kubernetes.io/managed-by']].join(' ')}`).toBe(
        `${o.kind}/${o.metadata.name}: podnet-0.1.0 podnet podnet Helm`,
      );
      if (['ClusterRole', 'ClusterRoleBinding', 'RoleBinding', 'Namespace'].includes(o.kind)) continue;
      expect(`${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`).toBe(`${o.kind}/${o.metadata.name} in podnet`);
    }
  });

  test('the checks can fail: a weakened pod, a lost NetworkPolicy and a literal token are each reported', () => {
    const objects = structuredClone(objectsOf('default'));
    const bot = workload(objects, 'podnet-bot');
    (bot.spec.template.spec.containers[0]!.securityContext ??= {}).allowPrivilegeEscalation = true;
    bot.spec.template.spec.containers[0]!.env!.push({ name: 'SLACK_BOT_TOKEN', value: 'xoxb-1' });
    const withoutPolicy = objects.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'podnet-worker'));
    expect(podSecurityProblems(objects)).toEqual(['Deployment/podnet-bot bot: allowPrivilegeEscalation is not false']);
    expect(secretProblems(objects, USER_SECRETS)).toEqual(['bot SLACK_BOT_TOKEN: a literal value']);
    expect(isolationProblems(withoutPolicy)).toEqual(['podnet-worker-main: NetworkPolicy types none, not Egress and Ingress']);
  });

  test('default: an in-release Redis (AOF always, noeviction) behind REDIS_URL, the bot and one worker for cluster main', () => {
    const objects = objectsOf('default');
    expect(settingsOf(objects).REDIS_URL).toBe('redis://podnet-redis:6379');
    expect(find(objects, 'Service', 'podnet-redis')).toBeDefined();
    const args = workload(objects, 'podnet-redis').spec.template.spec.containers[0]?.args ?? [];
    expect([args[args.indexOf('--appendfsync') + 1], args[args.indexOf('--maxmemory-policy') + 1]]).toEqual(['always', 'noeviction']);
    expect(settingsOf(objects).PODNET_DEFAULT_CLUSTER).toBe('main');
    const worker = workload(objects, 'podnet-worker-main').spec.template.spec.containers[0];
    expect(worker?.args).toEqual(['worker', '--cluster', '$(PODNET_CLUSTER)']);
    expect(worker?.env?.find((e) => e.name === 'PODNET_CLUSTER')?.value).toBe('main');
  });

  test('the rendered channel policy parses with podnet\'s own schema, and its channel routes to a cluster the chart runs a worker for', async () => {
    const { parsePolicyYaml } = await import('../../src/authz/policy.js');
    for (const v of ['default', 'two clusters'] as const) {
      const text = (find(objectsOf(v), 'ConfigMap', 'podnet-policy') as unknown as Data).data['policy.yaml'] ?? '';
      const policy = parsePolicyYaml(text, `chart ${v}`);
      for (const ch of policy.channels.filter((c) => c.cluster)) expect(workloads(objectsOf(v)).map((w) => w.metadata.name)).toContain(`podnet-worker-${ch.cluster}`);
    }
    expect(parsePolicyYaml((find(objectsOf('two clusters'), 'ConfigMap', 'podnet-policy') as unknown as Data).data['policy.yaml'] ?? '').channels).toHaveLength(2);
  });

  test.each([
    ['sentinel', { mode: 'sentinel', name: 'mymaster', tls: true, username: 'podnet', nodes: 3 }, [6379, 26379]],
    ['cluster', { mode: 'cluster', name: undefined, tls: true, username: 'podnet', nodes: 3 }, [6379]],
  ] as const)('%s: podnet\'s own loader reads the rendered settings (plus the Secret\'s password) as meant; the NetworkPolicies open the Redis ports', (v, want, ports) => {
    const objects = objectsOf(v);
    const problems: string[] = [];
    const redis = loadRedisSettings({ ...settingsOf(objects), PODNET_REDIS_PASSWORD: 'from-the-secret' }, problems);
    expect(problems).toEqual([]);
    expect({
      mode: redis.mode,
      name: redis.mode === 'sentinel' ? redis.name : undefined,
      tls: redis.mode === 'standalone' ? undefined : redis.tls,
      username: redis.mode === 'standalone' ? undefined : redis.username,
      nodes: redis.mode === 'sentinel' ? redis.sentinels.length : redis.mode === 'cluster' ? redis.nodes.length : 0,
    }).toEqual(want);
    if (v === 'cluster') expect(queuePrefixFor(settingsOf(objects).PODNET_QUEUE_PREFIX ?? '', redis)).toBe('{podnet}');
    expect(find(objects, 'StatefulSet', 'podnet-redis')).toBeUndefined();
    for (const name of ['podnet-bot', 'podnet-worker']) expect(egressPorts(objects, name)).toEqual([53, ...ports, 443, ...(name === 'podnet-worker' ? [6443] : [])].sort((a, b) => a - b));
    for (const w of workloads(objects)) expect(w.spec.template.spec.containers[0]?.envFrom?.map((f) => f.secretRef?.name).filter(Boolean)).toEqual(['podnet-redis']);
  });

  test('two clusters: one worker Deployment and PDB per cluster; the second reads its kubeconfig Secret, with its context and no local API token', () => {
    const objects = objectsOf('two clusters');
    const names = workloads(objects).filter((w) => w.metadata.labels?.['app.kubernetes.io/component'] === 'worker').map((w) => w.metadata.name).sort();
    expect(names).toEqual(['podnet-worker-edge-1', 'podnet-worker-main']);
    const main = workload(objects, 'podnet-worker-main').spec.template.spec;
    const edge = workload(objects, 'podnet-worker-edge-1').spec.template.spec;
    const env = (spec: typeof main): Record<string, string | undefined> => Object.fromEntries((spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(env(main)).toMatchObject({ PODNET_CLUSTER: 'main' });
    expect(env(main).KUBECONFIG).toBeUndefined();
    expect(env(edge)).toMatchObject({ PODNET_CLUSTER: 'edge-1', KUBE_CONTEXT: 'edge-1' });
    // KUBECONFIG names the file the Secret volume puts under the mount.
    const volume = edge.volumes?.find((x) => x.secret?.secretName === 'podnet-kubeconfig-edge-1');
    const mount = edge.containers[0]?.volumeMounts?.find((m) => m.name === volume?.name);
    expect(env(edge).KUBECONFIG).toBe(`${mount?.mountPath}/${volume?.secret?.items?.[0]?.path}`);
    expect([main.automountServiceAccountToken, edge.automountServiceAccountToken]).toEqual([undefined, false]);
    expect(workload(objects, 'podnet-worker-edge-1').spec.replicas).toBe(1);
    // Each worker's selector (and its PDB's) picks only its own pods.
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget') as (K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } })[];
    for (const name of names) {
      const labels = workload(objects, name).spec.template.metadata.labels;
      const matching = (sel: Record<string, string>): boolean => Object.entries(sel).every(([k, val]) => labels[k] === val);
      expect(workloads(objects).filter((w) => matching(w.spec.selector.matchLabels)).map((w) => w.metadata.name)).toEqual([name]);
      expect(pdbs.filter((p) => matching(p.spec.selector.matchLabels)).map((p) => p.metadata.name)).toEqual([name]);
    }
  });

  test('a changed policy rolls the bot: the pod template carries a checksum of each ConfigMap', async () => {
    const checksum = (objects: K8sObject[]): string | undefined => workload(objects, 'podnet-bot').spec.template.metadata.labels && (workload(objects, 'podnet-bot').spec.template as unknown as { metadata: { annotations: Record<string, string> } }).metadata.annotations['checksum/policy'];
    const changed = await renderChart({ policy: { default: 'deny', channels: [{ id: 'C0123456789', namespaces: ['team-a'] }] } });
    expect(checksum(objectsOf('default'))).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(changed)).not.toBe(checksum(objectsOf('default')));
  });

  test('the chart\'s runbooks are the repository\'s, and its appVersion is package.json\'s version', () => {
    const objects = objectsOf('default');
    const data = (find(objects, 'ConfigMap', 'podnet-runbooks') as unknown as Data).data;
    const shipped = readdirSync(join(REPO_ROOT, 'runbooks')).filter((f) => f.endsWith('.yaml')).sort();
    expect(Object.keys(data).sort()).toEqual(shipped);
    for (const f of shipped) expect(`${f}: ${data[f] === readFileSync(join(REPO_ROOT, 'runbooks', f), 'utf8') ? 'same' : 'differs; copy runbooks/ into deploy/helm/podnet/files/runbooks/'}`).toBe(`${f}: same`);
    const chart = parseYaml(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    expect(chart.appVersion).toBe((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  test('the README documents every setting the chart renders, and every Redis setting podnet reads', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const documented = new Set([...readme.slice(readme.indexOf('## Settings')).matchAll(/^\| `([A-Z_]+)`/gm)].map((m) => m[1]));
    const rendered = VARIANT_NAMES.flatMap((v) => [
      ...Object.keys(settingsOf(objectsOf(v)) ?? {}),
      ...workloads(objectsOf(v)).flatMap((w) => w.spec.template.spec.containers.filter((c) => c.image.startsWith('podnet')).flatMap((c) => (c.env ?? []).map((e) => e.name))),
    ]);
    const missing = [...new Set([...rendered, ...REDIS_ENV])].filter((name) => !documented.has(name)).sort();
    expect(missing).toEqual([]);
  });

  test.each([
    ['Sentinel without its master name', { redis: { mode: 'sentinel', sentinel: { nodes: ['s-0:26379'] } } }, /redis\.sentinel\.name: String length must be greater than or equal to 1/],
    ['a Cluster without nodes', { redis: { mode: 'cluster' } }, /redis\.cluster\.nodes: Array must have at least 1 items/],
    ['a node that is not host:port', { redis: { mode: 'cluster', cluster: { nodes: ['redis-0'] } } }, /redis\.cluster\.nodes\.0: Does not match pattern/],
    ['an external server with no URL', { redis: { mode: 'standalone' } }, /redis\.mode=standalone needs the server: set redis\.url .* or put REDIS_URL in a Secret named by redis\.existingSecret/],
    ['a URL with Sentinel', { redis: { mode: 'sentinel', url: 'redis://x:6379', sentinel: { nodes: ['s:26379'], name: 'm' } } }, /redis\.url is set but redis\.mode=sentinel/],
    ['sentinels without mode sentinel', { redis: { sentinel: { nodes: ['s:26379'], name: 'm' } } }, /redis\.sentinel\.nodes is set but redis\.mode=internal; set redis\.mode=sentinel/],
    ['Cluster nodes with mode sentinel', { redis: { mode: 'sentinel', sentinel: { nodes: ['s:26379'], name: 'm' }, cluster: { nodes: ['r:6379'] } } }, /redis\.cluster\.nodes is set but redis\.mode=sentinel/],
    ['a cluster listed twice', { clusters: [{ name: 'main' }, { name: 'main' }] }, /clusters: "main" is listed twice/],
    ['a cluster name with capitals', { clusters: [{ name: 'Main' }] }, /clusters\.0\.name: Does not match pattern/],
    ['a misspelt key', { redsi: { mode: 'internal' } }, /Additional property redsi is not allowed/],
    ['a Slack token in values', { slack: { botToken: 'xoxb-1' } }, /slack: Additional property botToken is not allowed/],
  ])('bad values fail with a message naming the value: %s', async (_what, values, message) => {
    await expect(renderChart(values)).rejects.toThrow(message);
  });
});

/** Objects keyed for comparison with the overlays: a worker named per cluster is the overlay's `podnet-worker`; generated ConfigMaps lose kustomize's hash suffix. */
function normalized(objects: K8sObject[], source: 'helm' | 'kustomize'): Map<string, K8sObject> {
  const key = (o: K8sObject): string => {
    let name = o.metadata.name;
    if (source === 'kustomize' && o.kind === 'ConfigMap') name = name.replace(/-[a-z0-9]{10}$/, '');
    if (source === 'helm' && ['Deployment', 'PodDisruptionBudget'].includes(o.kind)) name = name.replace(/^podnet-worker-[a-z0-9-]+$/, 'podnet-worker');
    return `${o.kind}/${name}${o.kind === 'RoleBinding' ? ` in ${o.metadata.namespace}` : ''}`;
  };
  return new Map(objects.map((o) => [key(o), o]));
}

/** What must agree between a chart workload and the overlay's: how its pods run. */
function podShape(w: Workload): unknown {
  const spec = w.spec.template.spec;
  return {
    replicas: w.spec.replicas,
    serviceAccountName: spec.serviceAccountName,
    automountServiceAccountToken: spec.automountServiceAccountToken,
    securityContext: spec.securityContext,
    containers: spec.containers.map((c) => ({
      name: c.name,
      args: c.args,
      ports: c.ports,
      securityContext: c.securityContext,
      resources: c.resources,
      probes: [c.livenessProbe, c.readinessProbe, c.startupProbe],
      mounts: c.volumeMounts?.map((m) => m.mountPath).sort(),
    })),
  };
}

const policyShape = (p: Policy): unknown => ({
  types: p.spec.policyTypes,
  ingress: p.spec.ingress?.map((i) => i.ports),
  egress: p.spec.egress?.map((e) => e.ports),
});

describeHelm('the chart is equivalent to the Kustomize overlays', () => {
  test.each([
    ['single-cluster', { namespace: { create: true } }, []],
    ['read-only', { namespace: { create: true }, rbac: { exec: false } }, []],
    ['namespaced', { namespace: { create: true }, rbac: { namespaces: ['team-a', 'team-b'] } }, []],
    // PODNET_DEFAULT_CLUSTER is the bot's; the overlay keeps the base's `main`.
    ['agent-only', { namespace: { create: true }, bot: { enabled: false }, redis: { mode: 'standalone', existingSecret: 'podnet-redis' }, clusters: [{ name: 'edge-1' }], settings: { defaultCluster: 'main' } }, []],
    ['single-cluster', { namespace: { create: true }, rbac: { debugContainers: true } }, ['debug-containers']],
    ['single-cluster', { namespace: { create: true }, rbac: { patch: true } }, ['patch']],
  ] as const)('%s (+ components %j): the same objects, pods, security contexts and NetworkPolicies', async (overlay, values, components) => {
    const chart = normalized(await renderChart(values), 'helm');
    const kustomize = normalized(components.length ? await renderWithComponents(overlay, [...components]) : await renderOverlay(overlay), 'kustomize');
    expect([...chart.keys()].sort()).toEqual([...kustomize.keys()].sort());
    for (const [key, k] of kustomize) {
      const h = chart.get(key) as K8sObject;
      if (['Deployment', 'StatefulSet'].includes(k.kind)) expect({ key, shape: podShape(h as Workload) }).toEqual({ key, shape: podShape(k as Workload) });
      if (k.kind === 'NetworkPolicy') expect({ key, shape: policyShape(h as Policy) }).toEqual({ key, shape: policyShape(k as Policy) });
      const maxUnavailable = (o: K8sObject): unknown => (o.spec as { maxUnavailable?: number }).maxUnavailable;
      if (k.kind === 'PodDisruptionBudget') expect({ key, maxUnavailable: maxUnavailable(h) }).toEqual({ key, maxUnavailable: maxUnavailable(k) });
      const podSecurity = (o: K8sObject): [string, string][] => Object.entries(o.metadata.labels ?? {}).filter(([l]) => l.startsWith('pod-security.kubernetes.io/')).sort();
      if (k.kind === 'Namespace') expect(podSecurity(h)).toEqual(podSecurity(k));
    }
    // The overlay's settings are the chart's too (PODNET_CLUSTER is the chart worker's own env entry).
    const settings = (m: Map<string, K8sObject>): Record<string, string> => (m.get('ConfigMap/podnet-settings') as unknown as Data).data;
    const { PODNET_CLUSTER: cluster, ...shared } = settings(kustomize);
    const overlayShared = Object.fromEntries(Object.entries(shared).filter(([, v]) => v !== ''));
    expect(settings(chart)).toMatchObject(overlayShared);
    const worker = chart.get('Deployment/podnet-worker') as Workload;
    expect(worker.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'PODNET_CLUSTER')?.value).toBe(cluster);
  });
});
