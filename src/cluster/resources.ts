/**
 * REST paths of the kinds podnet reads and patches beyond the generated clients: Pod owners
 * (apps/v1, batch/v1) and Seldon Core v2's Server and ServerConfig (mlops.seldon.io/v1alpha1,
 * namespaced: operator/config/crd/bases/mlops.seldon.io_servers.yaml). Pure.
 */
import type { ObjectRef } from './types.js';

/** Plurals of the kinds podnet handles; anything else is lowercased + "s" (the CRD convention). */
const PLURALS: Record<string, string> = {
  Pod: 'pods', ReplicaSet: 'replicasets', Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets',
  Job: 'jobs', CronJob: 'cronjobs', Server: 'servers', ServerConfig: 'serverconfigs', Service: 'services', ConfigMap: 'configmaps',
  NetworkPolicy: 'networkpolicies', Namespace: 'namespaces', Node: 'nodes',
};

/** The resource name RBAC sees (`statefulsets`, `servers`) and the object's and collection's paths. */
export function resourcePath(ref: ObjectRef): { resource: string; group: string; path: string; collection: string } {
  const slash = ref.apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  const resource = PLURALS[ref.kind] ?? `${ref.kind.toLowerCase()}s`;
  const root = group ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  const collection = `${root}${ns}/${resource}`;
  return { resource, group, path: `${collection}/${encodeURIComponent(ref.name)}`, collection };
}

/** One kind podnet reads or patches for remediation: its API group and resource. */
export interface RemediationResource {
  group: string;
  resource: string;
}

/**
 * Pod owners podnet reads to find the object that owns a setting (`get`; the base RBAC grants
 * it) and the ServerConfigs it looks up by name (`list`). deploy/base/worker-rbac.yaml grants
 * exactly these; test/helpers/rbac-map.ts reads this table.
 */
export const OWNER_READS: readonly RemediationResource[] = [
  { group: 'apps', resource: 'replicasets' },
  { group: 'apps', resource: 'deployments' },
  { group: 'apps', resource: 'statefulsets' },
  { group: 'apps', resource: 'daemonsets' },
  { group: 'batch', resource: 'jobs' },
  { group: 'batch', resource: 'cronjobs' },
  { group: 'mlops.seldon.io', resource: 'servers' },
  { group: 'mlops.seldon.io', resource: 'serverconfigs' },
];
/** Listed by name across namespaces (a Server's ServerConfig lives in Seldon's namespace). */
export const OWNER_LISTS: readonly RemediationResource[] = [{ group: 'mlops.seldon.io', resource: 'serverconfigs' }];

/**
 * The kinds podnet patches (dry-run and Apply fix), granted only by the opt-in component
 * deploy/components/patch. ReplicaSets and Jobs are not here: a Deployment rewrites its
 * ReplicaSets, and a Job's template is immutable.
 */
export const PATCH_TARGETS: readonly RemediationResource[] = [
  { group: 'apps', resource: 'deployments' },
  { group: 'apps', resource: 'statefulsets' },
  { group: 'apps', resource: 'daemonsets' },
  { group: 'batch', resource: 'cronjobs' },
  { group: 'mlops.seldon.io', resource: 'servers' },
  { group: 'mlops.seldon.io', resource: 'serverconfigs' },
];

const listed = (table: readonly RemediationResource[], r: { group: string; resource: string }): boolean => table.some((t) => t.group === r.group && t.resource === r.resource);

/** Whether podnet may read / list / patch this resource (core pods are always readable). */
export function allowedFor(verb: 'get' | 'list' | 'patch', r: { group: string; resource: string }): boolean {
  if (verb === 'get' && r.group === '' && r.resource === 'pods') return true;
  return listed(verb === 'get' ? OWNER_READS : verb === 'list' ? OWNER_LISTS : PATCH_TARGETS, r);
}
