/**
 * Scenario files: a cluster in a file (see spec/scenario-format.md). This module owns the
 * schema, the types and the loader. A bad file fails with ONE paragraph that names the file,
 * the path inside it (`objects[3].metadata.name`) and what is wrong, because the people
 * writing scenarios are reading a terminal, not a zod issue dump.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { PodnetError } from '../errors.js';
import { bindAddressProblem, bindConflicts, type BindRequest } from './netmodel.js';
import { timelineSchema } from './timeline.js';

/** Tools every container has unless the scenario says otherwise. */
export const DEFAULT_TOOLS: readonly string[] = ['sh', 'cat', 'readlink'];

const intIn = (min: number, max: number) => z.number().int().min(min).max(max);

const listenSchema = z.strictObject({
  proto: z.enum(['tcp', 'tcp6']),
  address: z.string().min(1),
  port: intIn(1, 65535),
  /** Owner uid shown in /proc/net/tcp (default 0). */
  uid: z.number().int().min(0).optional(),
  /** IPV6_V6ONLY on a tcp6 socket (default false: `::` also accepts IPv4). */
  v6only: z.boolean().optional(),
});

const execOverrideSchema = z.strictObject({
  argv: z.array(z.string()).min(1),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
  exitCode: z.number().int().min(0).max(255).optional(),
});

/**
 * Synthetic log (extension): `lines` lines of `template`, where `{n}` is the 1-based line
 * number; each line is prefixed with an RFC 3339 timestamp spaced `stepMs` apart and ending
 * at `now`. Lets a test serve a 50 MB log without a 50 MB file.
 */
const generateSchema = z.strictObject({
  lines: z.number().int().min(1),
  template: z.string(),
  stepMs: z.number().int().min(0).optional(),
});

const logsSchema = z.strictObject({
  current: z.string().optional(),
  previous: z.string().optional(),
  /** Extension: read the current log from this file (relative to the scenario file), streamed from disk. */
  currentFile: z.string().min(1).optional(),
  /** Extension: the previous run's log from a file, as `currentFile`. */
  previousFile: z.string().min(1).optional(),
  /** Extension: a generated current log (see generateSchema). */
  generate: generateSchema.optional(),
});

/**
 * Extension: how the container's listen address follows its spec when its pod is rolled by a
 * patched owner — the value of env `env`, else of flag `arg` (`--host X` / `--host=X`), else
 * `default`. Ports and other socket fields stay as listed in `listen`. Without it, listeners
 * stay fixed whatever the spec says.
 */
const listenFollowsSchema = z.strictObject({
  env: z.string().min(1).optional(),
  arg: z.string().min(1).optional(),
  default: z.string().min(1),
});

/**
 * Extension: a container that was still starting when the scenario was captured (no listeners
 * yet, killed by its probes). When a patched owner rolls the pod, the new container listens on
 * `listen` if its new probes let it live `seconds` (its start time) — see startBudgetSeconds in
 * workloads.ts — and stays with no listener otherwise, as kubelet would kill it again.
 */
const startsAfterSchema = z.strictObject({
  seconds: z.number().positive(),
  listen: z.array(listenSchema).min(1),
});

const containerSchema = z.strictObject({
  listen: z.array(listenSchema).default([]),
  listenFollows: listenFollowsSchema.optional(),
  startsAfter: startsAfterSchema.optional(),
  tools: z.array(z.string().min(1)).optional(),
  logs: logsSchema.optional(),
  exec: z.array(execOverrideSchema).default([]),
});

const podSchema = z.strictObject({
  netns: z.enum(['shared', 'per-container']).default('shared'),
  containers: z.record(z.string(), containerSchema).default({}),
});

const faultSchema = z
  .strictObject({
    /** A regular expression matched against the whole URL path (no query). */
    path: z.string().min(1),
    /** Only this HTTP method (any when absent). */
    method: z.string().optional(),
    status: intIn(100, 599).optional(),
    delayMs: z.number().int().min(0).optional(),
    /** How many matching requests get the fault; forever when absent. */
    times: z.number().int().min(1).optional(),
  })
  .refine((f) => f.status !== undefined || f.delayMs !== undefined, { message: 'needs a status or a delayMs (or both)' });

/** One RBAC PolicyRule, as in a Role: `*` matches anything; `namespaces` narrows it (absent = all). */
const rbacRuleSchema = z.strictObject({
  verbs: z.array(z.string().min(1)).min(1),
  apiGroups: z.array(z.string()).min(1),
  resources: z.array(z.string().min(1)).min(1),
  namespaces: z.array(z.string().min(1)).optional(),
  resourceNames: z.array(z.string().min(1)).optional(),
});

