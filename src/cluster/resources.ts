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
