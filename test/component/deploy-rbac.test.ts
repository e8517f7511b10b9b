/**
 * Least-privilege RBAC: the rules in the rendered manifests must be exactly what the
 * cluster-access code (src/cluster/*.ts) calls — no call without a rule (it would 403 in a
 * real cluster), no rule without a call (it would grant more than podnet uses).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import {
  compareRbac,
  describeComparison,
  grantsFor,
  permissionKey,
  renderChart,
  renderOverlay,
  renderWithComponents,
  REPO_ROOT,
  type K8sObject,
} from '../helpers/deploy-render.js';
import { deployTools } from '../helpers/deploy-tools.js';
import { scanApiUsage, type ApiUsage } from '../helpers/rbac-map.js';

const WORKER = { name: 'podnet-worker', namespace: 'podnet' };
const EXEC = ['get pods/exec', 'create pods/exec'];
const EPHEMERAL = ['patch pods/ephemeralcontainers'];
/** What deploy/components/patch grants: patch of the objects that own pods' settings. */
const PATCHES = ['patch apps/daemonsets', 'patch apps/deployments', 'patch apps/statefulsets', 'patch batch/cronjobs', 'patch mlops.seldon.io/serverconfigs', 'patch mlops.seldon.io/servers'];
const OPT_IN = [...EPHEMERAL, ...PATCHES];

// CI installs kubectl when missing (.ci/run); on a machine without it these tests cannot run.
const { kustomize: version, helm, describeKubectl, describeHelm } = await deployTools({
  suite: 'deploy-rbac',
  kubectlTests: 'RBAC manifest tests',
  helmTests: "the chart's RBAC tests",
});

function clusterSources(): { path: string; text: string }[] {
  const dir = join(REPO_ROOT, 'src', 'cluster');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.ts'));
  } catch {
    names = [];
  }
  return names.map((n) => ({ path: `src/cluster/${n}`, text: readFileSync(join(dir, n), 'utf8') }));
}

const keys = (items: { verb: string; resource: string; apiGroup: string }[]): string[] => [...new Set(items.map(permissionKey))].sort();

describe('scanning the cluster-access layer', () => {
  test('src/cluster/client.ts exists and makes Kubernetes API calls the scanner recognises', () => {
    const files = clusterSources();
    expect(files.map((f) => f.path)).toContain('src/cluster/client.ts');
    const { usages, unmapped } = scanApiUsage(files);
    expect(unmapped).toEqual([]);
    // Reading a pod is the least any check does; finding nothing means the scanner is blind.
    expect(keys(usages)).toContain('get pods');
  });

  test('the scanner maps generated-API calls, capability classes and raw subresource paths, and ignores comments', () => {
    const { usages, unmapped } = scanApiUsage([
      {
        path: 'x.ts',
        text: [
          'await core.readNamespacedPod({ name, namespace });',
          'const exec = new Exec(kc);',
          'const url = `${server}/api/v1/namespaces/${ns}/pods/${pod}/log?follow=false`;',
          '// core.listNode() in a comment does not count',
          '/* networking.listNamespacedIngress() neither */',
          'await core.deleteNamespacedPod({ name, namespace });',
        ].join('\n'),
      },
    ]);
    expect(keys(usages)).toEqual(['create pods/exec', 'get pods', 'get pods/exec', 'get pods/log']);
    expect(usages.find((u) => u.resource === 'pods/log')?.source).toMatch(/^x\.ts:3 /);
    // A client-node method the table does not know is reported, not silently ignored.
    expect(unmapped).toHaveLength(1);
    expect(unmapped[0]).toMatch(/x\.ts:6 deleteNamespacedPod: a client-node API method; add it to CLIENT_NODE_METHODS/);
  });
});

