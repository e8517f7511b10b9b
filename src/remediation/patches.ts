/**
 * The patch builders the rules carry (src/analysis/rules, `remediation: { kind: 'patch' }`):
 * each carries one cause's fix to the object that owns the setting, with the helpers they
 * share (where a container's settings live, the patch and its kubectl line). Pure: they read
 * the evidence and the owner chain (already fetched) and return data; the dry-run happens in
 * apply.ts.
 */
import type { Evidence, ContainerEvidence } from '../evidence.js';
import type { KubeObject } from '../cluster/types.js';
import { loopbackHostEnv, secondsBetween } from '../analysis/facts.js';
import { describeObject, managedBy, refOf, type OwnerChain } from './owners.js';
import type { PatchType, Remediation } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const meta = (o: KubeObject): Obj => (isObj(o.metadata) ? o.metadata : {});

/** Kinds that are written by a controller from an owner above them: never the patch target. */
const GENERATED = new Set(['ReplicaSet', 'Job', 'Pod']);
/** Workload kinds podnet patches, with where their pod template's spec lives. */
const TEMPLATE_PATH: Record<string, string[]> = {
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  Server: ['spec', 'podSpec'],
  ServerConfig: ['spec', 'podSpec'],
};

function at(o: unknown, path: string[]): unknown {
  return path.reduce<unknown>((a, k) => (isObj(a) ? a[k] : undefined), o);
}

/** A place a container's settings can be written: the object and the container's index there. */
interface Source {
  obj: KubeObject;
  podSpecPath: string[];
  /** Index of the container in that podSpec's containers, -1 when the object has no entry for it. */
  index: number;
  entry?: Obj;
}

/** Where container `name` is defined in `obj` (its pod template or Seldon podSpec). */
function sourceIn(obj: KubeObject, name: string): Source | undefined {
  const path = TEMPLATE_PATH[String(obj.kind)];
  if (!path) return undefined;
  const list = at(obj, [...path, 'containers']);
  const containers = Array.isArray(list) ? list : [];
  const index = containers.findIndex((c) => isObj(c) && c.name === name);
  return { obj, podSpecPath: path, index, ...(index >= 0 ? { entry: containers[index] as Obj } : {}) };
}

/**
 * The object whose spec the pod's containers come from, and how that was found. Seldon:
 * the Server (its podSpec overrides) or its ServerConfig; else the topmost workload
 * controller (a Deployment, not its ReplicaSet; a CronJob, not its Job).
 */
export function settingOwner(chain: OwnerChain): { owner?: KubeObject; seldon: boolean; why: string } | { owner?: undefined; seldon: false; why: string } {
  const path = chain.path.length ? chain.path.join('; ') : `${describeObject(chain.pod)} has no ownerReferences`;
  const server = chain.owners.find((o) => o.kind === 'Server');
  if (server) return { owner: server, seldon: true, why: `${path}. Seldon's operator rewrites the StatefulSet from the Server and its ServerConfig, so an edit to the pod or the StatefulSet is reverted` };
  const top = [...chain.owners].reverse().find((o) => TEMPLATE_PATH[String(o.kind)] && !(GENERATED.has(String(o.kind)) && chain.owners.indexOf(o) < chain.owners.length - 1));
  const above = chain.owners[chain.owners.length - 1];
  if (above && !TEMPLATE_PATH[String(above.kind)]) return { seldon: false, why: `${path}. ${describeObject(above)} is a kind podnet does not patch; change the setting in it` };
  if (!top) return { seldon: false, why: path };
  return { owner: top, seldon: false, why: `${path}. ${describeObject(top)} owns the pod template; a change to the pod itself would be lost when it is replaced` };
}

/** Quote for a POSIX shell: '…' with embedded ' as '\''. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const GROUP_SUFFIX: Record<string, string> = { Deployment: 'deployment', StatefulSet: 'statefulset', DaemonSet: 'daemonset', ReplicaSet: 'replicaset', Job: 'job', CronJob: 'cronjob', Pod: 'pod' };

/** `kubectl -n financial-ml patch server.mlops.seldon.io/mlserver --type=json -p '…'`. */
export function kubectlCommand(target: KubeObject, patchType: PatchType, patch: unknown): string {
  const ref = refOf(target);
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.lastIndexOf('/')) : '';
  const resource = GROUP_SUFFIX[ref.kind] ?? (group ? `${ref.kind.toLowerCase()}.${group}` : ref.kind.toLowerCase());
  const ns = ref.namespace ? `-n ${ref.namespace} ` : '';
  return `kubectl ${ns}patch ${resource}/${ref.name} --type=${patchType} --field-manager=podnet -p ${shellQuote(JSON.stringify(patch))}`;
}

