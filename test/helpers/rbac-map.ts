/**
 * What each Kubernetes API call in the cluster-access layer (src/cluster/) needs from RBAC,
 * and a static scanner that finds those calls in the source. test/component/deploy-rbac.test.ts
 * compares the result with the rules in the rendered manifests.
 *
 * The scanner knows every method name of client-node's generated API classes (read from the
 * installed package), so a call the table below does not know fails the test with a message
 * saying to add it here — a new API call cannot slip past the RBAC check unmapped.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { OWNER_LISTS, OWNER_READS, PATCH_TARGETS } from '../../src/cluster/resources.js';

/** One RBAC permission: a verb on a resource (with subresource, e.g. `pods/log`) in an API group (`""` = core). */
export interface ApiPermission {
  verb: string;
  resource: string;
  apiGroup: string;
}

/** A permission the code needs, with where it was found. */
export interface ApiUsage extends ApiPermission {
  /** `src/cluster/client.ts:317 readNamespacedPod`. */
  source: string;
}

const core = (verb: string, resource: string): ApiPermission => ({ verb, resource, apiGroup: '' });

/**
 * client-node API methods (CoreV1Api, NetworkingV1Api, …) → what RBAC must allow.
 * `[]` means the call needs no RBAC rule (non-resource URLs every authenticated user may read).
 */
export const CLIENT_NODE_METHODS: Readonly<Record<string, readonly ApiPermission[]>> = {
  // GET /version: allowed to every authenticated user by the system:public-info-viewer role.
  getCode: [],
  readNamespacedPod: [core('get', 'pods')],
  readNamespacedPodStatus: [core('get', 'pods/status')],
  listNamespacedPod: [core('list', 'pods')],
  listPodForAllNamespaces: [core('list', 'pods')],
  readNamespacedPodLog: [core('get', 'pods/log')],
  listNamespacedEvent: [core('list', 'events')],
  listEventForAllNamespaces: [core('list', 'events')],
  readNode: [core('get', 'nodes')],
  listNode: [core('list', 'nodes')],
  listNamespacedService: [core('list', 'services')],
  readNamespacedService: [core('get', 'services')],
  listNamespacedEndpoints: [core('list', 'endpoints')],
  readNamespacedEndpoints: [core('get', 'endpoints')],
  listNamespacedNetworkPolicy: [{ verb: 'list', resource: 'networkpolicies', apiGroup: 'networking.k8s.io' }],
  listNamespacedEndpointSlice: [{ verb: 'list', resource: 'endpointslices', apiGroup: 'discovery.k8s.io' }],
  patchNamespacedPodEphemeralcontainers: [core('patch', 'pods/ephemeralcontainers')],
  replaceNamespacedPodEphemeralcontainers: [core('update', 'pods/ephemeralcontainers')],
  readNamespacedPodEphemeralcontainers: [core('get', 'pods/ephemeralcontainers')],
  // exec over WebSocket is a GET (authorized as `get`); since 1.35 `create` is checked too.
  connectGetNamespacedPodExec: [core('get', 'pods/exec'), core('create', 'pods/exec')],
  connectPostNamespacedPodExec: [core('create', 'pods/exec')],
};

/**
 * client-node capability classes (`new Exec(kc)`, …) → what RBAC must allow. They open
 * WebSockets (or streams) to subresources rather than calling the generated API.
 */
export const CLIENT_NODE_CLASSES: Readonly<Record<string, readonly ApiPermission[]>> = {
  // WebSocket upgrade = GET (`get`), plus the `create` check of Kubernetes >= 1.35.
  Exec: [core('get', 'pods/exec'), core('create', 'pods/exec')],
  Attach: [core('get', 'pods/attach'), core('create', 'pods/attach')],
  PortForward: [core('get', 'pods/portforward'), core('create', 'pods/portforward')],
  Log: [core('get', 'pods/log')],
  Cp: [core('get', 'pods/exec'), core('create', 'pods/exec')],
  Metrics: [{ verb: 'list', resource: 'pods', apiGroup: 'metrics.k8s.io' }],
};

/**
 * Raw API paths built in string literals or templates (a hand-made HTTP or WebSocket request):
 * the subresource at the end of `/api/v1/namespaces/NS/pods/NAME/<sub>`.
 */