const metadataSchema = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** A Kubernetes object exactly as the API returns it; only the identifying fields are checked. */
const objectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: metadataSchema,
});

export const scenarioSchema = z.strictObject({
  apiVersion: z.literal('podnet.dev/v1alpha1'),
  kind: z.literal('Scenario'),
  metadata: z.strictObject({ name: z.string().min(1), description: z.string().optional() }),
  now: z.iso.datetime({ offset: true }),
  cluster: z.strictObject({
    version: z.string().min(1),
    /**
     * Extension: what the CNI does with a connection a NetworkPolicy denies — `reject` (refused,
     * K3s's kube-router) or `drop` (a timeout: Calico, Cilium). Absent: reject when `version`
     * names K3s, else drop (see policyDenialRejects in policy.ts).
     */
    policyDenial: z.enum(['reject', 'drop']).optional(),
  }),
  objects: z.array(objectSchema).default([]),
  pods: z.record(z.string(), podSchema).default({}),
  faults: z.array(faultSchema).default([]),
  /** Scripted changes over time (restarts, listeners, events, log lines); see timeline.ts. */
  timeline: timelineSchema.optional(),
  /**
   * Extension: what the caller may write. Absent = every write allowed. Present = a write
   * (create, update, patch, delete) is allowed only when a rule matches it, else 403 as
   * RBAC words it. Reads are not affected (use `faults` for those).
   */
  rbac: z.strictObject({ allow: z.array(rbacRuleSchema).default([]) }).optional(),
});

/** A parsed scenario (defaults applied). */
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioObject = Scenario['objects'][number];
export type ScenarioPod = Scenario['pods'][string];
export type ScenarioContainer = ScenarioPod['containers'][string];
export type ScenarioListen = ScenarioContainer['listen'][number];
export type ScenarioLogs = NonNullable<ScenarioContainer['logs']>;
export type ScenarioFault = Scenario['faults'][number];
export type ScenarioRbacRule = NonNullable<Scenario['rbac']>['allow'][number];
/** What a scenario file may contain before defaults are applied. */
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** Where a scenario came from, used to resolve `currentFile`/`previousFile`. */
export interface LoadedScenario extends Scenario {
  /** Directory of the scenario file (cwd for in-memory scenarios). */
  baseDir?: string;
}

/** Reads and validates a scenario file. Throws PodnetError('bad-input') with one paragraph. */
export function loadScenario(path: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String((err as Error).message);
    throw new PodnetError('bad-input', `Scenario file ${path}: cannot read it (${why}). Pass a scenario YAML file, e.g. scenarios/seed-incident.yaml.`);
  }
  const scenario: LoadedScenario = parseScenario(text, path);
  scenario.baseDir = dirname(resolve(path));
  return scenario;
}

/** Parses and validates scenario text (YAML or JSON). `fileName` only labels error messages. */
export function parseScenario(text: string, fileName: string): Scenario {
  let data: unknown;
  try {
    // merge keys (`<<: *anchor`) let a file share node/pod boilerplate.
    data = parseYaml(text, { prettyErrors: true, merge: true });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      const what = err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'invalid YAML';
      throw new PodnetError('bad-input', `Scenario file ${fileName}: not valid YAML${where}: ${what}.`);
    }
    throw err;
  }
  return validateScenario(data, fileName);
}

/**
 * Validates already-parsed scenario data (e.g. an object built in a test) and applies
 * defaults. Throws PodnetError('bad-input') with one paragraph naming `label` and the path.
 */
export function validateScenario(data: unknown, label: string): LoadedScenario {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new PodnetError('bad-input', `Scenario file ${label}: expected a mapping with apiVersion: podnet.dev/v1alpha1 and kind: Scenario at the top, got ${describeValue(data)}.`);
  }
  // A LoadedScenario passed back in carries its baseDir, which is not part of the file format.
  const { baseDir, ...fields } = data as Record<string, unknown>;
  const result = scenarioSchema.safeParse(fields);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (!issue) throw new PodnetError('bad-input', `Scenario file ${label}: invalid.`);
    const n = result.error.issues.length;
    const more = n > 1 ? ` (${n - 1} more problem${n > 2 ? 's' : ''} after this one)` : '';
    throw new PodnetError('bad-input', `Scenario file ${label}: ${formatIssue(issue, data)}${more}.`, {
      detail: { file: label, path: formatPath(issue.path) },
    });
  }
  checkReferences(result.data, label);
  return typeof baseDir === 'string' ? { ...result.data, baseDir } : result.data;
}

