/**
 * Renders the deploy/ overlays with `kubectl kustomize` and the Helm chart (deploy/helm/podnet)
 * with `helm template`, and reads RBAC out of the result.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { ApiPermission, ApiUsage } from './rbac-map.js';

const run = promisify(execFile);

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
export const OVERLAYS = ['single-cluster', 'agent-only', 'read-only', 'namespaced'] as const;
export type OverlayName = (typeof OVERLAYS)[number];

/** A rendered Kubernetes object (loosely typed: the tests look into it). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const HELM = process.env.HELM ?? 'helm';
export const CHART_DIR = join(DEPLOY_DIR, 'helm', 'podnet');

/** `kubectl`'s embedded kustomize version (e.g. `v5.5.0`), or undefined when kubectl is not installed. */
export async function kustomizeVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await run(KUBECTL, ['version', '--client', '-o', 'json'], { timeout: 20_000 });
    const info = JSON.parse(stdout) as { kustomizeVersion?: string };
    return info.kustomizeVersion ?? 'unknown';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Renders a kustomization directory into its objects. Throws with kustomize's own message on failure. */
export async function renderKustomization(dir: string): Promise<K8sObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(KUBECTL, ['kustomize', dir], { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }));
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`kubectl kustomize ${dir} failed: ${stderr.trim() || String(err)}`);
  }
  return parseObjects(stdout, dir);
}

export function renderOverlay(name: OverlayName): Promise<K8sObject[]> {
  return renderKustomization(join(DEPLOY_DIR, 'overlays', name));
}

/** Renders an overlay with extra components, the way a user would compose one. */
export async function renderWithComponents(overlay: OverlayName, components: string[]): Promise<K8sObject[]> {
  const dir = await mkdtemp(join(tmpdir(), 'podnet-kustomize-'));
  try {
    const text = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      // kustomize refuses absolute paths to other kustomizations.
      `  - ${relative(dir, join(DEPLOY_DIR, 'overlays', overlay))}`,
      'components:',
      ...components.map((c) => `  - ${relative(dir, join(DEPLOY_DIR, 'components', c))}`),
      '',
    ].join('\n');
    await writeFile(join(dir, 'kustomization.yaml'), text);
    return await renderKustomization(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `helm version --short` (e.g. `v3.17.2+gcc0bbbd`), or undefined when helm is not installed. */
export async function helmVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await run(HELM, ['version', '--short'], { timeout: 20_000 });
    return stdout.trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Runs helm on the chart with `values` (written to a temp file, `-f`). Rejects with helm's stderr. */
async function helmWithValues(args: string[], values: object): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'podnet-helm-'));
  try {
    const file = join(dir, 'values.json');
    await writeFile(file, JSON.stringify(values));
    const { stdout } = await run(HELM, [...args, '-f', file], { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`helm ${args[0]} failed: ${(e.stderr ?? '').trim() || (e.stdout ?? '').trim() || String(err)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `helm template podnet deploy/helm/podnet -n podnet` with these values, parsed. Release `podnet` names objects as the overlays do. */
export async function renderChart(values: object = {}, release = 'podnet', namespace = 'podnet'): Promise<K8sObject[]> {
  return parseObjects(await helmWithValues(['template', release, CHART_DIR, '-n', namespace], values), `helm template ${JSON.stringify(values)}`);
}

/** `helm lint --strict` of the chart with these values; resolves with its output, rejects with it on a failure. */
export function lintChart(values: object = {}): Promise<string> {
  return helmWithValues(['lint', '--strict', CHART_DIR, '-n', 'podnet'], values);
}

export function parseObjects(text: string, origin: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`${origin}: YAML error: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

/** A permission granted to a service account, with where it comes from. */
export interface Grant extends ApiPermission {
  /** `ClusterRole/podnet-worker-read` */
  role: string;
  /** `cluster` for a ClusterRoleBinding, else the RoleBinding's namespace. */
  scope: string;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Binding extends K8sObject {
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/**
 * Every verb × resource × group granted to the service account through the rendered
 * bindings, expanded rule by rule. Throws on what this check cannot reason about and
 * least privilege forbids anyway: wildcards, resourceNames, nonResourceURLs, a binding to a
 * role that is not in the manifests.
 */
export function grantsFor(objects: readonly K8sObject[], account: { name: string; namespace: string }): Grant[] {
  const roles = new Map<string, K8sObject & { rules?: PolicyRule[] }>();
  for (const o of objects) {
    if (o.kind === 'ClusterRole') roles.set(`ClusterRole/${o.metadata.name}`, o);
    if (o.kind === 'Role') roles.set(`Role/${o.metadata.namespace}/${o.metadata.name}`, o);
  }
  const grants: Grant[] = [];
  for (const o of objects) {
    if (o.kind !== 'ClusterRoleBinding' && o.kind !== 'RoleBinding') continue;
    const binding = o as Binding;
    const bound = (binding.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === account.name && s.namespace === account.namespace);
    if (!bound) continue;
    const scope = o.kind === 'ClusterRoleBinding' ? 'cluster' : (o.metadata.namespace ?? 'default');
    const key =
      binding.roleRef.kind === 'ClusterRole' ? `ClusterRole/${binding.roleRef.name}` : `Role/${o.metadata.namespace}/${binding.roleRef.name}`;
    const role = roles.get(key);
    if (!role) throw new Error(`${o.kind}/${o.metadata.name} binds ${key}, which is not in the manifests`);
    for (const rule of role.rules ?? []) {
      const where = `${key} rule ${JSON.stringify(rule)}`;
      if (rule.resourceNames?.length) throw new Error(`${where}: resourceNames are not supported by this check`);
      if (rule.nonResourceURLs?.length) throw new Error(`${where}: nonResourceURLs are not expected in podnet's roles`);
      for (const apiGroup of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          for (const verb of rule.verbs ?? []) {
            if ([apiGroup, resource, verb].includes('*') || resource.endsWith('/*')) throw new Error(`${where}: wildcards grant more than podnet uses`);
            grants.push({ verb, resource, apiGroup, role: key, scope });
          }
        }
      }
    }
  }
  return grants;
}

export interface RbacComparison {
  /** Calls in the code that no grant allows (one entry per distinct permission, all sources listed). */
  missing: (ApiPermission & { sources: string[] })[];
  /** Grants no call in the code needs. */
  unused: Grant[];
}

const key = (p: ApiPermission): string => `${p.verb} ${p.apiGroup === '' ? '' : `${p.apiGroup}/`}${p.resource}`;

/** Compares what the code needs with what the manifests grant (scope is not considered here). */
export function compareRbac(usages: readonly ApiUsage[], grants: readonly Grant[]): RbacComparison {
  const granted = new Set(grants.map(key));
  const used = new Set(usages.map(key));
  const missingByKey = new Map<string, ApiPermission & { sources: string[] }>();
  for (const u of usages) {
    if (granted.has(key(u))) continue;
    const entry = missingByKey.get(key(u)) ?? { verb: u.verb, resource: u.resource, apiGroup: u.apiGroup, sources: [] };
    entry.sources.push(u.source);
    missingByKey.set(key(u), entry);
  }
  return { missing: [...missingByKey.values()], unused: grants.filter((g) => !used.has(key(g))) };
}

/** One line per problem, for test failure messages. */
export function describeComparison(c: RbacComparison): string[] {
  return [
    ...c.missing.map((m) => `missing rule: ${key(m)} (used at ${m.sources.join(', ')})`),
    ...c.unused.map((g) => `unused rule: ${key(g)} in ${g.role} (no call in src/cluster needs it)`),
  ];
}

export { key as permissionKey };
