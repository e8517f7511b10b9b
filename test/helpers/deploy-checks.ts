/**
 * Checks shared by the Kustomize and Helm manifest tests. Each returns one line per problem
 * (empty = fine), so a failing test names the object and what is wrong with it.
 */
import { REDIS_ENV } from '../../src/config.js';
import type { K8sObject } from './deploy-render.js';

/** The environment variables the app reads (src/config.ts, src/bin/*); anything else in a manifest is a typo. */
export const KNOWN_ENV = new Set<string>([
  'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL', 'PODNET_CLUSTER', 'PODNET_POLICY_FILE',
  'PODNET_RUNBOOKS_DIR', 'PODNET_AUDIT_LOG', 'LOG_LEVEL', 'PODNET_BOARD_USER', 'PODNET_BOARD_PASSWORD',
  'PODNET_DEFAULT_CLUSTER', 'PODNET_QUEUE_PREFIX', 'PORT', 'OPS_PORT', 'WORKER_CONCURRENCY', 'KUBECONFIG', 'KUBE_CONTEXT',
  'PODNET_KUBE_QPS', 'PODNET_KUBE_BURST',
  ...REDIS_ENV,
]);

export interface Probe {
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
}
export interface SecurityContext {
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[];
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext & { runAsGroup?: number; fsGroup?: number };
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: { name: string; hostPath?: unknown; configMap?: { name: string }; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
}
export interface Workload extends K8sObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}

export const workloads = (objects: readonly K8sObject[]): Workload[] =>
  objects.filter((o): o is Workload => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind));
export const podnetContainers = (objects: readonly K8sObject[]): { workload: string; container: Container }[] =>
  workloads(objects).flatMap((w) =>
    w.spec.template.spec.containers.filter((c) => c.image.startsWith('podnet')).map((container) => ({ workload: w.metadata.name, container })),
  );
export const find = (objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

/** kubernetes-models class for an apiVersion + kind, e.g. `kubernetes-models/apps/v1/Deployment`. */
export async function modelFor(apiVersion: string, kind: string): Promise<new (data: unknown) => { validate(): void }> {
  const path = `kubernetes-models/${apiVersion}/${kind}`;
  const mod = (await import(path)) as Record<string, new (data: unknown) => { validate(): void }>;
  const model = mod[kind];
  if (!model) throw new Error(`kubernetes-models has no ${kind} in ${path}`);
  return model;
}

/** Every object validated against the Kubernetes schema (kubernetes-models). */
export async function schemaProblems(objects: readonly K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    try {
      const Model = await modelFor(o.apiVersion, o.kind);
      new Model(o).validate();
    } catch (err) {
      problems.push(`${o.kind}/${o.metadata.name}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * The `restricted` Pod Security Standard for every pod and container
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted), plus a
 * writable /tmp for each read-only root filesystem.
 */
export function podSecurityProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const spec = w.spec.template.spec;
    const where = `${w.kind}/${w.metadata.name}`;
    if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push(`${where}: shares a host namespace`);
    for (const v of spec.volumes ?? []) if (v.hostPath) problems.push(`${where}: hostPath volume ${v.name}`);
    for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
      const sc = c.securityContext ?? {};
      const at = `${where} ${c.name}`;
      const user = sc.runAsUser ?? spec.securityContext?.runAsUser;
      if ((sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot) !== true) problems.push(`${at}: runAsNonRoot is not true`);
      if (user === undefined || user === 0) problems.push(`${at}: no non-root runAsUser`);
      if ((sc.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type) !== 'RuntimeDefault') problems.push(`${at}: seccompProfile is not RuntimeDefault`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem is not true`);
      if (sc.privileged) problems.push(`${at}: privileged`);
      if (JSON.stringify(sc.capabilities?.drop) !== '["ALL"]') problems.push(`${at}: capabilities.drop is not [ALL]`);
      if ((sc.capabilities?.add ?? []).length) problems.push(`${at}: adds capabilities ${sc.capabilities?.add?.join(',')}`);
      if (!(c.volumeMounts ?? []).some((m) => m.mountPath === '/tmp')) problems.push(`${at}: no writable /tmp`);
    }
  }
  return problems;
}

