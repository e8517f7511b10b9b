/**
 * What the simulator does with a write to a Pod owner: which objects it may patch, the
 * apiserver's validation of the result (immutable fields, env names, container names), and
 * how a changed owner rolls its pods (what the controllers would do: a new pod with a new uid,
 * restartCount 0 and fresh statuses, running the new template). Pure functions over plain
 * objects; the server (server.ts) owns the state.
 */
import { failure, type StatusBody } from './resources.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const meta = (o: Obj): Obj => (isObj(o.metadata) ? o.metadata : {});
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Kinds the simulator accepts PATCH for (Pod owners; the Pod itself for its mutable fields). */
export const PATCHABLE_KINDS: ReadonlySet<string> = new Set([
  'Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Server', 'ServerConfig',
]);

/** Kinds served as custom resources: the apiserver refuses strategic merge patch for them. */
export const CUSTOM_KINDS: ReadonlySet<string> = new Set(['Server', 'ServerConfig']);

/** Where a kind keeps its pod template's spec. */
export function podSpecOf(o: Obj): Obj | undefined {
  const spec = isObj(o.spec) ? o.spec : undefined;
  if (!spec) return undefined;
  switch (o.kind) {
    case 'CronJob': {
      const jt = isObj(spec.jobTemplate) ? spec.jobTemplate : undefined;
      const js = jt && isObj(jt.spec) ? jt.spec : undefined;
      const t = js && isObj(js.template) ? js.template : undefined;
      return t && isObj(t.spec) ? t.spec : undefined;
    }
    case 'Server':
    case 'ServerConfig':
      return isObj(spec.podSpec) ? spec.podSpec : undefined;
    case 'Pod':
      return spec;
    default: {
      const t = isObj(spec.template) ? spec.template : undefined;
      return t && isObj(t.spec) ? t.spec : undefined;
    }
  }
}

function containersOf(podSpec: Obj | undefined, field = 'containers'): Obj[] {
  const list = podSpec?.[field];
  return Array.isArray(list) ? list.filter(isObj) : [];
}

/** A 422 Invalid Status worded as the apiserver words it. */
export function invalid(kind: string, group: string, name: string, field: string, message: string): StatusBody {
  const qualified = group ? `${kind}.${group}` : kind;
  return failure(422, `${qualified} "${name}" is invalid: ${field}: ${message}`, {
    name, ...(group ? { group } : {}), kind, causes: [{ reason: 'FieldValueInvalid', message, field }],
  }, 'Invalid');
}