describeKubectl(`RBAC in the rendered manifests (kustomize ${version ?? 'absent'})`, () => {
  let usages: ApiUsage[];
  let single: K8sObject[];
  beforeAll(async () => {
    usages = scanApiUsage(clusterSources()).usages;
    single = await renderOverlay('single-cluster');
  });

  const withoutOptIn = (u: ApiUsage[]): ApiUsage[] => u.filter((x) => !OPT_IN.includes(permissionKey(x)));
  const withoutPatch = (u: ApiUsage[]): ApiUsage[] => u.filter((x) => !PATCHES.includes(permissionKey(x)));
  const withoutEphemeral = (u: ApiUsage[]): ApiUsage[] => u.filter((x) => !EPHEMERAL.includes(permissionKey(x)));

  test('single-cluster: every call has a rule and every rule is used (debug containers excepted: opt-in)', () => {
    const grants = grantsFor(single, WORKER);
    const comparison = compareRbac(withoutOptIn(usages), grants);
    expect(describeComparison(comparison)).toEqual([]);
    // Debug containers are not granted unless the component is added.
    expect(keys(grants)).not.toContain(EPHEMERAL[0]);
  });

  test('single-cluster + debug-containers component: exactly the code, including the ephemeral-container patch', async () => {
    const objects = await renderWithComponents('single-cluster', ['debug-containers']);
    const grants = grantsFor(objects, WORKER);
    expect(describeComparison(compareRbac(withoutPatch(usages), grants))).toEqual([]);
    // The component adds that one permission and nothing else.
    const added = keys(grants).filter((k) => !keys(grantsFor(single, WORKER)).includes(k));
    expect(added).toEqual(EPHEMERAL);
    if (keys(usages).includes(EPHEMERAL[0] as string)) expect(keys(grants)).toContain(EPHEMERAL[0]);
  });

  test('single-cluster + patch component: exactly the code, including patch of the Pod owners podnet fixes, and nothing else', async () => {
    const grants = grantsFor(await renderWithComponents('single-cluster', ['patch']), WORKER);
    expect(describeComparison(compareRbac(withoutEphemeral(usages), grants))).toEqual([]);
    const added = keys(grants).filter((k) => !keys(grantsFor(single, WORKER)).includes(k));
    expect(added).toEqual(PATCHES);
    // The code patches exactly these kinds: the scanner found them in the cluster client.
    expect(keys(usages).filter((k) => k.startsWith('patch ') && !EPHEMERAL.includes(k))).toEqual(PATCHES);
    // No write beyond patch, and never pods, Secrets or ConfigMaps.
    expect(keys(grants).filter((k) => /^(create|update|delete)/.test(k) && k !== 'create pods/exec')).toEqual([]);
  });

  test('read-only and single-cluster grant no patch of any Pod owner: they cannot apply a fix', async () => {
    for (const overlay of ['read-only', 'single-cluster'] as const) {
      const grants = keys(grantsFor(await renderOverlay(overlay), WORKER));
      for (const p of PATCHES) expect(grants).not.toContain(p);
    }
  });

  test('single-cluster binds every permission cluster-wide (pods in any namespace the channel policy allows)', () => {
    for (const g of grantsFor(single, WORKER)) expect(`${permissionKey(g)}: ${g.scope}`).toBe(`${permissionKey(g)}: cluster`);
  });

  test('read-only: no pods/exec at all; everything else as single-cluster', async () => {
    const grants = grantsFor(await renderOverlay('read-only'), WORKER);
    for (const k of EXEC) expect(keys(grants)).not.toContain(k);
    const comparison = compareRbac(withoutOptIn(usages), grants);
    expect(comparison.unused).toEqual([]);
    // What is missing is exactly exec, which the code uses and the overlay withholds.
    expect(keys(comparison.missing)).toEqual(keys(withoutOptIn(usages)).filter((k) => EXEC.includes(k)));
  });

  test('agent-only: the same worker permissions as single-cluster', async () => {
    expect(keys(grantsFor(await renderOverlay('agent-only'), WORKER))).toEqual(keys(grantsFor(single, WORKER)));
  });

  test('namespaced: pods, logs, exec, events, policies and Services only through RoleBindings; nodes stay cluster-wide', async () => {
    const grants = grantsFor(await renderOverlay('namespaced'), WORKER);
    const clusterWide = grants.filter((g) => g.scope === 'cluster');
    expect(keys(clusterWide)).toEqual(['get nodes']);
    const namespaces = [...new Set(grants.filter((g) => g.scope !== 'cluster').map((g) => g.scope))].sort();
    expect(namespaces).toEqual(['team-a', 'team-b']);
    // Per namespace, everything single-cluster grants except nodes.
    const expected = keys(grantsFor(single, WORKER)).filter((k) => k !== 'get nodes');
    for (const ns of namespaces) expect(keys(grants.filter((g) => g.scope === ns))).toEqual(expected);
  });

  test('the bot has no RBAC and no API token', () => {
    expect(grantsFor(single, { name: 'podnet-bot', namespace: 'podnet' })).toEqual([]);
    const sa = single.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'podnet-bot') as { automountServiceAccountToken?: boolean } | undefined;
    expect(sa?.automountServiceAccountToken).toBe(false);
  });

  test('every rule carries a comment naming the podnet feature that needs it', () => {
    for (const file of ['deploy/base/worker-rbac.yaml', 'deploy/components/debug-containers/debug-containers-rbac.yaml', 'deploy/components/patch/patch-rbac.yaml', 'deploy/helm/podnet/templates/rbac.yaml']) {
      const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (!/^\s*- apiGroups:/.test(line)) return;
        expect(`${file}:${i + 1} ${lines[i - 1]?.trim().startsWith('#') ? 'commented' : 'no comment above the rule'}`).toBe(`${file}:${i + 1} commented`);
      });
    }
  });

  test('deploy/README.md lists every granted permission, and nothing else', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'deploy', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Permissions'));
    const documented = [...section.matchAll(/^\| ([a-z, ]+) \| ([a-z/, ]+?)(?: \(([a-z0-9.]+)\))? \| `/gm)].flatMap((m) =>
      (m[1] as string).split(', ').flatMap((verb) => (m[2] as string).split(', ').map((resource) => ({ verb, resource, apiGroup: m[3] ?? '' }))),
    );
    const granted = grantsFor(await renderWithComponents('single-cluster', ['debug-containers', 'patch']), WORKER);
    expect(keys(documented)).toEqual(keys(granted));
  });

  describe('the comparison can fail', () => {
    test('removing a rule from the parsed manifest is reported as a missing rule with the calls that need it', () => {
      const mutated = structuredClone(single);
      const role = mutated.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'podnet-worker-read') as K8sObject & {
        rules: { resources: string[] }[];
      };
      role.rules = role.rules.filter((r) => !r.resources.includes('pods/log'));
      const problems = describeComparison(compareRbac(withoutOptIn(usages), grantsFor(mutated, WORKER)));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^missing rule: get pods\/log \(used at src\/cluster\/\w[\w-]*\.ts:\d+ /);
    });

    test('an extra rule is reported as unused', () => {
      const mutated = structuredClone(single);
      const role = mutated.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'podnet-worker-read') as K8sObject & { rules: unknown[] };
      role.rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] });
      expect(describeComparison(compareRbac(withoutOptIn(usages), grantsFor(mutated, WORKER)))).toEqual([
        'unused rule: get secrets in ClusterRole/podnet-worker-read (no call in src/cluster needs it)',
      ]);
    });

    test('a call the manifests do not allow is reported', () => {
      const extra: ApiUsage = { verb: 'delete', resource: 'pods', apiGroup: '', source: 'src/cluster/x.ts:1 deleteNamespacedPod' };
      expect(describeComparison(compareRbac([...withoutOptIn(usages), extra], grantsFor(single, WORKER)))).toEqual([
        'missing rule: delete pods (used at src/cluster/x.ts:1 deleteNamespacedPod)',
      ]);
    });

    test('a wildcard rule is refused outright', () => {
      const mutated = structuredClone(single);
      const role = mutated.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'podnet-worker-read') as K8sObject & { rules: unknown[] };
      role.rules.push({ apiGroups: [''], resources: ['*'], verbs: ['get'] });
      expect(() => grantsFor(mutated, WORKER)).toThrow(/wildcards grant more than podnet uses/);
    });

    test('a binding to a role that is not in the manifests is refused', () => {
      const mutated = single.filter((o) => !(o.kind === 'ClusterRole' && o.metadata.name === 'podnet-worker-nodes'));
      expect(() => grantsFor(mutated, WORKER)).toThrow(/binds ClusterRole\/podnet-worker-nodes, which is not in the manifests/);
    });
  });
});

/**
 * The Helm chart's RBAC variants against the code and against the Kustomize variant each one
 * stands for: every call the code makes for that variant is allowed, no rule is unused, and the
 * chart grants exactly what the Kustomize variant grants, with the same scope.
 */
describeHelm(`RBAC of the Helm chart (${helm ?? 'helm absent'})`, () => {
  let usages: ApiUsage[];
  beforeAll(() => {
    usages = scanApiUsage(clusterSources()).usages;
  });
  const scoped = (grants: { verb: string; resource: string; apiGroup: string; scope: string }[]): string[] =>
    [...new Set(grants.map((g) => `${permissionKey(g)} @ ${g.scope}`))].sort();
  const only = (drop: string[]) => (u: ApiUsage[]): ApiUsage[] => u.filter((x) => !drop.includes(permissionKey(x)));

  test.each([
    ['default', {}, () => renderOverlay('single-cluster'), only(OPT_IN), []],
    ['rbac.debugContainers', { rbac: { debugContainers: true } }, () => renderWithComponents('single-cluster', ['debug-containers']), only(PATCHES), []],
    ['rbac.patch', { rbac: { patch: true } }, () => renderWithComponents('single-cluster', ['patch']), only(EPHEMERAL), []],
    ['rbac.debugContainers + rbac.patch', { rbac: { debugContainers: true, patch: true } }, () => renderWithComponents('single-cluster', ['debug-containers', 'patch']), only([]), []],
    ['rbac.exec=false (read-only)', { rbac: { exec: false } }, () => renderOverlay('read-only'), only(OPT_IN), EXEC],
    ['rbac.namespaces', { rbac: { namespaces: ['team-a', 'team-b'] } }, () => renderOverlay('namespaced'), only(OPT_IN), []],
    ['agent-only (bot off, external Redis)', { bot: { enabled: false }, redis: { mode: 'standalone', existingSecret: 'podnet-redis' }, clusters: [{ name: 'edge-1' }] }, () => renderOverlay('agent-only'), only(OPT_IN), []],
  ] as const)('%s: exactly the code\'s calls (less what the variant withholds), and the same grants and scopes as its Kustomize variant', async (_name, values, kustomize, used, withheld) => {
    const grants = grantsFor(await renderChart(values), WORKER);
    const comparison = compareRbac(used(usages), grants);
    expect(comparison.unused.map((g) => permissionKey(g))).toEqual([]);
    expect(keys(comparison.missing)).toEqual(keys(used(usages)).filter((k) => (withheld as readonly string[]).includes(k)));
    expect(scoped(grants)).toEqual(scoped(grantsFor(await kustomize(), WORKER)));
  });

  test('the comparison with the code can fail: a chart without exec misses the exec calls', async () => {
    const grants = grantsFor(await renderChart({ rbac: { exec: false } }), WORKER);
    expect(describeComparison(compareRbac(only(OPT_IN)(usages), grants)).filter((p) => p.startsWith('missing rule: '))).toEqual(
      EXEC.filter((k) => keys(usages).includes(k)).map((k) => expect.stringMatching(new RegExp(`^missing rule: ${k.replace('/', '\\/')} \\(used at src/cluster/`))),
    );
  });

  test('rbac.create=false grants nothing; the bot never has a binding', async () => {
    expect(grantsFor(await renderChart({ rbac: { create: false } }), WORKER)).toEqual([]);
    expect(grantsFor(await renderChart({ rbac: { debugContainers: true, patch: true } }), { name: 'podnet-bot', namespace: 'podnet' })).toEqual([]);
  });
});