/** A patch that sets container `name`'s entry in `src` to `next` (JSON patch: CRDs take no strategic merge). */
function containerPatch(src: Source, name: string, next: Obj, delta: Obj): { patchType: PatchType; patch: unknown } {
  const kind = String(src.obj.kind);
  if (kind === 'Server' || kind === 'ServerConfig') {
    const base = `/${src.podSpecPath.join('/')}`;
    const podSpec = at(src.obj, src.podSpecPath);
    if (src.index >= 0) return { patchType: 'json', patch: [{ op: 'test', path: `${base}/containers/${src.index}`, value: src.entry }, { op: 'replace', path: `${base}/containers/${src.index}`, value: next }] };
    if (isObj(podSpec) && Array.isArray(podSpec.containers)) return { patchType: 'json', patch: [{ op: 'add', path: `${base}/containers/-`, value: next }] };
    if (isObj(podSpec)) return { patchType: 'json', patch: [{ op: 'add', path: `${base}/containers`, value: [next] }] };
    return { patchType: 'json', patch: [{ op: 'add', path: base, value: { containers: [next] } }] };
  }
  // Built-in kinds: a strategic merge patch touches only this container (merge key: name).
  let patch: Obj = { containers: [{ name, ...delta }] };
  for (const k of [...src.podSpecPath].reverse()) patch = { [k]: patch };
  return { patchType: 'strategic', patch };
}

function finish(owner: KubeObject, why: string, patchType: PatchType, patch: unknown): Remediation {
  // batch/v1 Job: spec.template is immutable (pkg/apis/batch/validation ValidateJobSpecUpdate).
  if (owner.kind === 'Job') return { why, manual: `${describeObject(owner)} has an immutable pod template: delete it and create it again with the change (or fix the CronJob/manifest that creates it).` };
  const m = managedBy(owner);
  return { target: refOf(owner), why, patchType, patch, command: kubectlCommand(owner, patchType, patch), ...(m ? { managedBy: m } : {}) };
}

/** MLServer's default listen address when MLSERVER_HOST is unset (mlserver/settings.py: host: str = "0.0.0.0"). */
const REMOVE_TO_DEFAULT: Record<string, string> = { MLSERVER_HOST: '0.0.0.0' };

/** A bind setting the fix rewrites: a loopback host env, or a host env taken from the pod IP (fieldRef status.podIP). */
function bindEnv(c: ContainerEvidence): { name: string; value?: string; podIP: boolean; from?: string; ref?: string } | undefined {
  const loop = loopbackHostEnv(c)[0];
  if (loop) return { name: loop.name, value: loop.value, podIP: false, from: loop.from, ref: loop.ref };
  // A server bound to the pod IP only does not accept 127.0.0.1 (a socket bound to one address
  // accepts only that address: bind(2), ip(7)); 0.0.0.0 accepts both.
  const podIP = c.env.find((e) => /HOST|ADDR|BIND|LISTEN/i.test(e.name) && e.from === 'fieldRef' && e.ref === 'status.podIP');
  return podIP ? { name: podIP.name, podIP: true, from: podIP.from, ref: podIP.ref } : undefined;
}

/** The server container a bind fix is about: the check's server, else the one with a bind env. */
function bindContainer(ev: Evidence): ContainerEvidence | undefined {
  const all = ev.pod?.containers ?? [];
  const named = all.find((c) => c.name === ev.target.server);
  if (named && bindEnv(named)) return named;
  return all.find((c) => bindEnv(c));
}