/** k8s.io/apimachinery validation.IsEnvVarName: `[-._a-zA-Z][-._a-zA-Z0-9]*`. */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/** DNS-1123 label (container names). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Field-level checks of the containers in a pod spec (the ones a bad patch is likely to break). */
function validateContainers(kind: string, group: string, name: string, podSpec: Obj | undefined, path: string): StatusBody | undefined {
  for (const field of ['containers', 'initContainers']) {
    const list = podSpec?.[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return invalid(kind, group, name, `${path}.${field}`, 'Invalid value: must be a list');
    const seen = new Set<string>();
    for (const [i, c] of list.entries()) {
      const at = `${path}.${field}[${i}]`;
      if (!isObj(c)) return invalid(kind, group, name, at, 'Invalid value: must be an object');
      const cname = str(c.name);
      if (!cname) return invalid(kind, group, name, `${at}.name`, 'Required value');
      if (!DNS_LABEL.test(cname)) return invalid(kind, group, name, `${at}.name`, `Invalid value: "${cname}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`);
      if (seen.has(cname)) return invalid(kind, group, name, `${at}.name`, `Duplicate value: "${cname}"`);
      seen.add(cname);
      // Seldon's podSpec overrides may leave image to the ServerConfig; built-in kinds may not.
      if (!CUSTOM_KINDS.has(kind) && (typeof c.image !== 'string' || c.image === '')) return invalid(kind, group, name, `${at}.image`, 'Required value');
      if (c.env !== undefined) {
        if (!Array.isArray(c.env)) return invalid(kind, group, name, `${at}.env`, 'Invalid value: must be a list');
        for (const [j, e] of c.env.entries()) {
          const eat = `${at}.env[${j}]`;
          if (!isObj(e) || typeof e.name !== 'string' || e.name === '') return invalid(kind, group, name, `${eat}.name`, 'Required value');
          if (!ENV_NAME.test(e.name)) return invalid(kind, group, name, `${eat}.name`, `Invalid value: "${e.name}": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit`);
          if (e.value !== undefined && typeof e.value !== 'string') return failure(400, `json: cannot unmarshal ${typeof e.value} into Go struct field EnvVar.${path.replace(/^spec\./, 'spec.')}.${field}.env.value of type string`);
        }
      }
    }
  }
  return undefined;
}

/**
 * The apiserver's answer to an update of `before` into `after`, or undefined when it would
 * accept it. Immutable fields as in k8s.io/kubernetes pkg/apis/apps/validation and
 * pkg/apis/batch/validation; pod updates as in pkg/apis/core/validation ValidatePodUpdate.
 */
export function validateUpdate(group: string, before: Obj, after: Obj): StatusBody | undefined {
  const kind = String(before.kind);
  const name = str(meta(before).name) ?? '';
  const mb = meta(before);
  const ma = meta(after);
  if (ma.name !== mb.name) return failure(400, `the name of the object (${String(ma.name)}) does not match the name on the URL (${name})`);
  if (ma.namespace !== mb.namespace) return failure(400, `the namespace of the object (${String(ma.namespace)}) does not match the namespace on the URL (${String(mb.namespace)})`);
  if (ma.uid !== mb.uid) return invalid(kind, group, name, 'metadata.uid', `Invalid value: "${String(ma.uid)}": field is immutable`);
  if (after.kind !== before.kind || after.apiVersion !== before.apiVersion) return failure(400, `the API version in the data (${String(after.apiVersion)}) does not match the expected API version (${String(before.apiVersion)})`);
  const sb = isObj(before.spec) ? before.spec : {};
  const sa = isObj(after.spec) ? after.spec : {};
  switch (kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      if (!same(sb.selector, sa.selector)) return invalid(kind, group, name, 'spec.selector', `Invalid value: ${JSON.stringify(sa.selector ?? null)}: field is immutable`);
      break;
    case 'StatefulSet': {
      // "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
      const mutable = new Set(['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds']);
      const keys = new Set([...Object.keys(sb), ...Object.keys(sa)]);
      for (const k of keys) {
        if (!mutable.has(k) && !same(sb[k], sa[k])) {
          return invalid(kind, group, name, 'spec', "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
        }
      }
      break;
    }
    case 'Job':
      if (!same(sb.selector, sa.selector)) return invalid(kind, group, name, 'spec.selector', `Invalid value: ${JSON.stringify(sa.selector ?? null)}: field is immutable`);
      if (!same(sb.template, sa.template)) return invalid(kind, group, name, 'spec.template', 'Invalid value: field is immutable');
      break;
    case 'Pod': {
      // ValidatePodUpdate: only images (and a few scheduling fields) may change on a live pod.
      const strip = (s: Obj): unknown =>
        ({ ...s, containers: containersOf(s).map((c) => ({ ...c, image: undefined })), initContainers: containersOf(s, 'initContainers').map((c) => ({ ...c, image: undefined })), activeDeadlineSeconds: undefined, tolerations: undefined, terminationGracePeriodSeconds: undefined });
      if (!same(strip(sb), strip(sa))) {
        return invalid(kind, group, name, 'spec', 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)');
      }
      break;
    }
    case 'ServerConfig':
      if (!isObj(sa.podSpec)) return invalid(kind, group, name, 'spec.podSpec', 'Required value');
      break;
    case 'Server':
      if (typeof sa.serverConfig !== 'string' || sa.serverConfig === '') return invalid(kind, group, name, 'spec.serverConfig', 'Required value');
      break;
    default:
      break;
  }
  const path = kind === 'Pod' ? 'spec' : kind === 'Server' || kind === 'ServerConfig' ? 'spec.podSpec' : kind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec' : 'spec.template.spec';
  return validateContainers(kind, group, name, podSpecOf(after), path);
}

/** An object reference as owners and pods carry them. */
export interface Ref {
  kind: string;
  namespace?: string;
  name: string;
}

/** The object with this kind, namespace and name among `objects`. */
function findObj(objects: Obj[], ref: Ref): Obj | undefined {
  return objects.find((o) => o.kind === ref.kind && meta(o).name === ref.name && (ref.namespace === undefined || meta(o).namespace === ref.namespace));
}

/** The controller chain above a pod, nearest first: ReplicaSet, Deployment; StatefulSet, Server. */
export function ownerChain(objects: Obj[], pod: Obj): Obj[] {
  const out: Obj[] = [];
  let cur: Obj | undefined = pod;
  for (let i = 0; i < 8 && cur; i++) {
    const refs = (meta(cur).ownerReferences ?? []) as Obj[];
    const ref = refs.find((r) => r.controller === true) ?? refs[0];
    if (!ref) break;
    cur = findObj(objects, { kind: String(ref.kind), namespace: str(meta(cur).namespace), name: String(ref.name) });
    if (cur) out.push(cur);
  }
  return out;
}

/** Pods whose controller chain contains `owner` (or, for a ServerConfig, a Server that names it). */
export function podsAffectedBy(objects: Obj[], owner: Obj): Obj[] {
  const uid = meta(owner).uid;
  const serverNames = owner.kind === 'ServerConfig'
    ? new Set(objects.filter((o) => o.kind === 'Server' && isObj(o.spec) && o.spec.serverConfig === meta(owner).name).map((o) => `${String(meta(o).namespace)}/${String(meta(o).name)}`))
    : undefined;
  return objects.filter((o) => {
    if (o.kind !== 'Pod') return false;
    if (o === owner) return true;
    const chain = ownerChain(objects, o);
    if (serverNames) return chain.some((c) => c.kind === 'Server' && serverNames.has(`${String(meta(c).namespace)}/${String(meta(c).name)}`));
    return chain.some((c) => meta(c).uid === uid);
  });
}

/**
 * The containers a pod gets from its chain: the top template, and for a Seldon Server the
 * ServerConfig's podSpec with the Server's overrides merged by container name, slices
 * appended (Seldon Core v2 operator/controllers/reconcilers/server/server_reconciler.go,
 * mergePodSpecs/mergeContainers: mergo.Merge WithOverride, WithAppendSlice).
 */
export function templateContainers(objects: Obj[], chain: Obj[]): Obj[] | undefined {
  const server = chain.find((o) => o.kind === 'Server');
  if (server) {
    const cfgName = isObj(server.spec) ? str(server.spec.serverConfig) : undefined;
    // The ServerConfig lives in the Seldon controller's namespace, not the Server's (GetServerConfigForServer).
    const cfg = objects.find((o) => o.kind === 'ServerConfig' && meta(o).name === cfgName);
    const base = containersOf(podSpecOf(cfg ?? {}));
    const over = containersOf(podSpecOf(server));
    const merged: Obj[] = base.map((c) => structuredClone(c));
    for (const o of over) {
      const i = merged.findIndex((c) => c.name === o.name);
      if (i < 0) merged.push(structuredClone(o));
      else {
        const m = merged[i] as Obj;
        for (const [k, v] of Object.entries(o)) m[k] = Array.isArray(v) && Array.isArray(m[k]) ? [...(m[k] as unknown[]), ...structuredClone(v)] : structuredClone(v);
      }
    }
    return merged;
  }
  // The topmost template wins: a Deployment writes its ReplicaSets' templates, not the reverse.
  const top = [...chain].reverse().find((o) => podSpecOf(o) && containersOf(podSpecOf(o)).length > 0);
  return top ? containersOf(podSpecOf(top)) : undefined;
}

/** Env as kubelet sees it: a later entry with the same name wins. */
function envMap(list: unknown): Map<string, Obj> {
  const m = new Map<string, Obj>();
  if (Array.isArray(list)) for (const e of list) if (isObj(e) && typeof e.name === 'string') m.set(e.name, e);
  return m;
}

const CARRIED_FIELDS = ['image', 'command', 'args', 'ports', 'resources', 'livenessProbe', 'readinessProbe', 'startupProbe'];

/**
 * Applies the change between two renderings of a pod's template to the pod's containers:
 * env entries added, changed or removed by name; other carried fields replaced when they
 * changed. Fields the template does not mention (defaults the pod has) stay as they are.
 */
export function applyTemplateChange(podContainers: Obj[], before: Obj[], after: Obj[]): Obj[] {
  return podContainers.map((pc) => {
    const b = before.find((c) => c.name === pc.name);
    const a = after.find((c) => c.name === pc.name);
    if (!a && !b) return pc;
    const out = structuredClone(pc);
    const eb = envMap(b?.env);
    const ea = envMap(a?.env);
    if (!same([...eb], [...ea])) {
      const env = [...envMap(out.env)].filter(([n]) => !(eb.has(n) && !ea.has(n)));
      const byName = new Map(env);
      for (const [n, e] of ea) byName.set(n, structuredClone(e));
      out.env = [...byName.values()];
    }
    for (const f of CARRIED_FIELDS) {
      if (same(b?.[f], a?.[f])) continue;
      if (a?.[f] === undefined) delete out[f];
      else out[f] = structuredClone(a[f]);
    }
    return out;
  });
}

/** The value of `--flag VALUE` or `--flag=VALUE` in an argv. */
function flagValue(argv: unknown[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = String(argv[i]);
    if (a === flag) return argv[i + 1] === undefined ? undefined : String(argv[i + 1]);
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

/** How a container's listen address follows its spec (scenario `listenFollows`). */
export interface ListenRule {
  env?: string;
  arg?: string;
  default: string;
}

/** The address a container listens on under its rule, from its (new) spec. */
export function listenAddress(container: Obj, rule: ListenRule): string {
  if (rule.env) {
    const e = envMap(container.env).get(rule.env);
    if (e && typeof e.value === 'string' && e.value !== '') return e.value;
  }
  if (rule.arg) {
    const v = flagValue([...((container.command as unknown[]) ?? []), ...((container.args as unknown[]) ?? [])], rule.arg);
    if (v) return v;
  }
  return rule.default;
}

/**
 * How long kubelet lets a starting container live before its probes kill it, in seconds: with a
 * startupProbe, initialDelaySeconds + periodSeconds × failureThreshold (no liveness check runs
 * until it passes); else the livenessProbe's same sum; with neither, no limit. Defaults:
 * initialDelaySeconds 0, periodSeconds 10, failureThreshold 3
 * (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Probe,
 * https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#protect-slow-starting-containers-with-startup-probes).
 */
export function startBudgetSeconds(container: Obj): number {
  const probe = (container.startupProbe ?? container.livenessProbe) as Obj | undefined;
  if (!probe) return Infinity;
  const num = (v: unknown, d: number) => (typeof v === 'number' && v >= 0 ? v : d);
  return num(probe.initialDelaySeconds, 0) + num(probe.periodSeconds, 10) * num(probe.failureThreshold, 3);
}

/** A pod replaced by its controller: new uid, start times `now`, restartCount 0, ready. */
export function rolledPod(pod: Obj, containers: Obj[], nowIso: string, uid: string): Obj {
  const out = structuredClone(pod);
  const m = meta(out);
  m.uid = uid;
  m.creationTimestamp = nowIso;
  delete m.deletionTimestamp;
  const spec = (out.spec ?? {}) as Obj;
  spec.containers = containers;
  out.spec = spec;
  const status = (isObj(out.status) ? out.status : {}) as Obj;
  status.phase = 'Running';
  status.startTime = nowIso;
  status.conditions = ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'PodScheduled', 'Ready'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: nowIso }));
  const fresh = (c: Obj, name: string): Obj => {
    const spec = containers.find((x) => x.name === name);
    return { ...c, ready: true, started: true, restartCount: 0, state: { running: { startedAt: nowIso } }, lastState: {}, ...(spec?.image ? { image: spec.image } : {}) };
  };
  status.containerStatuses = ((status.containerStatuses ?? []) as Obj[]).map((c) => fresh(c, String(c.name)));
  status.initContainerStatuses = ((status.initContainerStatuses ?? []) as Obj[]).map((c) => ({ ...c, ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: nowIso, finishedAt: nowIso } }, lastState: {} }));
  if ((status.initContainerStatuses as Obj[]).length === 0) delete status.initContainerStatuses;
  delete status.ephemeralContainerStatuses;
  delete spec.ephemeralContainers;
  out.status = status;
  return out;
}