/** Resolves a scenario-relative file path (for `currentFile`/`previousFile`). */
export function resolveScenarioPath(scenario: LoadedScenario, file: string): string {
  return isAbsolute(file) ? file : resolve(scenario.baseDir ?? process.cwd(), file);
}

/** Cross-references zod cannot see: pods keys name Pods, containers exist, regexes compile. */
function checkReferences(s: Scenario, fileName: string): void {
  const fail = (path: string, what: string): never => {
    throw new PodnetError('bad-input', `Scenario file ${fileName}: ${path}: ${what}.`, { detail: { file: fileName, path } });
  };
  if (Number.isNaN(Date.parse(s.now))) fail('now', `"${s.now}" is not an RFC 3339 time`);
  const pods = new Map<string, ScenarioObject>();
  s.objects.forEach((o, i) => {
    if (o.kind === 'Pod') {
      if (!o.metadata.namespace) fail(`objects[${i}].metadata.namespace`, `Pod "${o.metadata.name}" needs a namespace`);
      pods.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
    }
  });
  for (const [key, pod] of Object.entries(s.pods)) {
    const at = `pods[${JSON.stringify(key)}]`;
    if (!/^[^/\s]+\/[^/\s]+$/.test(key)) fail(at, `the key must be NAMESPACE/POD, e.g. financial-ml/mlserver-0`);
    const obj = pods.get(key);
    if (!obj) {
      const known = [...pods.keys()];
      fail(at, `no Pod ${key} in objects (${known.length ? `Pods in the file: ${known.join(', ')}` : 'the file has no Pod objects'})`);
    }
    const names = containerNames(obj as ScenarioObject);
    for (const c of Object.keys(pod.containers)) {
      if (!names.includes(c)) fail(`${at}.containers.${c}`, `Pod ${key} has no container "${c}" in spec.containers, spec.initContainers or spec.ephemeralContainers (it has: ${names.join(', ') || 'none'})`);
    }
  }
  checkBinds(s, pods, fail);
  s.faults.forEach((f, i) => {
    try {
      new RegExp(f.path);
    } catch (err) {
      fail(`faults[${i}].path`, `not a valid regular expression (${(err as Error).message})`);
    }
  });
  (s.timeline ?? []).forEach((e, i) => {
    const obj = pods.get(e.pod);
    if (!obj) fail(`timeline[${i}].pod`, `no Pod ${e.pod} in objects`);
    const container = e.restart?.container ?? e.listen?.container ?? e.log?.container ?? e.event?.container;
    const names = containerNames(obj as ScenarioObject);
    if (container !== undefined && !names.includes(container)) {
      fail(`timeline[${i}]`, `Pod ${e.pod} has no container "${container}" (it has: ${names.join(', ')})`);
    }
  });
}

type Obj = Record<string, unknown>;
const strOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A pod's own addresses (status.podIPs, status.podIP) and, for hostNetwork, the node's. */
function localAddresses(s: Scenario, pod: Obj): string[] {
  const status = (pod.status ?? {}) as Obj;
  const ips = ((status.podIPs ?? []) as Obj[]).map((p) => strOf(p.ip)).filter((x): x is string => !!x);
  const one = strOf(status.podIP);
  if (one) ips.push(one);
  if (((pod.spec ?? {}) as Obj).hostNetwork === true) {
    const hostIP = strOf(status.hostIP);
    if (hostIP) ips.push(hostIP);
    const nodeName = strOf(((pod.spec ?? {}) as Obj).nodeName);
    const node = (s.objects as unknown as Obj[]).find((o) => o.kind === 'Node' && strOf((o.metadata as Obj).name) === nodeName);
    for (const a of ((((node?.status ?? {}) as Obj).addresses ?? []) as Obj[])) if (strOf(a.address)) ips.push(strOf(a.address)!);
  }
  return [...new Set(ips)];
}

/** Which network namespace a container's sockets are in: the pod's, its own, or the node's. */
function netnsOf(pod: Obj, key: string, netns: string, container: string): string {
  const spec = (pod.spec ?? {}) as Obj;
  if (spec.hostNetwork === true) return `node ${strOf(spec.nodeName) ?? strOf(((pod.status ?? {}) as Obj).hostIP) ?? ''}`;
  return netns === 'per-container' ? `container ${key}/${container}` : `pod ${key}`;
}

const endpoint = (l: BindRequest): string => `${l.proto} ${l.proto === 'tcp6' ? `[${l.address}]` : l.address}:${l.port}`;