/** Bind to all addresses: remove (when the default is 0.0.0.0) or rewrite the host env. */
export function planBind(ev: Evidence, chain: OwnerChain): Remediation {
  const c = bindContainer(ev);
  const own = settingOwner(chain);
  const env = c ? bindEnv(c) : undefined;
  if (!c || !env) return { why: own.why, manual: 'The bind address does not come from an env var podnet can see (it may be in args or a config file): change it where the server reads it, to 0.0.0.0.' };
  if (!env.podIP && env.from && env.from !== 'literal') return { why: own.why, manual: `${env.name} of container ${c.name} comes from a ${env.from} (${env.ref ?? '?'}): change it there to 0.0.0.0.` };
  const candidates: KubeObject[] = own.seldon ? [own.owner, chain.serverConfig].filter((o): o is KubeObject => !!o) : own.owner ? [own.owner] : [];
  for (const obj of candidates) {
    const src = sourceIn(obj, c.name);
    const entryEnv = (Array.isArray(src?.entry?.env) ? src.entry.env : []) as Obj[];
    if (!src || !entryEnv.some((e) => e.name === env.name)) continue;
    const fallback = env.podIP ? undefined : REMOVE_TO_DEFAULT[env.name];
    const value = env.podIP ? 'the pod IP (fieldRef status.podIP)' : str(entryEnv.find((e) => e.name === env.name)?.value) ?? '';
    const newValue = env.podIP ? '0.0.0.0' : value.replace(/^\[?(127\.\d+\.\d+\.\d+|::1|localhost)\]?/, '0.0.0.0');
    const nextEnv = fallback ? entryEnv.filter((e) => e.name !== env.name) : entryEnv.map((e) => (e.name === env.name ? { name: env.name, value: newValue } : e));
    const next: Obj = { ...(src.entry as Obj), env: nextEnv };
    if (nextEnv.length === 0) delete next.env;
    const delta = fallback ? { env: [{ name: env.name, $patch: 'delete' }] } : { env: [{ name: env.name, value: newValue, ...(env.podIP ? { valueFrom: null } : {}) }] };
    const { patchType, patch } = containerPatch(src, c.name, next, delta);
    const where = `${env.name}=${value} is set on container ${c.name} in ${describeObject(obj)}${obj.kind === 'ServerConfig' ? ` (namespace ${String(meta(obj).namespace)}; every Server naming it changes)` : ''}`;
    const what = fallback ? `remove it (MLServer then listens on its default, ${fallback})` : `set it to ${newValue}`;
    return finish(obj, `${own.why}. ${where}: ${what}.`, patchType, patch);
  }
  return { why: own.why, manual: `${env.name} on container ${c.name} is not in ${candidates.map(describeObject).join(' or ') || 'any owner podnet can read'}: find where it is injected (a mutating webhook, an operator) and change it there.` };
}

const QUANTITY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T|k)?$/;
const FACTOR: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** Doubles a memory quantity, keeping its unit (`1Gi` → `2Gi`, `512M` → `1024M`). */
export function doubleQuantity(q: string): string | undefined {
  const m = QUANTITY.exec(q);
  if (!m || FACTOR[m[2] ?? ''] === undefined) return undefined;
  const n = Number(m[1]) * 2;
  return `${Number.isInteger(n) ? n : n.toFixed(1)}${m[2] ?? ''}`;
}

/**
 * An OOM kill at the container's limit: double the limit (the kernel kills a container that
 * exceeds its memory limit, https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/#exceed-a-containers-memory-limit).
 * Doubling is a stop-gap the person confirms, not a sizing; the fix text says how to size it.
 */
export function planOom(ev: Evidence, chain: OwnerChain): Remediation {
  const own = settingOwner(chain);
  const c = (ev.pod?.containers ?? []).find((x) => x.name === ev.target.server && x.status?.lastState?.reason === 'OOMKilled')
    ?? (ev.pod?.containers ?? []).find((x) => x.status?.lastState?.reason === 'OOMKilled' || x.status?.state.reason === 'OOMKilled');
  const limit = c?.resources.limits?.memory;
  if (!c || !limit) return { why: own.why, manual: 'No memory limit to raise was found on the killed container: a node-level OOM (SystemOOM) is a capacity problem for the platform team.' };
  const doubled = doubleQuantity(limit);
  if (!doubled) return { why: own.why, manual: `The memory limit ${limit} of container ${c.name} is not a quantity podnet can compute with: raise it by hand.` };
  const candidates: KubeObject[] = own.seldon ? [own.owner, chain.serverConfig].filter((o): o is KubeObject => !!o) : own.owner ? [own.owner] : [];
  const obj = candidates.find((o) => str(at(sourceIn(o, c.name)?.entry, ['resources', 'limits', 'memory']))) ?? candidates[0];
  if (!obj) return { why: own.why, manual: `No controller owns the pod: recreate it with a memory limit above ${limit} for container ${c.name}.` };
  const src = sourceIn(obj, c.name) as Source;
  const resources = (isObj(src.entry?.resources) ? src.entry.resources : {}) as Obj;
  const next = { ...(src.entry ?? { name: c.name }), resources: { ...resources, limits: { ...(isObj(resources.limits) ? resources.limits : {}), memory: doubled } } };
  const { patchType, patch } = containerPatch(src, c.name, next, { resources: { limits: { memory: doubled } } });
  return finish(obj, `${own.why}. Container ${c.name} was OOMKilled at its limit of ${limit}: raise it to ${doubled} in ${describeObject(obj)} (a stop-gap; size it from the peak, see the fix).`, patchType, patch);
}

/**
 * A generous startupProbe failureThreshold: room for 10 minutes, or three times the last run
 * that was killed still starting (its real start is longer than that run), at `periodSeconds`.
 * kubelet allows a startup probe failureThreshold × periodSeconds before it kills
 * (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#protect-slow-starting-containers-with-startup-probes).
 * Shared by the fix text (rules/liveness-kills-slow-start.ts) and the patch, so they agree.
 */