/** The alphabet Kubernetes uses for generated name suffixes and pod-template-hash (k8s.io/apimachinery pkg/util/rand SafeEncodeString). */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function safeEncode(bytes: Uint8Array, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += SAFE[(bytes[i % bytes.length] as number) % SAFE.length];
  return out;
}

/** What a Deployment controller does when its template changes: the pod's new ReplicaSet, the old one scaled down, the new pod. */
export interface DeploymentRollout {
  /** The ReplicaSet the pod ran under, scaled to 0. */
  oldRs: Obj;
  /** The ReplicaSet of the new template: created, or an earlier one reused (a roll back to its template). */
  newRs: Obj;
  created: boolean;
  /** The replacement pod: a new name `<rs>-<5>` and its labels and owner. */
  pod: Obj;
}

/**
 * A Deployment's rollout for a changed template, as its controller does it: the template hashes
 * to a pod-template-hash, the ReplicaSet `<deployment>-<hash>` runs it (an existing one with that
 * hash is scaled up again, e.g. after a roll back), the old one is scaled to 0, and the
 * replacement pod gets a generated name `<rs>-<5 chars>` — not the old pod's name
 * (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#pod-template-hash-label,
 * kubernetes pkg/controller/deployment/sync.go getNewReplicaSet). Pure: `sha` hashes, `uid` makes ids.
 */