/** CPU and memory requests and limits on every container. */
export function resourceProblems(objects: readonly K8sObject[]): string[] {
  return workloads(objects).flatMap((w) =>
    w.spec.template.spec.containers.flatMap((c) => {
      const r = c.resources ?? {};
      const missing = [!r.requests?.cpu && 'requests.cpu', !r.requests?.memory && 'requests.memory', !r.limits?.cpu && 'limits.cpu', !r.limits?.memory && 'limits.memory'].filter(Boolean);
      return missing.length ? [`${w.metadata.name}/${c.name}: no ${missing.join(', ')}`] : [];
    }),
  );
}

type Selector = { matchLabels?: Record<string, string> };
const selects = (selector: Selector | undefined, labels: Record<string, string>): boolean =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

/** Every pod selected by a NetworkPolicy for both ingress and egress; every Deployment's pods by a PDB. */
export function isolationProblems(objects: readonly K8sObject[]): string[] {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as (K8sObject & { spec: { podSelector: Selector; policyTypes: string[] } })[];
  const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget') as (K8sObject & { spec: { selector: Selector } })[];
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const labels = w.spec.template.metadata.labels;
    const types = new Set(policies.filter((p) => selects(p.spec.podSelector, labels)).flatMap((p) => p.spec.policyTypes));
    if (!types.has('Ingress') || !types.has('Egress')) problems.push(`${w.metadata.name}: NetworkPolicy types ${[...types].sort().join(',') || 'none'}, not Egress and Ingress`);
    if (w.kind === 'Deployment' && !pdbs.some((p) => selects(p.spec.selector, labels))) problems.push(`${w.metadata.name}: no PodDisruptionBudget`);
  }
  return problems;
}

/**
 * No Secret objects, no literal secret-looking values, and every Secret a pod refers to is one
 * of `allowed` (the Secrets the operator creates).
 */
export function secretProblems(objects: readonly K8sObject[], allowed: ReadonlySet<string>): string[] {
  const problems = objects.filter((o) => o.kind === 'Secret').map((o) => `Secret/${o.metadata.name} in the manifests`);
  for (const w of workloads(objects)) {
    const spec = w.spec.template.spec;
    for (const c of spec.containers) {
      for (const e of c.env ?? []) {
        if (/TOKEN|SECRET|PASSWORD/.test(e.name) && e.value !== undefined) problems.push(`${c.name} ${e.name}: a literal value`);
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !allowed.has(ref.name)) problems.push(`${c.name} ${e.name}: refers to Secret ${ref.name}`);
      }
      for (const f of c.envFrom ?? []) if (f.secretRef && !allowed.has(f.secretRef.name)) problems.push(`${c.name}: envFrom Secret ${f.secretRef.name}`);
    }
    for (const v of spec.volumes ?? []) if (v.secret && !allowed.has(v.secret.secretName)) problems.push(`${w.metadata.name}: volume from Secret ${v.secret.secretName}`);
  }
  for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
    for (const k of Object.keys((cm as { data?: Record<string, string> }).data ?? {})) if (/TOKEN|SECRET|PASSWORD/.test(k)) problems.push(`ConfigMap/${cm.metadata.name}: key ${k}`);
  }
  return problems;
}

/** Every ConfigMap a pod uses is in the manifests; env names (and settings keys) are ones podnet reads. */
export function referenceProblems(objects: readonly K8sObject[]): string[] {
  const configMaps = new Set(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name));
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const spec = w.spec.template.spec;
    const refs = [
      ...(spec.volumes ?? []).flatMap((v) => (v.configMap ? [v.configMap.name] : [])),
      ...spec.containers.flatMap((c) => [
        ...(c.envFrom ?? []).flatMap((f) => (f.configMapRef ? [f.configMapRef.name] : [])),
        ...(c.env ?? []).flatMap((e) => (e.valueFrom?.configMapKeyRef ? [e.valueFrom.configMapKeyRef.name] : [])),
      ]),
    ];
    for (const ref of refs) if (!configMaps.has(ref)) problems.push(`${w.metadata.name} -> ConfigMap/${ref} missing`);
    for (const c of spec.containers.filter((x) => x.image.startsWith('podnet'))) {
      for (const e of c.env ?? []) if (!KNOWN_ENV.has(e.name)) problems.push(`${w.metadata.name}: unknown env ${e.name}`);
    }
  }
  for (const cm of objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('podnet-settings'))) {
    for (const k of Object.keys((cm as { data?: Record<string, string> }).data ?? {})) if (!KNOWN_ENV.has(k)) problems.push(`${cm.metadata.name}: unknown setting ${k}`);
  }
  return problems;
}