export const RAW_PATHS: readonly { pattern: RegExp; permissions: readonly ApiPermission[] }[] = [
  { pattern: /\/pods\/[^`'"\s]*\/log\b/, permissions: [core('get', 'pods/log')] },
  { pattern: /\/pods\/[^`'"\s]*\/exec\b/, permissions: [core('get', 'pods/exec'), core('create', 'pods/exec')] },
  { pattern: /\/pods\/[^`'"\s]*\/attach\b/, permissions: [core('get', 'pods/attach'), core('create', 'pods/attach')] },
  { pattern: /\/pods\/[^`'"\s]*\/portforward\b/, permissions: [core('get', 'pods/portforward'), core('create', 'pods/portforward')] },
  { pattern: /\/pods\/[^`'"\s]*\/ephemeralcontainers\b/, permissions: [core('patch', 'pods/ephemeralcontainers')] },
];

/**
 * podnet's generic calls (src/cluster/client.ts getObject/listObjects/patchObject, which
 * refuse any kind not in src/cluster/resources.ts): found by their definitions, mapped to
 * the tables they are limited to.
 */
export const GENERIC_METHODS: Readonly<Record<string, readonly ApiPermission[]>> = {
  getObject: [core('get', 'pods'), ...OWNER_READS.map((r) => ({ verb: 'get', resource: r.resource, apiGroup: r.group }))],
  listObjects: OWNER_LISTS.map((r) => ({ verb: 'list', resource: r.resource, apiGroup: r.group })),
  patchObject: PATCH_TARGETS.map((r) => ({ verb: 'patch', resource: r.resource, apiGroup: r.group })),
};

let apiMethodNames: Set<string> | undefined;

/** Every method name of client-node's generated API classes, read from the installed package's types. */
export function clientNodeApiMethods(): Set<string> {
  if (apiMethodNames) return apiMethodNames;
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('@kubernetes/client-node/package.json'));
  const typesFile = join(root, 'dist', 'gen', 'types', 'ObjectParamAPI.d.ts');
  const text = readFileSync(typesFile, 'utf8');
  apiMethodNames = new Set([...text.matchAll(/^\s+([a-z]\w*?)(?:WithHttpInfo)?\(param: /gm)].map((m) => m[1] as string));
  if (apiMethodNames.size < 500) throw new Error(`found only ${apiMethodNames.size} API methods in ${typesFile}; has client-node's layout changed?`);
  return apiMethodNames;
}

export interface ScanResult {
  usages: ApiUsage[];
  /** client-node API methods or classes used in the code but missing from the tables above. */
  unmapped: string[];
}

/** Finds the Kubernetes API calls in the given source files and what RBAC each needs. */
export function scanApiUsage(files: readonly { path: string; text: string }[]): ScanResult {
  const known = clientNodeApiMethods();
  const usages: ApiUsage[] = [];
  const unmapped: string[] = [];
  for (const file of files) {
    const lines = stripComments(file.text).split('\n');
    lines.forEach((line, index) => {
      const where = `${file.path}:${index + 1}`;
      for (const m of line.matchAll(/\.([a-z]\w*)\s*\(/g)) {
        const name = m[1] as string;
        // Own properties only: `.toString(` must not find Object.prototype's.
        const permissions = Object.hasOwn(CLIENT_NODE_METHODS, name) ? CLIENT_NODE_METHODS[name] : undefined;
        if (permissions) usages.push(...permissions.map((p) => ({ ...p, source: `${where} ${name}` })));
        else if (known.has(name)) unmapped.push(`${where} ${name}: a client-node API method; add it to CLIENT_NODE_METHODS in test/helpers/rbac-map.ts`);
      }
      for (const m of line.matchAll(/\bnew\s+([A-Z]\w*)\s*\(/g)) {
        const name = m[1] as string;
        const permissions = Object.hasOwn(CLIENT_NODE_CLASSES, name) ? CLIENT_NODE_CLASSES[name] : undefined;
        if (permissions) usages.push(...permissions.map((p) => ({ ...p, source: `${where} new ${name}` })));
      }
      const def = /^\s*(?:async\s+)?(getObject|listObjects|patchObject)\s*\(/.exec(line);
      if (def) usages.push(...(GENERIC_METHODS[def[1] as string] ?? []).map((p) => ({ ...p, source: `${where} ${def[1] as string}` })));
      for (const raw of RAW_PATHS) {
        const m = raw.pattern.exec(line);
        if (m) usages.push(...raw.permissions.map((p) => ({ ...p, source: `${where} ${m[0]}` })));
      }
    });
  }
  return { usages, unmapped };
}

/** Blanks out comments (keeping line numbers), so a call mentioned in a comment does not count. */
function stripComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}