export function deploymentRollout(objects: Obj[], rs: Obj, deployment: Obj, rolled: Obj, sha: (s: string) => Uint8Array, uid: (key: string) => string, nowIso: string): DeploymentRollout {
  const dspec = (isObj(deployment.spec) ? deployment.spec : {}) as Obj;
  const template = structuredClone((isObj(dspec.template) ? dspec.template : {}) as Obj);
  const hash = safeEncode(sha(JSON.stringify(template)), 10);
  const name = `${String(meta(deployment).name)}-${hash}`;
  const ns = str(meta(deployment).namespace);
  const replicas = typeof dspec.replicas === 'number' ? dspec.replicas : 1;
  const revision = Math.max(0, ...objects.filter((o) => o.kind === 'ReplicaSet' && meta(o).namespace === ns).map((o) => Number(((meta(o).annotations ?? {}) as Obj)['deployment.kubernetes.io/revision'] ?? 0))) + 1;
  const oldRs = structuredClone(rs);
  (oldRs.spec as Obj).replicas = 0;
  oldRs.status = { ...((isObj(oldRs.status) ? oldRs.status : {}) as Obj), replicas: 0, readyReplicas: 0, availableReplicas: 0 };
  const existing = objects.find((o) => o.kind === 'ReplicaSet' && meta(o).namespace === ns && meta(o).name === name);
  const newRs = structuredClone(existing ?? rs);
  const m = meta(newRs);
  if (!existing) {
    m.name = name;
    m.uid = uid(`ReplicaSet/${ns ?? ''}/${name}`);
    m.creationTimestamp = nowIso;
    m.labels = { ...((m.labels ?? {}) as Obj), 'pod-template-hash': hash };
    const tmeta = (isObj(template.metadata) ? template.metadata : (template.metadata = {})) as Obj;
    tmeta.labels = { ...((tmeta.labels ?? {}) as Obj), 'pod-template-hash': hash };
    const spec = (newRs.spec ?? (newRs.spec = {})) as Obj;
    spec.template = template;
    const sel = (isObj(spec.selector) ? spec.selector : (spec.selector = {})) as Obj;
    sel.matchLabels = { ...((sel.matchLabels ?? {}) as Obj), 'pod-template-hash': hash };
  }
  m.annotations = { ...((m.annotations ?? {}) as Obj), 'deployment.kubernetes.io/revision': String(revision) };
  (newRs.spec as Obj).replicas = replicas;
  newRs.status = { replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: Number(m.generation ?? 1) };
  const pod = structuredClone(rolled);
  const pm = meta(pod);
  const podName = `${name}-${safeEncode(sha(String(pm.uid)), 5)}`;
  pm.name = podName;
  pm.generateName = `${name}-`;
  pm.labels = { ...((pm.labels ?? {}) as Obj), 'pod-template-hash': hash };
  pm.ownerReferences = [{ apiVersion: String(newRs.apiVersion ?? 'apps/v1'), kind: 'ReplicaSet', name, uid: String(m.uid), controller: true, blockOwnerDeletion: true }];
  return { oldRs, newRs, created: !existing, pod };
}