export function startupFailureThreshold(ranSeconds: number | undefined, periodSeconds: number): number {
  return Math.ceil(Math.max(600, (ranSeconds ?? 0) * 3) / periodSeconds);
}

/** The probe handler fields (one of them is set on a probe): https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Probe */
const PROBE_HANDLERS = ['httpGet', 'tcpSocket', 'grpc', 'exec'] as const;

/** The container a liveness probe kills: the check's server when it has one, else the most restarted one that has one. */
function killedContainer(ev: Evidence): ContainerEvidence | undefined {
  const withLiveness = (ev.pod?.containers ?? []).filter((c) => c.probes.some((p) => p.kind === 'liveness' || p.kind === 'startup'));
  return withLiveness.find((c) => c.name === ev.target.server) ?? [...withLiveness].sort((a, b) => (b.status?.restartCount ?? 0) - (a.status?.restartCount ?? 0))[0];
}

/**
 * A liveness probe that kills a slow starter: add a startupProbe (the liveness probe's own
 * check) whose failureThreshold × periodSeconds covers the start, or raise the failureThreshold
 * of the startupProbe there is. kubelet runs no liveness or readiness check until the startup
 * probe has succeeded, and kills the container when the startup probe fails failureThreshold
 * times; a startup probe's successThreshold must be 1
 * (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#protect-slow-starting-containers-with-startup-probes,
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Probe).
 */
export function planSlowStart(ev: Evidence, chain: OwnerChain): Remediation {
  const own = settingOwner(chain);
  const c = killedContainer(ev);
  if (!c) return { why: own.why, manual: 'No container with a liveness or startup probe was found: add a startupProbe to the server container by hand.' };
  const candidates: KubeObject[] = own.seldon ? [own.owner, chain.serverConfig].filter((o): o is KubeObject => !!o) : own.owner ? [own.owner] : [];
  const src = candidates.map((o) => sourceIn(o, c.name)).find((x) => isObj(x?.entry?.livenessProbe) || isObj(x?.entry?.startupProbe));
  if (!src?.entry) return { why: own.why, manual: `The probes of container ${c.name} are not in ${candidates.map(describeObject).join(' or ') || 'any owner podnet can read'}: add a startupProbe where its pod template is written.` };
  const last = c.status?.lastState?.state === 'terminated' ? c.status.lastState : undefined;
  const ran = secondsBetween(last?.startedAt, last?.finishedAt);
  const startup = isObj(src.entry.startupProbe) ? src.entry.startupProbe : undefined;
  const liveness = (isObj(src.entry.livenessProbe) ? src.entry.livenessProbe : {}) as Obj;
  const num = (v: unknown, d: number) => (typeof v === 'number' && v > 0 ? v : d);
  let probe: Obj;
  let what: string;
  if (startup) {
    const period = num(startup.periodSeconds, 10);
    const threshold = startupFailureThreshold(ran, period);
    if (threshold <= num(startup.failureThreshold, 3)) return { why: own.why, manual: `Container ${c.name}'s startupProbe already allows ${num(startup.failureThreshold, 3) * period} s: measure the real start time in its log and size the probe from it.` };
    probe = { ...startup, failureThreshold: threshold };
    what = `raise its startupProbe failureThreshold to ${threshold} (${threshold * period} s at periodSeconds ${period})`;
  } else {
    const handler = PROBE_HANDLERS.find((k) => isObj(liveness[k]));
    if (!handler) return { why: own.why, manual: `Container ${c.name}'s livenessProbe has no handler podnet can copy: add a startupProbe by hand.` };
    const period = num(liveness.periodSeconds, 10);
    const threshold = startupFailureThreshold(ran, period);
    probe = { [handler]: liveness[handler], periodSeconds: period, ...(typeof liveness.timeoutSeconds === 'number' && { timeoutSeconds: liveness.timeoutSeconds }), successThreshold: 1, failureThreshold: threshold };
    what = `add a startupProbe (the livenessProbe's ${handler} check) allowing ${threshold * period} s (periodSeconds ${period} × failureThreshold ${threshold})`;
  }
  const next = { ...src.entry, startupProbe: probe };
  const { patchType, patch } = containerPatch(src, c.name, next, { startupProbe: probe });
  const seen = ran !== undefined ? `; its last run was killed after ${ran} s, still starting` : '';
  return finish(src.obj, `${own.why}. Container ${c.name} is killed by its liveness probe before it has started${seen}: ${what} in ${describeObject(src.obj)}.`, patchType, patch);
}