/** What to write instead of a second socket the kernel refuses. */
function conflictAdvice(a: BindRequest, b: BindRequest): string {
  const dual = [a, b].find((l) => l.proto === 'tcp6' && /^(?:::|\[::\])$/.test(l.address) && l.v6only !== true);
  const other = dual === a ? b : a;
  if (dual && other.proto === 'tcp') {
    return `a [::] socket without IPV6_V6ONLY also takes IPv4 (ipv6(7); net.ipv6.bindv6only defaults to 0), so the kernel refuses the second bind with EADDRINUSE. Set v6only: true on the [::] socket (as Redis, PostgreSQL and Python asyncio servers do), or keep one of the two`;
  }
  return `both would hold port ${a.port} on overlapping addresses, so the kernel refuses the second bind with EADDRINUSE ("address already in use"). Keep only the socket that won the bind (a port conflict shows as the loser's bind error in its log), or move one to another port`;
}

/**
 * Refuses listeners a Linux kernel would not let a program bind: an address of the wrong family,
 * an address the namespace does not have (EADDRNOTAVAIL), and two sockets in one network
 * namespace that conflict (EADDRINUSE, see bindConflicts in netmodel.ts). Containers of a
 * `shared` pod share one namespace; hostNetwork pods on one node share the node's.
 */
function checkBinds(s: Scenario, pods: Map<string, ScenarioObject>, fail: (path: string, what: string) => never): void {
  const seen = new Map<string, { path: string; listen: BindRequest }[]>();
  for (const [key, model] of Object.entries(s.pods)) {
    const pod = pods.get(key) as unknown as Obj;
    const local = localAddresses(s, pod);
    for (const [container, c] of Object.entries(model.containers)) {
      const ns = netnsOf(pod, key, model.netns, container);
      const bound = seen.get(ns) ?? [];
      seen.set(ns, bound);
      c.listen.forEach((l, i) => {
        const path = `pods[${JSON.stringify(key)}].containers.${container}.listen[${i}]`;
        const problem = bindAddressProblem(l, local);
        if (problem && (local.length > 0 || !/EADDRNOTAVAIL/.test(problem))) fail(path, `${endpoint(l)} cannot be bound: ${problem}`);
        const clash = bound.find((b) => bindConflicts(b.listen, l));
        if (clash) fail(path, `${endpoint(l)} cannot be bound next to ${endpoint(clash.listen)} (${clash.path}) in the same network namespace: ${conflictAdvice(clash.listen, l)}`);
        bound.push({ path, listen: l });
      });
    }
  }
}

/** Names of all containers (regular, init, ephemeral) in a Pod object. */
export function containerNames(pod: ScenarioObject): string[] {
  const spec = (pod as { spec?: Record<string, unknown> }).spec ?? {};
  const names: string[] = [];
  for (const field of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = spec[field];
    if (Array.isArray(list)) for (const c of list) if (c && typeof (c as { name?: unknown }).name === 'string') names.push((c as { name: string }).name);
  }
  return names;
}

/** `objects[3].metadata.name`, `pods["ns/pod"].containers.agent.listen[0].port`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_][\w-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || '(top level)';
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v === 'number' ? 'the number' : 'the value'} ${String(v)}`;
}

const ARTICLE: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false', object: 'a mapping', array: 'a list', record: 'a mapping',
};

function formatIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const path = formatPath(issue.path);
  const value = valueAt(data, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = ARTICLE[issue.expected] ?? issue.expected;
      if (value === undefined) return `${path}: is required (expected ${expected})`;
      return `${path}: expected ${expected}, got ${describeValue(value)}`;
    }
    case 'invalid_value': {
      const opts = issue.values.map((v) => JSON.stringify(v)).join(', ');
      return `${path}: expected ${issue.values.length === 1 ? opts : `one of ${opts}`}, got ${describeValue(value)}`;
    }
    case 'unrecognized_keys': {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${keys} (check the spelling against spec/scenario-format.md)`;
    }
    case 'too_small':
      if (issue.origin === 'string') return `${path}: must not be empty`;
      if (issue.origin === 'array') return `${path}: needs at least ${String(issue.minimum)} item(s)`;
      return `${path}: must be at least ${String(issue.minimum)}, got ${describeValue(value)}`;
    case 'too_big':
      return `${path}: must be at most ${String(issue.maximum)}, got ${describeValue(value)}`;
    case 'invalid_format':
      return `${path}: expected an RFC 3339 time like "2025-07-06T15:20:00Z", got ${describeValue(value)}`;
    default:
      return `${path}: ${issue.message}`;
  }
}
