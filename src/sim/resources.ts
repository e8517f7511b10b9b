/**
 * The resource catalogue the simulator serves (kind ↔ group/version/plural) and the
 * apiserver's `Status` bodies, worded as a real apiserver words them so that the code under
 * test sees what it would see on a cluster.
 */

/** One served resource type. */
export interface ResourceType {
  kind: string;
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  verbs: string[];
  /** Subresources served under this resource, e.g. `log`, `exec`. */
  subresources?: { name: string; kind: string; verbs: string[] }[];
}

const READ = ['get', 'list'];
/** Pod owners the simulator lets a caller patch (with dryRun), as the apiserver does. */
const PATCH = ['get', 'list', 'patch'];

/** Kinds the simulator knows by name; anything else in a scenario is derived from its apiVersion. */
export const KNOWN_TYPES: ResourceType[] = [
  { kind: 'Pod', group: '', version: 'v1', plural: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], verbs: PATCH,
    subresources: [
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'ephemeralcontainers', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
      { name: 'status', kind: 'Pod', verbs: ['get'] },
    ] },
  { kind: 'Event', group: '', version: 'v1', plural: 'events', singular: 'event', namespaced: true, shortNames: ['ev'], verbs: READ },
  { kind: 'Service', group: '', version: 'v1', plural: 'services', singular: 'service', namespaced: true, shortNames: ['svc'], verbs: READ },
  { kind: 'Endpoints', group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'], verbs: READ },
  { kind: 'Node', group: '', version: 'v1', plural: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'], verbs: READ },
  { kind: 'Namespace', group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'], verbs: READ },
  { kind: 'ConfigMap', group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'], verbs: READ },
  { kind: 'Secret', group: '', version: 'v1', plural: 'secrets', singular: 'secret', namespaced: true, verbs: READ },
  { kind: 'ServiceAccount', group: '', version: 'v1', plural: 'serviceaccounts', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'], verbs: READ },
  { kind: 'PersistentVolumeClaim', group: '', version: 'v1', plural: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', namespaced: true, shortNames: ['pvc'], verbs: READ },
  { kind: 'NetworkPolicy', group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', singular: 'networkpolicy', namespaced: true, shortNames: ['netpol'], verbs: READ },
  { kind: 'Ingress', group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', singular: 'ingress', namespaced: true, shortNames: ['ing'], verbs: READ },
  { kind: 'StatefulSet', group: 'apps', version: 'v1', plural: 'statefulsets', singular: 'statefulset', namespaced: true, shortNames: ['sts'], verbs: PATCH },
  { kind: 'Deployment', group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', namespaced: true, shortNames: ['deploy'], verbs: PATCH },
  { kind: 'ReplicaSet', group: 'apps', version: 'v1', plural: 'replicasets', singular: 'replicaset', namespaced: true, shortNames: ['rs'], verbs: PATCH },
  { kind: 'DaemonSet', group: 'apps', version: 'v1', plural: 'daemonsets', singular: 'daemonset', namespaced: true, shortNames: ['ds'], verbs: PATCH },
  { kind: 'Job', group: 'batch', version: 'v1', plural: 'jobs', singular: 'job', namespaced: true, verbs: PATCH },
  { kind: 'CronJob', group: 'batch', version: 'v1', plural: 'cronjobs', singular: 'cronjob', namespaced: true, shortNames: ['cj'], verbs: PATCH },
  // Seldon Core v2 CRDs (operator/config/crd/bases/mlops.seldon.io_servers.yaml, _serverconfigs.yaml): namespaced.
  { kind: 'Server', group: 'mlops.seldon.io', version: 'v1alpha1', plural: 'servers', singular: 'server', namespaced: true, verbs: PATCH },
  { kind: 'ServerConfig', group: 'mlops.seldon.io', version: 'v1alpha1', plural: 'serverconfigs', singular: 'serverconfig', namespaced: true, verbs: PATCH },
  { kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', singular: 'endpointslice', namespaced: true, verbs: READ },
];

/** Kinds always advertised in discovery, present in the file or not (a cluster always has them). */
export const ALWAYS_SERVED = new Set(['Pod', 'Event', 'Service', 'Endpoints', 'Node', 'Namespace', 'ConfigMap', 'NetworkPolicy']);

/** Splits `networking.k8s.io/v1` into group and version (`v1` → core). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** The resource type for an object's kind and apiVersion (known, or derived: lowercased plural). */
export function typeFor(kind: string, apiVersion: string): ResourceType {
  const { group, version } = splitApiVersion(apiVersion);
  const known = KNOWN_TYPES.find((t) => t.kind === kind && t.group === group);
  if (known) return { ...known, version };
  const singular = kind.toLowerCase();
  const plural = singular.endsWith('s') ? `${singular}es` : singular.endsWith('y') ? `${singular.slice(0, -1)}ies` : `${singular}s`;
  // Unknown kinds are assumed namespaced unless the file only ever gives them without a namespace.
  return { kind, group, version, plural, singular, namespaced: true, verbs: READ };
}

/** A metav1.Status body. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message: string; field?: string }[]; retryAfterSeconds?: number };
  code: number;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 406: 'NotAcceptable',
  409: 'Conflict', 410: 'Expired', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError',
  503: 'ServiceUnavailable', 504: 'Timeout',
};

/** The reason the apiserver puts in a Status for this HTTP code. */
export function reasonFor(code: number): string {
  return REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
}

/** A failure Status. */
export function failure(code: number, message: string, details?: StatusBody['details'], reason = reasonFor(code)): StatusBody {
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  // Bad requests carry no details on a real apiserver; keep the body identical.
  if (details && Object.keys(details).length > 0) body.details = details;
  return body;
}

/** 404 `pods "x" not found`, with the details the apiserver gives. */
export function notFound(type: { plural: string; group: string }, name: string): StatusBody {
  const resource = type.group ? `${type.plural}.${type.group}` : type.plural;
  return failure(404, `${resource} "${name}" not found`, { name, ...(type.group ? { group: type.group } : {}), kind: type.plural });
}

/** What a request was trying to do, for a realistic 403 message. */
export interface RequestAttributes {
  verb: string;
  /** `pods`, `pods/exec`. */
  resource: string;
  group: string;
  namespace?: string;
  name?: string;
}

/** The identity the simulator pretends the caller has (its kubeconfig carries a token for it). */
export const SIM_USER = 'system:serviceaccount:podnet:podnet';

/** 403 worded as the RBAC authorizer words it. */
export function forbidden(attrs: RequestAttributes, user = SIM_USER): StatusBody {
  // `pods/exec` is reported against its parent resource: pods "x" is forbidden … "pods/exec".
  const base = attrs.resource.split('/')[0] as string;
  const qualified = attrs.group ? `${base}.${attrs.group}` : base;
  const what = attrs.name ? `${qualified} "${attrs.name}"` : qualified;
  const scope = attrs.namespace ? ` in the namespace "${attrs.namespace}"` : ' at the cluster scope';
  const message = `${what} is forbidden: User "${user}" cannot ${attrs.verb} resource "${attrs.resource}" in API group "${attrs.group}"${scope}`;
  return failure(403, message, { ...(attrs.name ? { name: attrs.name } : {}), ...(attrs.group ? { group: attrs.group } : {}), kind: base });
}

/** The Status for a fault with only a status code, worded per code. */
export function faultStatus(code: number, attrs: RequestAttributes | undefined, retryAfterSeconds = 1): StatusBody {
  if (code === 403 && attrs) return forbidden(attrs);
  if (code === 404 && attrs?.name) return notFound({ plural: attrs.resource.split('/')[0] as string, group: attrs.group }, attrs.name);
  switch (code) {
    case 401:
      return failure(401, 'Unauthorized');
    case 429:
      return failure(429, 'Too many requests, please try again later.', { retryAfterSeconds });
    case 500:
      return failure(500, 'Internal error occurred: simulated fault', { causes: [{ message: 'simulated fault' }] });
    case 503:
      return failure(503, 'The server is currently unable to handle the request (simulated fault)');
    case 504:
      return failure(504, 'The server was unable to return a response in the time allotted, but may still be processing the request (simulated fault)', { retryAfterSeconds });
    default:
      return failure(code, `simulated fault: HTTP ${code}`);
  }
}
