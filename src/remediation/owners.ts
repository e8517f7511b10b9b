/**
 * Owner resolution: from a pod up its controller ownerReferences (Pod → ReplicaSet →
 * Deployment; Pod → StatefulSet → Seldon Server; Pod → Job → CronJob; Pod → DaemonSet), and
 * from a Seldon Server to the ServerConfig it names. The object that owns a setting is the
 * topmost one: a controller rewrites what it owns from its own spec
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/owners-dependents/).
 * Also: who manages the owner (Helm, Argo CD, Flux), since their next sync reverts a patch.
 */
import type { ClusterAccess, KubeObject, ObjectRef } from '../cluster/types.js';
import { PodnetError, describeError } from '../errors.js';
import type { ManagedBy } from './types.js';

/** A pod and the controllers above it. */
export interface OwnerChain {
  pod: KubeObject;
  /** Controllers above the pod, nearest first. */
  owners: KubeObject[];
  /** The ServerConfig a Seldon Server in `owners` names (`spec.serverConfig`). */
  serverConfig?: KubeObject;
  /** How each link was found, e.g. `Pod mlserver-0 → StatefulSet mlserver (controller ownerReference)`. */
  path: string[];
  /** A link that could not be read (403, 404), worded for the user. */
  problem?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const meta = (o: KubeObject): Obj => (isObj(o.metadata) ? o.metadata : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `StatefulSet mlserver`. */
export function describeObject(o: KubeObject | ObjectRef): string {
  const name = 'name' in o && typeof o.name === 'string' ? o.name : str(meta(o as KubeObject).name);
  return `${String(o.kind)} ${name ?? '?'}`;
}

/** The reference of an object (for patches and messages). */
export function refOf(o: KubeObject): ObjectRef {
  const ns = str(meta(o).namespace);
  return { apiVersion: String(o.apiVersion), kind: String(o.kind), name: String(meta(o).name), ...(ns ? { namespace: ns } : {}) };
}

/** How deep podnet follows owners; real chains are 2 deep (Pod → ReplicaSet → Deployment). */
const MAX_DEPTH = 5;

/** Walks a pod's controller chain. A link that cannot be read ends the walk and is recorded. */
export async function resolveOwners(cluster: ClusterAccess, namespace: string, podName: string): Promise<OwnerChain> {
  const pod = await cluster.getObject({ apiVersion: 'v1', kind: 'Pod', namespace, name: podName });
  const chain: OwnerChain = { pod, owners: [], path: [] };
  let cur = pod;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const refs = (Array.isArray(meta(cur).ownerReferences) ? meta(cur).ownerReferences : []) as Obj[];
    const ref = refs.find((r) => r.controller === true) ?? refs[0];
    if (!ref) break;
    const target: ObjectRef = { apiVersion: String(ref.apiVersion), kind: String(ref.kind), name: String(ref.name), namespace };
    try {
      const next = await cluster.getObject(target);
      chain.path.push(`${describeObject(cur)} → ${describeObject(next)} (${ref.controller === true ? 'controller ' : ''}ownerReference)`);
      chain.owners.push(next);
      cur = next;
    } catch (err) {
      chain.problem = `could not read ${target.kind} ${target.name}, the owner of ${describeObject(cur)}: ${describeError(err)}`;
      return chain;
    }
  }
  const server = chain.owners.find((o) => o.kind === 'Server' && String(o.apiVersion).startsWith('mlops.seldon.io/'));
  const cfgName = server && isObj(server.spec) ? str(server.spec.serverConfig) : undefined;
  if (server && cfgName) {
    // Seldon's operator reads the ServerConfig from its own namespace, not the Server's
    // (operator/apis/mlops/v1alpha1/serverconfig_types.go GetServerConfigForServer:
    // Namespace: constants.SeldonNamespace), so it is looked up by name in every namespace.
    try {
      const found = await cluster.listObjects({ apiVersion: String(server.apiVersion), kind: 'ServerConfig' }, { fieldSelector: `metadata.name=${cfgName}` });
      if (found.length === 1) {
        chain.serverConfig = found[0];
        chain.path.push(`${describeObject(server)} → ServerConfig ${cfgName} in ${String(meta(found[0] as KubeObject).namespace)} (spec.serverConfig)`);
      } else if (found.length > 1) {
        chain.problem = `ServerConfig ${cfgName} exists in ${found.length} namespaces; podnet cannot tell which one Seldon's operator reads`;
      }
    } catch (err) {
      if (!(err instanceof PodnetError && err.code === 'not-found')) chain.problem = `could not read ServerConfig ${cfgName}: ${describeError(err)}`;
    }
  }
  return chain;
}

/**
 * Who manages an object besides its controller, from the labels and annotations each tool
 * sets: Helm `app.kubernetes.io/managed-by: Helm` and `meta.helm.sh/release-name`
 * (https://helm.sh/docs/chart_best_practices/labels/, and Helm 3.2's adoption annotations);
 * Argo CD's `argocd.argoproj.io/tracking-id` annotation or an `argocd.argoproj.io/instance`
 * label (https://argo-cd.readthedocs.io/en/stable/user-guide/resource_tracking/; its default
 * label, `app.kubernetes.io/instance`, is set by most Helm charts too, so alone it proves nothing);
 * Flux `kustomize.toolkit.fluxcd.io/name` / `helm.toolkit.fluxcd.io/name`
 * (https://fluxcd.io/flux/components/kustomize/kustomizations/). Pure.
 */
export function managedBy(o: KubeObject): ManagedBy | undefined {
  const labels = (isObj(meta(o).labels) ? meta(o).labels : {}) as Record<string, string>;
  const ann = (isObj(meta(o).annotations) ? meta(o).annotations : {}) as Record<string, string>;
  const what = describeObject(o);
  const fluxKs = labels['kustomize.toolkit.fluxcd.io/name'];
  const fluxHelm = labels['helm.toolkit.fluxcd.io/name'];
  if (fluxKs || fluxHelm) {
    const name = fluxKs ?? fluxHelm;
    const kind = fluxKs ? 'Kustomization' : 'HelmRelease';
    return { tool: 'flux', name, note: `${what} is applied by Flux ${kind} ${name}: Flux reverts a hand patch at its next reconcile. Change the source in Git (the ${kind}'s path or values) instead; the patch holds only until then.` };
  }
  const argo = ann['argocd.argoproj.io/tracking-id'] ?? labels['argocd.argoproj.io/instance'];
  if (argo) {
    const app = argo.split(':')[0];
    return { tool: 'argocd', name: app, note: `${what} is tracked by Argo CD application ${app}: with self-heal on, Argo CD reverts a hand patch within minutes; without it, the next sync does. Change the manifest or values in the application's Git source instead.` };
  }
  const release = ann['meta.helm.sh/release-name'];
  if (labels['app.kubernetes.io/managed-by'] === 'Helm' || release) {
    const where = ann['meta.helm.sh/release-namespace'] ? ` (namespace ${ann['meta.helm.sh/release-namespace']})` : '';
    return { tool: 'helm', name: release, note: `${what} is managed by Helm${release ? ` release ${release}${where}` : ''}: the next \`helm upgrade\` puts the chart's values back over a hand patch. Change the chart's values instead; the patch holds only until the next upgrade.` };
  }
  return undefined;
}
