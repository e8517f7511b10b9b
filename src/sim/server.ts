/**
 * The scenario-driven Kubernetes API simulator: serves a scenario file over the real REST
 * API (discovery, GET/list with selectors, pods/log, pods/exec over WebSocket,
 * pods/ephemeralcontainers) on 127.0.0.1, so that @kubernetes/client-node and kubectl talk
 * to it as to a cluster. Faults from the scenario make it fail on purpose.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { chmodSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import { PodnetError } from '../errors.js';
import {
  containerNames,
  DEFAULT_TOOLS,
  loadScenario,
  resolveScenarioPath,
  validateScenario,
  type LoadedScenario,
  type Scenario,
  type ScenarioInput,
  type ScenarioLogs,
} from './scenario.js';
import {
  ALWAYS_SERVED,
  failure,
  faultStatus,
  forbidden,
  KNOWN_TYPES,
  notFound,
  splitApiVersion,
  typeFor,
  type RequestAttributes,
  type ResourceType,
  type StatusBody,
} from './resources.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { toTable, wantsTable, type IncludeObject } from './table.js';
import { streamLog, type LogQuery, type LogSource } from './logs.js';
import { handleExecUpgrade, type ExecRunner } from './exec-ws.js';
import { overrideReply, type ExecContext } from './shell/index.js';
import { startLab, type Lab, type LabOptions } from '../lab/lab.js';
import { applyTimeline, scheduleOf } from './timeline.js';
import { clusterNetwork } from './cluster-net.js';
import type { SimListener } from './netmodel.js';
import { policyDenialRejects } from './policy.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PATCH_CONTENT_TYPES, PatchError, type PatchKind } from './patch.js';
import { applyTemplateChange, CUSTOM_KINDS, deploymentRollout, listenAddress, ownerChain, startBudgetSeconds, PATCHABLE_KINDS, podsAffectedBy, rolledPod, templateContainers, validateUpdate } from './workloads.js';

/** Options for {@link startSimulator}. */
export interface SimulatorOptions {
  /** A scenario file path, or a scenario object (validated the same way). */
  scenario: string | Scenario | ScenarioInput;
  /** TCP port on 127.0.0.1; 0 or absent = any free port. */
  port?: number;
  /** Also write the kubeconfig here. */
  kubeconfigPath?: string;
  /**
   * Scenario timelines only: how fast the scenario's clock runs against the real one
   * (default 1; 10 plays a `30s` entry after 3 real seconds).
   */
  timeScale?: number;
  /** Scenario timelines only: the elapsed scenario time, for tests that drive the clock. */
  elapsedMs?: () => number;
  /**
   * How a fault's `delayMs` is waited before the request is answered. Default a setTimeout;
   * tests pass one that records (or holds) each delay.
   */
  faultDelay?: (ms: number) => Promise<void>;
  /**
   * Lab mode: the scenario's pods become real network namespaces with real listeners, and
   * pods/exec runs the real command there (src/lab). Needs root; see labPrerequisites.
   */
  lab?: LabOptions;
}

/** The timeline's schedule and clock, or undefined for a scenario without a timeline. */
function timelineClock(scenario: LoadedScenario, options: SimulatorOptions): { schedule: { atMs: number }[]; elapsedMs: () => number } | undefined {
  if (!scenario.timeline?.length) return undefined;
  const started = Date.now();
  const scale = options.timeScale ?? 1;
  return {
    schedule: scheduleOf(scenario.timeline),
    elapsedMs: options.elapsedMs ?? (() => (Date.now() - started) * scale),
  };
}

/** A running simulator. */
export interface RunningSimulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** A kubeconfig (YAML) whose current context points at this simulator. */
  kubeconfigYaml(): string;
  /** Requests served so far (every HTTP request, upgrades included). */
  requestCount(): number;
  /** Method, path (no query) and arrival time (epoch ms) of every request so far, in order. */
  requests(): { method: string; path: string; at: number }[];
  /** The lab behind pods/exec in lab mode. */
  lab?: Lab;
  close(): Promise<void>;
}

/** Tools an ephemeral (debug) container has: a full debug image. */
export const EPHEMERAL_TOOLS: readonly string[] = [
  'sh', 'bash', 'cat', 'readlink', 'ls', 'ps', 'nc', 'ss', 'netstat', 'ip', 'curl', 'wget', 'nslookup', 'dig', 'grep', 'awk', 'sed', 'timeout', 'nsenter', 'tcpdump',
];

type Obj = Record<string, unknown>;

/** Identity of the caller in the kubeconfig the simulator hands out (tokens are not checked). */
const SIM_TOKEN = 'podnet-sim-token';

const clone = <T>(v: T): T => structuredClone(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const meta = (o: Obj): Obj => (o.metadata ?? {}) as Obj;
const nameOf = (o: Obj): string => str(meta(o).name) ?? '';
const nsOf = (o: Obj): string | undefined => str(meta(o).namespace);

/** Deterministic pseudo-uid so that objects without one still look real (and stay stable across runs). */
function uidFor(key: string): string {
  const h = createHash('sha1').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** An open watch request. */
interface Watcher {
  type: ResourceType;
  namespace: string | undefined;
  matches(o: Obj): boolean;
  send(kind: 'ADDED' | 'MODIFIED' | 'DELETED', o: Obj): void;
}

interface Fault {
  re: RegExp;
  method?: string;
  status?: number;
  delayMs?: number;
  remaining: number;
}

/** The simulator's mutable view of the scenario. */
class ClusterState {
  /** Replaced (never mutated) when a roll changes a pod's listeners or logs. */
  scenario: LoadedScenario;
  readonly now: number;
  readonly objects: Obj[];
  readonly types = new Map<string, ResourceType>();
  private readonly byType = new Map<string, Obj[]>();
  private rv = 1000;
  readonly faults: Fault[];
  /** Stable netns inode per pod (and per container in `per-container` pods). */
  private readonly podIndex = new Map<string, number>();

  constructor(scenario: LoadedScenario) {
    this.scenario = scenario;
    this.now = Date.parse(scenario.now);
    this.objects = scenario.objects.map((o) => clone(o) as Obj);
    this.faults = scenario.faults.map((f) => ({ re: new RegExp(`^(?:${f.path})$`), method: f.method?.toUpperCase(), status: f.status, delayMs: f.delayMs, remaining: f.times ?? Infinity }));
    this.addImplicitNamespaces();
    for (const o of this.objects) this.fillMetadata(o);
    for (const t of KNOWN_TYPES) if (ALWAYS_SERVED.has(t.kind)) this.addType(t);
    for (const o of this.objects) this.addType(typeFor(String(o.kind), String(o.apiVersion)));
    this.indexObjects();
    let i = 0;
    for (const o of this.objects) if (o.kind === 'Pod') this.podIndex.set(`${nsOf(o)}/${nameOf(o)}`, i++);
  }

  private addType(t: ResourceType): void {
    const key = `${t.group}/${t.version}/${t.plural}`;
    if (this.types.has(key)) return;
    // A kind the file only ever gives without a namespace is cluster-scoped.
    const known = KNOWN_TYPES.some((k) => k.kind === t.kind && k.group === t.group);
    const ofKind = this.objects.filter((o) => o.kind === t.kind);
    const namespaced = known ? t.namespaced : ofKind.length === 0 || ofKind.some((o) => nsOf(o) !== undefined);
    this.types.set(key, { ...t, namespaced });
  }

  /** Every namespace an object lives in exists as a Namespace, as on a real cluster. */
  private addImplicitNamespaces(): void {
    const have = new Set(this.objects.filter((o) => o.kind === 'Namespace').map(nameOf));
    const used = new Set(this.objects.map(nsOf).filter((n): n is string => !!n));
    for (const ns of ['default', 'kube-system', ...used]) {
      if (have.has(ns)) continue;
      have.add(ns);
      const created = new Date(this.now - 30 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
      this.objects.push({
        apiVersion: 'v1', kind: 'Namespace',
        metadata: { name: ns, creationTimestamp: created, labels: { 'kubernetes.io/metadata.name': ns } },
        spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' },
      });
    }
  }

  private fillMetadata(o: Obj): void {
    const m = meta(o);
    m.uid ??= uidFor(`${String(o.kind)}/${nsOf(o) ?? ''}/${nameOf(o)}`);
    m.resourceVersion ??= String(this.nextRv());
    m.creationTimestamp ??= new Date(this.now - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  }

  nextRv(): number {
    return ++this.rv;
  }

  resourceVersion(): string {
    return String(this.rv);
  }

  typeOf(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.get(`${group}/${version}/${plural}`);
  }

  /** Objects of a type in the apiserver's order (namespace/name, bytewise, as etcd keys sort). */
  itemsOf(t: ResourceType, namespace?: string): Obj[] {
    const all = this.byType.get(`${t.kind}|${t.group}`) ?? [];
    return namespace === undefined ? all : all.filter((o) => nsOf(o) === namespace);
  }

  find(t: ResourceType, namespace: string | undefined, name: string): Obj | undefined {
    const ns = t.namespaced ? namespace : undefined;
    return (this.byType.get(`${t.kind}|${t.group}`) ?? []).find((o) => nameOf(o) === name && (ns === undefined || nsOf(o) === ns));
  }

  /** Indexed once: a 500-pod sweep must not pay a filter and a sort per request. */
  private indexObjects(): void {
    const key = (o: Obj): string => `${nsOf(o) ?? ''}/${nameOf(o)}`;
    for (const o of this.objects) {
      const k = `${String(o.kind)}|${splitApiVersion(String(o.apiVersion)).group}`;
      (this.byType.get(k) ?? this.byType.set(k, []).get(k))?.push(o);
    }
    for (const list of this.byType.values()) list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  pod(namespace: string, name: string): Obj | undefined {
    return (this.byType.get('Pod|') ?? []).find((o) => nsOf(o) === namespace && nameOf(o) === name);
  }

  /** Puts `next` where `prev` was (same kind, namespace and name), in the list and the index. */
  replace(prev: Obj, next: Obj): void {
    const i = this.objects.indexOf(prev);
    if (i >= 0) this.objects[i] = next;
    const list = this.byType.get(`${String(prev.kind)}|${splitApiVersion(String(prev.apiVersion)).group}`);
    const j = list?.indexOf(prev) ?? -1;
    if (list && j >= 0) list[j] = next;
  }

  /** Adds an object a controller created (a ReplicaSet, a replacement pod), keeping the index's order. */
  add(o: Obj): void {
    this.objects.push(o);
    const k = `${String(o.kind)}|${splitApiVersion(String(o.apiVersion)).group}`;
    const list = this.byType.get(k) ?? this.byType.set(k, []).get(k)!;
    const key = (x: Obj): string => `${nsOf(x) ?? ''}/${nameOf(x)}`;
    const at = list.findIndex((x) => key(x) > key(o));
    list.splice(at < 0 ? list.length : at, 0, o);
    if (o.kind === 'Pod') this.podIndex.set(key(o), this.podIndex.size);
  }

  /** Removes an object a controller deleted (the pod a rollout replaced). */
  remove(o: Obj): void {
    const i = this.objects.indexOf(o);
    if (i >= 0) this.objects.splice(i, 1);
    const list = this.byType.get(`${String(o.kind)}|${splitApiVersion(String(o.apiVersion)).group}`);
    const j = list?.indexOf(o) ?? -1;
    if (list && j >= 0) list.splice(j, 1);
  }

  /** Replaces one pod's simulation model (listeners, logs) without touching the loaded scenario. */
  setPodModel(key: string, model: Scenario['pods'][string]): void {
    this.scenario = { ...this.scenario, pods: { ...this.scenario.pods, [key]: model } };
  }

  /** Carries the fault counters over when a timeline entry rebuilds the cluster state. */
  inheritFaults(previous: ClusterState): void {
    previous.faults.forEach((f, i) => {
      if (this.faults[i]) this.faults[i].remaining = f.remaining;
    });
  }

  /** The first fault that matches and still has uses left (consumes one use). */
  takeFault(method: string, path: string): Fault | undefined {
    const f = this.faults.find((x) => x.remaining > 0 && (!x.method || x.method === method) && x.re.test(path));
    if (f) f.remaining--;
    return f;
  }

  /** Network-namespace inode for a container: one per pod, or one per container in `per-container` pods. */
  netnsInode(podKey: string, container: string | undefined): number {
    const base = 4026532200 + (this.podIndex.get(podKey) ?? 0) * 64;
    const sim = this.scenario.pods[podKey];
    if (!sim || sim.netns === 'shared' || container === undefined) return base;
    const names = Object.keys(sim.containers);
    const i = names.indexOf(container);
    // Containers the model does not list (a debug container without a target) get a namespace of their own.
    return base + 1 + (i < 0 ? 62 : i);
  }

  /** Every listener in the given netns of a pod. */
  listeners(podKey: string, inode: number): SimListener[] {
    const sim = this.scenario.pods[podKey];
    if (!sim) return [];
    const out: SimListener[] = [];
    const podNo = this.podIndex.get(podKey) ?? 0;
    Object.entries(sim.containers).forEach(([cname, c], ci) => {
      if (this.netnsInode(podKey, cname) !== inode) return;
      c.listen.forEach((l, li) => {
        const listener: SimListener = { proto: l.proto, address: l.address, port: l.port, container: cname, inode: 51200000 + podNo * 1000 + ci * 32 + li };
        if (l.uid !== undefined) listener.uid = l.uid;
        if (l.v6only !== undefined) listener.v6only = l.v6only;
        out.push(listener);
      });
    });
    return out;
  }
}

/** Request attributes for RBAC-style messages (verb, resource, namespace, name). */
function attributesFor(method: string, path: string, query: URLSearchParams): RequestAttributes | undefined {
  const parts = path.split('/').filter(Boolean);
  let group = '';
  let rest: string[];
  if (parts[0] === 'api' && parts[1]) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts[2]) {
    group = parts[1] as string;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest;
  if (!resource) return undefined;
  const fullResource = sub ? `${resource}/${sub}` : resource;
  let verb = 'get';
  if (method === 'GET') verb = name ? (sub === 'exec' || sub === 'attach' || sub === 'portforward' ? 'create' : 'get') : query.get('watch') === 'true' ? 'watch' : 'list';
  else if (method === 'POST') verb = 'create';
  else if (method === 'PATCH') verb = 'patch';
  else if (method === 'PUT') verb = 'update';
  else if (method === 'DELETE') verb = name ? 'delete' : 'deletecollection';
  return { verb, resource: fullResource, group, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
}

function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), 'Cache-Control': 'no-cache, private', ...headers });
  res.end(text);
}

function sendStatus(res: ServerResponse, status: StatusBody): void {
  const headers: Record<string, string> = {};
  if (status.details?.retryAfterSeconds !== undefined) headers['Retry-After'] = String(status.details.retryAfterSeconds);
  sendJson(res, status.code, status, headers);
}

/** Writes an HTTP error straight onto an upgrade socket (no ServerResponse exists there). */
function rejectUpgrade(socket: Duplex, status: StatusBody): void {
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const RESOURCE_NOT_FOUND = (): StatusBody => failure(404, 'the server could not find the requested resource', {});

async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new PodnetError('bad-input', 'request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An integer query parameter, or a 400 Status worded like the apiserver's validation. */
function intParam(q: URLSearchParams, name: string, min: number): number | undefined | StatusBody {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) return failure(400, `${name}: Invalid value: "${raw}": must be an integer`);
  if (n < min) return failure(422, `PodLogOptions "" is invalid: ${name}: Invalid value: ${n}: must be greater than ${min === 0 ? 'or equal to 0' : 'than 0'}`, {}, 'Invalid');
  return n;
}
const isStatus = (v: unknown): v is StatusBody => typeof v === 'object' && v !== null && (v as StatusBody).kind === 'Status';

/** What the request handlers share: the cluster as the timeline stands, the writes made through the API, open watches, the lab. */
interface Sim {
  /** The scenario as loaded; a timeline step rebuilds the cluster from it. */
  readonly base: LoadedScenario;
  readonly clock: ReturnType<typeof timelineClock>;
  /** How a fault's `delayMs` is waited (SimulatorOptions.faultDelay). */
  readonly faultDelay: (ms: number) => Promise<void>;
  /** The cluster now: replaced (see currentState) when another timeline entry falls due. */
  state: ClusterState;
  /** How many timeline entries `state` has applied. */
  applied: number;
  /** Every stored write, replayed when a timeline step rebuilds the cluster. */
  readonly writes: Write[];
  readonly watchers: Set<Watcher>;
  /** Method, path and arrival time (epoch ms) of every request so far. */
  readonly log: { method: string; path: string; at: number }[];
  readonly lab: Lab | undefined;
  /** A timeline change the kernel refused (a listener it cannot open); every later exec reports it. */
  labError: Error | undefined;
  /** The port the server listens on (0 until it listens). */
  port: number;
}

/** Starts the simulator on 127.0.0.1. */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const base: LoadedScenario = typeof options.scenario === 'string' ? loadScenario(options.scenario) : validateScenario(options.scenario, '(in-memory scenario)');
  const clock = timelineClock(base, options);
  const faultDelay = options.faultDelay ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const state = new ClusterState(base);
  const lab = options.lab ? await startLab(base, { ...options.lab, label: options.lab.label ?? (typeof options.scenario === 'string' ? options.scenario : undefined) }) : undefined;
  const sim: Sim = { base, clock, faultDelay, state, applied: 0, writes: [], watchers: new Set(), log: [], lab, labError: undefined, port: 0 };
  const server = createSimServer(sim);
  sim.port = await listen(server, options.port ?? 0, lab);
  const url = `http://127.0.0.1:${sim.port}`;
  const kubeconfigYaml = (): string => kubeconfigFor(url, base);
  if (options.kubeconfigPath) {
    writeFileSync(options.kubeconfigPath, kubeconfigYaml(), { mode: 0o600 });
    // `mode` only applies to a new file; an existing one keeps its (maybe wider) mode otherwise.
    chmodSync(options.kubeconfigPath, 0o600);
  }

  return {
    url,
    port: sim.port,
    kubeconfigYaml,
    requestCount: () => sim.log.length,
    requests: () => sim.log.map((r) => ({ ...r })),
    ...(lab ? { lab } : {}),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await lab?.close();
    },
  };
}

/** The HTTP server: requests through handleRequest, pods/exec upgrades to the exec WebSocket. */
function createSimServer(sim: Sim): Server {
  const server: Server = createServer((req, res) => {
    handleRequest(sim, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendStatus(res, failure(500, `Internal error occurred: ${(err as Error).message}`));
      else res.destroy();
    });
  });
  const labRunner = sim.lab ? labExecRunner(sim, sim.lab) : undefined;
  const execResolver = (namespace: string, podName: string, container: string): ReturnType<typeof resolveExec> => resolveExec(sim, namespace, podName, container);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    sim.log.push({ method, path, at: Date.now() });
    currentState(sim);
    void (async () => {
      const fault = sim.state.takeFault(method, path);
      if (fault?.delayMs) await sim.faultDelay(fault.delayMs);
      if (fault?.status) return rejectUpgrade(socket, faultStatus(fault.status, attributesFor(method, path, url.searchParams)));
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(path);
      if (!m) return rejectUpgrade(socket, failure(400, `upgrade is not supported for ${path}`));
      handleExecUpgrade(req, socket, head, execResolver, labRunner);
    })().catch(() => socket.destroy());
  });
  // kubectl keeps connections alive; do not let an idle one hold close() up for long.
  server.keepAliveTimeout = 5000;
  return server;
}

/** Listens on 127.0.0.1:`port` (0 = any free port) and gives the port; a clear error (and the lab closed) when it cannot. */
async function listen(server: Server, port: number, lab: Lab | undefined): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      lab?.closeSync();
      reject(new PodnetError('bad-input', err.code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is already in use; pick another with --port` : `cannot listen on 127.0.0.1:${port}: ${err.message}`));
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** The cluster as the timeline stands now: rebuilt only when another entry falls due. */
function currentState(sim: Sim): ClusterState {
  const { base, clock } = sim;
  if (!clock) return sim.state;
  const elapsed = clock.elapsedMs();
  const due = clock.schedule.filter((e) => e.atMs <= elapsed).length;
  if (due !== sim.applied) {
    const next = new ClusterState({ ...applyTimeline(base, base.timeline ?? [], elapsed), baseDir: base.baseDir });
    next.inheritFaults(sim.state);
    // Writes made through the API outlive a timeline step, as they would on a cluster.
    for (const w of sim.writes) applyWrite(next, w);
    sim.state = next;
    sim.applied = due;
    sim.lab?.sync(sim.state.scenario).catch((err: unknown) => (sim.labError = err as Error));
  }
  return sim.state;
}

/** One HTTP request: logged, the timeline brought up to date, a scenario fault or the route. */
async function handleRequest(sim: Sim, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  sim.log.push({ method, path, at: Date.now() });
  currentState(sim);
  const fault = sim.state.takeFault(method, path);
  if (fault?.delayMs) await sim.faultDelay(fault.delayMs);
  if (fault?.status) return sendStatus(res, faultStatus(fault.status, attributesFor(method, path, url.searchParams)));
  return route(sim, req, res, method, path, url.searchParams);
}

/** The routing table: health and discovery, then `/api/v1/...` and `/apis/GROUP/VERSION/...`. */
async function route(sim: Sim, req: IncomingMessage, res: ServerResponse, method: string, path: string, q: URLSearchParams): Promise<void> {
  const { state } = sim;
  if (path === '/version') return sendJson(res, 200, versionInfo(state.scenario.cluster.version));
  if (path === '/healthz' || path === '/livez' || path === '/readyz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return void res.end('ok');
  }
  if (path === '/api') return sendJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${sim.port}` }] });
  if (path === '/apis') return sendJson(res, 200, groupList(state));
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    group = '';
    version = 'v1';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts[1]) {
    group = parts[1];
    const g = groupList(state).groups.find((x) => x.name === group);
    if (!g) return sendStatus(res, RESOURCE_NOT_FOUND());
    if (!parts[2]) return sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g });
    version = parts[2];
    if (!g.versions.some((v) => v.version === version)) return sendStatus(res, RESOURCE_NOT_FOUND());
    rest = parts.slice(3);
  } else return sendStatus(res, RESOURCE_NOT_FOUND());

  if (rest.length === 0) return sendJson(res, 200, resourceList(state, group, version));
  return routeResource(sim, req, res, method, { group, version, rest }, q);
}

/** `[namespaces/NS/]PLURAL[/NAME[/SUB]]` under one group version: list/watch, get, patch, pod subresources. */
function routeResource(
  sim: Sim,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  at: { group: string; version: string; rest: string[] },
  q: URLSearchParams,
): Promise<void> | void {
  const { state } = sim;
  const { group, version } = at;
  let { rest } = at;
  // `namespaces/NS/<resource>...` is namespaced; `namespaces[/NS]` alone is the Namespace kind itself.
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, sub] = rest as [string, string | undefined, string | undefined];
  if (rest.length > 3) return sendStatus(res, RESOURCE_NOT_FOUND());
  const type = state.typeOf(group, version, plural);
  if (!type) return sendStatus(res, RESOURCE_NOT_FOUND());
  // A namespaced kind asked for by name without a namespace (or the reverse) is not a route.
  if (name !== undefined && type.namespaced !== (namespace !== undefined)) return sendStatus(res, RESOURCE_NOT_FOUND());

  if (name === undefined) {
    if (method !== 'GET') return sendStatus(res, methodNotAllowed(method));
    return listObjects(sim, res, req, type, namespace, q);
  }
  const obj = state.find(type, namespace, name);
  if (sub === undefined && method === 'PATCH') {
    if (!obj) return sendStatus(res, notFound(type, name));
    return patchObject(sim, req, res, type, obj, q);
  }
  if (sub === undefined || sub === 'status') {
    if (method !== 'GET') return sendStatus(res, methodNotAllowed(method));
    if (!obj) return sendStatus(res, notFound(type, name));
    if (wantsTable(req.headers.accept)) return sendJson(res, 200, toTable(type.kind, [obj], { now: state.now, resourceVersion: state.resourceVersion(), includeObject: includeObject(q) }));
    return sendJson(res, 200, obj);
  }
  if (type.kind !== 'Pod' || type.group !== '') return sendStatus(res, RESOURCE_NOT_FOUND());
  if (!obj) return sendStatus(res, notFound(type, name));
  switch (sub) {
    case 'log':
      if (method !== 'GET') return sendStatus(res, methodNotAllowed(method));
      return podLog(sim, res, obj, q);
    case 'exec':
      return sendStatus(res, failure(400, 'Upgrade request required'));
    case 'ephemeralcontainers':
      if (method === 'GET') return sendJson(res, 200, obj);
      if (method === 'PATCH' || method === 'PUT') return patchEphemeral(sim, req, res, method, obj);
      return sendStatus(res, methodNotAllowed(method));
    default:
      return sendStatus(res, RESOURCE_NOT_FOUND());
  }
}

/** A list (paged with `limit`/`continue`, as a Table when asked), or a watch with `watch=true`. */
function listObjects(sim: Sim, res: ServerResponse, req: IncomingMessage, type: ResourceType, namespace: string | undefined, q: URLSearchParams): void {
  let items: Obj[];
  let matches: (o: Obj) => boolean;
  try {
    const byLabel = parseLabelSelector(q.get('labelSelector') ?? undefined);
    const byField = parseFieldSelector(q.get('fieldSelector') ?? undefined, type.kind);
    matches = (o) => byLabel(o) && byField(o);
    items = sim.state.itemsOf(type, namespace).filter(matches);
  } catch (err) {
    if (err instanceof SelectorError) return sendStatus(res, failure(400, err.message));
    throw err;
  }
  if (q.get('watch') === 'true' || q.get('watch') === '1') return watchObjects(sim, res, req, type, namespace, q, items, matches);
  const rv = sim.state.resourceVersion();
  const listMeta: Obj = { resourceVersion: rv };
  const limit = Number(q.get('limit') ?? '0');
  const offset = q.get('continue') ? Number.parseInt(Buffer.from(q.get('continue') as string, 'base64url').toString('utf8'), 10) : 0;
  if (Number.isNaN(offset) || offset < 0) return sendStatus(res, failure(400, 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)'));
  if (Number.isInteger(limit) && limit > 0) {
    const page = items.slice(offset, offset + limit);
    if (offset + limit < items.length) {
      listMeta.continue = Buffer.from(String(offset + limit)).toString('base64url');
      listMeta.remainingItemCount = items.length - offset - limit;
    }
    items = page;
  } else if (offset > 0) items = items.slice(offset);
  if (wantsTable(req.headers.accept)) {
    const table = toTable(type.kind, items, { now: sim.state.now, resourceVersion: rv, includeObject: includeObject(q) });
    (table.metadata as Obj).continue = listMeta.continue;
    return sendJson(res, 200, table);
  }
  return sendJson(res, 200, { kind: `${type.kind}List`, apiVersion: type.group ? `${type.group}/${type.version}` : type.version, metadata: listMeta, items });
}

/**
 * A watch: the current objects as ADDED (unless the client resumes from a resourceVersion,
 * as informers and `kubectl get -w` do after their list), then changes as they happen,
 * until `timeoutSeconds` or the client leaves.
 */
function watchObjects(sim: Sim, res: ServerResponse, req: IncomingMessage, type: ResourceType, namespace: string | undefined, q: URLSearchParams, items: Obj[], matches: (o: Obj) => boolean): void {
  const asTable = wantsTable(req.headers.accept);
  const wire = (o: Obj): Obj => (asTable ? toTable(type.kind, [o], { now: sim.state.now, resourceVersion: sim.state.resourceVersion(), includeObject: includeObject(q) }) : o);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  const send = (kind: 'ADDED' | 'MODIFIED' | 'DELETED', o: Obj): void => void res.write(`${JSON.stringify({ type: kind, object: wire(o) })}\n`);
  const from = q.get('resourceVersion');
  if (!from || from === '0') for (const o of items) send('ADDED', o);
  const watcher: Watcher = { type, namespace, matches, send };
  sim.watchers.add(watcher);
  const timeout = Number(q.get('timeoutSeconds') ?? '0');
  const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
  res.on('close', () => {
    sim.watchers.delete(watcher);
    if (timer) clearTimeout(timer);
  });
}

/** Tells open watches about a changed object. */
function notifyWatchers(sim: Sim, kind: 'ADDED' | 'MODIFIED' | 'DELETED', o: Obj): void {
  for (const w of sim.watchers) {
    if (w.type.kind !== o.kind || (w.namespace !== undefined && w.namespace !== nsOf(o)) || !w.matches(o)) continue;
    w.send(kind, o);
  }
}

/** pods/log: the container (or the only one), the kubelet's query checks, the scenario's log stream. */
async function podLog(sim: Sim, res: ServerResponse, pod: Obj, q: URLSearchParams): Promise<void> {
  const podName = nameOf(pod);
  const ns = nsOf(pod) as string;
  const spec = (pod.spec ?? {}) as Obj;
  const regular = ((spec.containers ?? []) as Obj[]).map(nameOf2);
  let container = q.get('container') ?? '';
  if (!container) {
    if (regular.length === 1) container = regular[0] as string;
    else {
      const init = ((spec.initContainers ?? []) as Obj[]).map(nameOf2);
      const eph = ((spec.ephemeralContainers ?? []) as Obj[]).map(nameOf2);
      let msg = `a container name must be specified for pod ${podName}, choose one of: [${regular.join(' ')}]`;
      if (init.length) msg += ` or one of the init containers: [${init.join(' ')}]`;
      if (eph.length) msg += ` or one of the ephemeral containers: [${eph.join(' ')}]`;
      return sendStatus(res, failure(400, msg));
    }
  }
  if (!containerNames(pod as Scenario['objects'][number]).includes(container)) return sendStatus(res, failure(400, `container ${container} is not valid for pod ${podName}`));
  const previous = q.get('previous') === 'true';
  const params: (keyof LogQuery)[] = ['tailLines', 'limitBytes', 'sinceSeconds'];
  const query: LogQuery = { timestamps: q.get('timestamps') === 'true' };
  for (const p of params) {
    const v = intParam(q, p, p === 'tailLines' ? 0 : 1);
    if (isStatus(v)) return sendStatus(res, v);
    if (v !== undefined) (query as unknown as Record<string, number>)[p] = v;
  }
  const sinceTime = q.get('sinceTime');
  if (sinceTime) {
    if (query.sinceSeconds !== undefined) return sendStatus(res, failure(422, 'PodLogOptions "" is invalid: sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified', {}, 'Invalid'));
    query.sinceTime = sinceTime;
  }
  const logs = sim.state.scenario.pods[`${ns}/${podName}`]?.containers[container]?.logs;
  const source = logSource(sim.state.scenario, logs, previous, sim.state.now);
  if (!source) {
    if (previous) return sendStatus(res, failure(400, `previous terminated container "${container}" in pod "${podName}" not found`));
    const waiting = containerStatus(pod, container)?.state as Obj | undefined;
    const reason = str((waiting?.waiting as Obj | undefined)?.reason);
    if (waiting?.waiting && reason && (containerStatus(pod, container)?.restartCount ?? 0) === 0) {
      return sendStatus(res, failure(400, `container "${container}" in pod "${podName}" is waiting to start: ${reason}`));
    }
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  if (source) {
    try {
      await streamLog(source, query, sim.state.now, res);
    } catch {
      // The client went away or the file vanished mid-stream; nothing more to send.
      res.destroy();
      return;
    }
  }
  res.end();
}

/**
 * PATCH of a Pod owner (or a pod's mutable fields): merge, strategic merge (built-in kinds
 * only) or JSON patch; `dryRun=All` validates and answers without storing; otherwise the
 * object is stored (resourceVersion, generation, managedFields) and its pods roll.
 */
async function patchObject(sim: Sim, req: IncomingMessage, res: ServerResponse, type: ResourceType, obj: Obj, q: URLSearchParams): Promise<void> {
  const attrs: RequestAttributes = { verb: 'patch', resource: type.plural, group: type.group, name: nameOf(obj), ...(nsOf(obj) ? { namespace: nsOf(obj) } : {}) };
  if (!rbacAllows(sim.state.scenario, attrs)) return sendStatus(res, forbidden(attrs));
  if (!PATCHABLE_KINDS.has(type.kind)) return sendStatus(res, methodNotAllowed('PATCH'));
  const dryRun = q.getAll('dryRun');
  // apiserver: PatchOptions validation accepts only "All" (k8s.io/apimachinery/pkg/apis/meta/v1/validation ValidateDryRun).
  const badDry = dryRun.find((d) => d !== 'All');
  if (badDry !== undefined) return sendStatus(res, failure(422, `PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["${badDry}"]: supported values: "All"`, {}, 'Invalid'));
  const manager = q.get('fieldManager') ?? 'unknown';
  if (manager.length > 128) return sendStatus(res, failure(422, `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes`, {}, 'Invalid'));
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const kind = (Object.entries(PATCH_CONTENT_TYPES) as [string, string][]).find(([, v]) => v === contentType)?.[0];
  if (!kind || kind === 'apply' || (kind === 'strategic' && CUSTOM_KINDS.has(type.kind))) {
    const accepted = CUSTOM_KINDS.has(type.kind)
      ? 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml'
      : 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json';
    const why = kind === 'apply' ? ' (the simulator does not implement server-side apply)' : '';
    return sendStatus(res, failure(415, `the body of the request was in an unknown format - accepted media types include: ${accepted}${why}`, {}, 'UnsupportedMediaType'));
  }
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return sendStatus(res, failure(400, `error decoding patch: invalid character in ${contentType} body`));
  }
  const write: Write = { kind: type.kind, group: type.group, namespace: nsOf(obj), name: nameOf(obj), patchKind: kind as PatchKind, body, manager };
  const result = applyWrite(sim.state, write, dryRun.length > 0);
  if (isStatus(result)) return sendStatus(res, result);
  if (dryRun.length === 0) {
    sim.writes.push(write);
    notifyWatchers(sim, 'MODIFIED', result);
  }
  return sendJson(res, 200, result);
}

/** pods/ephemeralcontainers (PATCH or PUT): a debug container added to the pod, started at once. */
async function patchEphemeral(sim: Sim, req: IncomingMessage, res: ServerResponse, method: string, pod: Obj): Promise<void> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return sendStatus(res, failure(400, `error decoding patch: invalid JSON in ${method} body`));
  }
  const spec = (pod.spec ??= {}) as Obj;
  const existing = ((spec.ephemeralContainers ?? []) as Obj[]).map(clone);
  let next: Obj[];
  if (method === 'PUT') {
    next = (((body as Obj).spec as Obj | undefined)?.ephemeralContainers ?? []) as Obj[];
  } else if (contentType === 'application/json-patch+json') {
    let r: Obj;
    try {
      r = applyJsonPatch({ spec: { ephemeralContainers: existing } }, body) as Obj;
    } catch (err) {
      if (err instanceof PatchError) return sendStatus(res, err.status);
      throw err;
    }
    next = (((r.spec as Obj | undefined)?.ephemeralContainers ?? []) as Obj[]);
  } else if (contentType === 'application/merge-patch+json') {
    const given = ((body as Obj).spec as Obj | undefined)?.ephemeralContainers;
    next = given === undefined ? existing : Array.isArray(given) ? (given as Obj[]) : [];
  } else if (contentType === 'application/strategic-merge-patch+json') {
    // ephemeralContainers merge by name (patchMergeKey: name).
    const given = (((body as Obj).spec as Obj | undefined)?.ephemeralContainers ?? []) as Obj[];
    next = existing.slice();
    for (const c of Array.isArray(given) ? given : []) {
      const i = next.findIndex((e) => e.name === c.name);
      if (i >= 0) next[i] = { ...next[i], ...c };
      else next.push(c);
    }
  } else {
    return sendStatus(res, failure(415, `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`, {}, 'UnsupportedMediaType'));
  }
  const invalid = validateEphemeral(pod, existing, next);
  if (invalid) return sendStatus(res, invalid);
  spec.ephemeralContainers = next;
  const status = (pod.status ??= {}) as Obj;
  const statuses = ((status.ephemeralContainerStatuses ?? []) as Obj[]).slice();
  const startedAt = new Date(sim.state.now).toISOString().replace(/\.\d+Z$/, 'Z');
  for (const c of next) {
    if (statuses.some((s) => s.name === c.name)) continue;
    statuses.push({
      name: c.name, image: c.image, imageID: `${String(c.image)}@sha256:${createHash('sha256').update(String(c.image)).digest('hex')}`,
      containerID: `containerd://${createHash('sha256').update(`${nameOf(pod)}/${String(c.name)}`).digest('hex')}`,
      ready: false, restartCount: 0, state: { running: { startedAt } },
    });
  }
  status.ephemeralContainerStatuses = statuses;
  meta(pod).resourceVersion = String(sim.state.nextRv());
  notifyWatchers(sim, 'MODIFIED', pod);
  return sendJson(res, 200, pod);
}

/** pods/exec: what the command can see in the container (tools, netns, listeners, the cluster network), or why it cannot run. */
function resolveExec(sim: Sim, namespace: string, podName: string, container: string): ExecContext | { status: number; reason: string; message: string } {
  const pod = sim.state.pod(namespace, podName);
  if (!pod) return { status: 404, reason: 'NotFound', message: `pods "${podName}" not found` };
  const spec = (pod.spec ?? {}) as Obj;
  const regular = ((spec.containers ?? []) as Obj[]).map(nameOf2);
  const eph = ((spec.ephemeralContainers ?? []) as Obj[]).map(nameOf2);
  let name = container;
  if (!name) {
    if (regular.length !== 1) return { status: 400, reason: 'BadRequest', message: `a container name must be specified for pod ${podName}, choose one of: [${regular.join(' ')}]` };
    name = regular[0] as string;
  }
  if (!containerNames(pod as Scenario['objects'][number]).includes(name)) return { status: 400, reason: 'BadRequest', message: `container ${name} is not valid for pod ${podName}` };
  const cs = containerStatus(pod, name);
  const running = cs ? !!(cs.state as Obj | undefined)?.running : true;
  // kubelet's answer for a container that is not running; clients print it as "unable to upgrade connection: …".
  if (!running) return { status: 500, reason: 'InternalError', message: `container not found ("${name}")` };
  const key = `${namespace}/${podName}`;
  const podModel = sim.state.scenario.pods[key];
  const isEphemeral = eph.includes(name);
  let inode: number;
  if (isEphemeral && podModel?.netns === 'per-container') {
    // A broken runtime: the debug container lands in its target's namespace, or a fresh one.
    const target = str(((spec.ephemeralContainers as Obj[]).find((c) => c.name === name) ?? {}).targetContainerName);
    inode = target ? sim.state.netnsInode(key, target) : sim.state.netnsInode(key, name);
  } else inode = sim.state.netnsInode(key, isEphemeral ? undefined : name);
  const simC = podModel?.containers[name];
  const ctx: ExecContext = {
    namespace, pod: podName, container: name,
    tools: isEphemeral ? [...EPHEMERAL_TOOLS] : [...(simC?.tools ?? DEFAULT_TOOLS)],
    netnsInode: inode,
    listeners: sim.state.listeners(key, inode),
    overrides: (simC?.exec ?? []).map((o) => ({ ...o })),
  };
  const podIP = str((pod.status as Obj | undefined)?.podIP);
  if (podIP) ctx.podIP = podIP;
  ctx.network = clusterNetwork({
    objects: sim.state.objects,
    listenersOf: (podKey) => (sim.state.scenario.pods[podKey]?.netns === 'per-container' ? undefined : sim.state.listeners(podKey, sim.state.netnsInode(podKey, undefined))),
    rejects: policyDenialRejects(sim.state.scenario.cluster),
  }, key);
  return ctx;
}

/** Lab mode: the scenario's exact replies still win; anything else runs for real in the container's namespace. */
function labExecRunner(sim: Sim, lab: Lab): ExecRunner {
  return async (ctx, argv, signal) => {
    const override = overrideReply(ctx, argv);
    if (override) return override;
    // The cluster as it stands now (a timeline entry, or a PATCH that rolled the pod and moved its listeners).
    await lab.sync(sim.state.scenario).catch((err: unknown) => (sim.labError = err as Error));
    if (sim.labError) throw sim.labError;
    const spec = (sim.state.pod(ctx.namespace, ctx.pod)?.spec ?? {}) as Obj;
    const eph = ((spec.ephemeralContainers ?? []) as Obj[]).find((c) => c.name === ctx.container);
    const target = eph ? str(eph.targetContainerName) : undefined;
    return lab.exec({
      pod: `${ctx.namespace}/${ctx.pod}`, container: ctx.container, tools: ctx.tools, argv, signal,
      ...(eph ? { ephemeral: target ? { target } : {} } : {}),
    });
  };
}

const nameOf2 = (c: Obj): string => String(c.name);

/** A PATCH as stored, so that it can be applied again to a rebuilt cluster. */
interface Write {
  kind: string;
  group: string;
  namespace: string | undefined;
  name: string;
  patchKind: PatchKind;
  body: unknown;
  manager: string;
}

/** Whether the scenario's RBAC (optional `rbac.allow`) lets the caller make this write. */
function rbacAllows(scenario: Scenario, attrs: RequestAttributes): boolean {
  if (!scenario.rbac) return true;
  const any = (list: string[] | undefined, v: string | undefined): boolean => !list || list.includes('*') || (v !== undefined && list.includes(v));
  return scenario.rbac.allow.some((r) => any(r.verbs, attrs.verb) && any(r.apiGroups, attrs.group) && any(r.resources, attrs.resource) && any(r.namespaces, attrs.namespace) && any(r.resourceNames, attrs.name));
}

/**
 * Applies one PATCH to the cluster: the object as the apiserver would return it, or its
 * refusal. Unless `dryRun`, stores it and rolls the pods the change reaches.
 */
function applyWrite(state: ClusterState, w: Write, dryRun = false): Obj | StatusBody {
  const type = [...state.types.values()].find((t) => t.kind === w.kind && t.group === w.group);
  const before = type ? state.find(type, w.namespace, w.name) : undefined;
  if (!type || !before) return notFound(type ?? { plural: w.kind.toLowerCase(), group: w.group }, w.name);
  let after: Obj;
  try {
    const out = w.patchKind === 'json' ? applyJsonPatch(before, w.body) : w.patchKind === 'merge' ? applyMergePatch(before, w.body) : applyStrategicMergePatch(before, w.body);
    if (typeof out !== 'object' || out === null || Array.isArray(out)) return failure(400, 'the patch did not produce an object');
    after = out as Obj;
  } catch (err) {
    if (err instanceof PatchError) return err.status;
    throw err;
  }
  const rvGiven = str(meta(after).resourceVersion);
  if (rvGiven !== undefined && rvGiven !== str(meta(before).resourceVersion)) {
    const resource = type.group ? `${type.plural}.${type.group}` : type.plural;
    return failure(409, `Operation cannot be fulfilled on ${resource} "${w.name}": the object has been modified; please apply your changes to the latest version and try again`, { name: w.name, ...(type.group ? { group: type.group } : {}), kind: type.plural }, 'Conflict');
  }
  // Status is a subresource: a PATCH of the main resource never changes it.
  if (before.status !== undefined) after.status = clone(before.status);
  else delete after.status;
  const refused = validateUpdate(type.group, before, after);
  if (refused) return refused;
  const specChanged = JSON.stringify(before.spec) !== JSON.stringify(after.spec);
  const changed = specChanged || JSON.stringify(before.metadata) !== JSON.stringify(after.metadata);
  const m = meta(after);
  if (changed) {
    m.resourceVersion = String(dryRun ? Number(state.resourceVersion()) + 1 : state.nextRv());
    if (specChanged && type.kind !== 'Pod') m.generation = Number(m.generation ?? 1) + 1;
    const at = new Date(state.now).toISOString().replace(/\.\d+Z$/, 'Z');
    const managed = ((m.managedFields ?? []) as Obj[]).filter((f) => f.manager !== w.manager || f.operation !== 'Update');
    m.managedFields = [...managed, { manager: w.manager, operation: 'Update', apiVersion: String(after.apiVersion), time: at, fieldsType: 'FieldsV1', fieldsV1: {} }];
  }
  if (dryRun || !changed) return after;
  const objectsBefore = state.objects.slice();
  const pods = specChanged && type.kind !== 'Pod' ? podsAffectedBy(objectsBefore, before) : [];
  state.replace(before, after);
  for (const pod of pods) rollPod(state, pod, objectsBefore);
  return after;
}

/** The controllers' answer to a changed template: the pod is replaced by one running the new spec. */
function rollPod(state: ClusterState, pod: Obj, objectsBefore: Obj[]): void {
  const chainBefore = ownerChain(objectsBefore, pod);
  const chainAfter = ownerChain(state.objects, pod);
  const tBefore = templateContainers(objectsBefore, chainBefore) ?? [];
  const tAfter = templateContainers(state.objects, chainAfter) ?? [];
  if (JSON.stringify(tBefore) === JSON.stringify(tAfter) && chainBefore.every((o, i) => o === chainAfter[i])) return;
  const containers = applyTemplateChange(((pod.spec as Obj | undefined)?.containers ?? []) as Obj[], tBefore, tAfter);
  const nowIso = new Date(state.now).toISOString().replace(/\.\d+Z$/, 'Z');
  const rolled = rolledPod(pod, containers, nowIso, uidFor(`${String(meta(pod).uid)}/${state.resourceVersion()}`));
  const [rs, deployment] = chainAfter;
  let replacement = rolled;
  if (rs?.kind === 'ReplicaSet' && deployment?.kind === 'Deployment') {
    // A Deployment's pod is replaced by a new ReplicaSet's pod with a new name (workloads.ts deploymentRollout).
    const r = deploymentRollout(state.objects, rs, deployment, rolled, (x) => createHash('sha256').update(x).digest(), uidFor, nowIso);
    meta(r.oldRs).resourceVersion = String(state.nextRv());
    meta(r.newRs).resourceVersion = String(state.nextRv());
    state.replace(rs, r.oldRs);
    if (r.created) {
      state.add(r.newRs);
    } else {
      state.replace(state.objects.find((o) => o.kind === 'ReplicaSet' && nsOf(o) === nsOf(r.newRs) && nameOf(o) === nameOf(r.newRs)) as Obj, r.newRs);
    }
    meta(r.pod).resourceVersion = String(state.nextRv());
    state.remove(pod);
    state.add(r.pod);
    replacement = r.pod;
  } else {
    state.replace(pod, rolled);
  }
  const model = state.scenario.pods[`${nsOf(pod) ?? ''}/${nameOf(pod)}`];
  const key = `${nsOf(replacement) ?? ''}/${nameOf(replacement)}`;
  if (!model) return;
  const next = clone(model);
  for (const [cname, c] of Object.entries(next.containers)) {
    // A new container: its old logs went with the old pod; nothing ran before it.
    c.logs = undefined;
    const spec = containers.find((x) => x.name === cname);
    if (!spec) continue;
    if (c.startsAfter && startBudgetSeconds(spec) >= c.startsAfter.seconds) c.listen = c.startsAfter.listen;
    if (!c.listenFollows) continue;
    const address = listenAddress(spec, c.listenFollows);
    c.listen = c.listen.map((l) => ({ ...l, address, proto: address.includes(':') ? 'tcp6' : 'tcp' }));
  }
  state.setPodModel(key, next);
}

function containerStatus(pod: Obj, name: string): (Obj & { restartCount?: number }) | undefined {
  const status = (pod.status ?? {}) as Obj;
  for (const f of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
    const found = ((status[f] ?? []) as Obj[]).find((c) => c.name === name);
    if (found) return found;
  }
  return undefined;
}

function logSource(scenario: LoadedScenario, logs: ScenarioLogs | undefined, previous: boolean, now: number): LogSource | undefined {
  if (!logs) return undefined;
  if (previous) {
    if (logs.previousFile) return { type: 'file', path: resolveScenarioPath(scenario, logs.previousFile) };
    return logs.previous !== undefined ? { type: 'text', text: logs.previous } : undefined;
  }
  if (logs.currentFile) return { type: 'file', path: resolveScenarioPath(scenario, logs.currentFile) };
  if (logs.generate) return { type: 'generate', lines: logs.generate.lines, template: logs.generate.template, stepMs: logs.generate.stepMs ?? 1, endAt: now };
  return logs.current !== undefined ? { type: 'text', text: logs.current } : undefined;
}

/** The apiserver's rules for the ephemeralcontainers subresource, enough for a debug container. */
function validateEphemeral(pod: Obj, before: Obj[], after: Obj[]): StatusBody | undefined {
  const podName = nameOf(pod);
  const invalid = (field: string, msg: string): StatusBody =>
    failure(422, `Pod "${podName}" is invalid: ${field}: ${msg}`, { name: podName, kind: 'Pod', causes: [{ reason: 'FieldValueInvalid', message: msg, field }] }, 'Invalid');
  for (const old of before) {
    const now = after.find((c) => c.name === old.name);
    if (!now) return invalid('spec.ephemeralContainers', `Forbidden: existing ephemeral containers "${String(old.name)}" may not be removed`);
    if (JSON.stringify(now) !== JSON.stringify(old)) return invalid('spec.ephemeralContainers', `Forbidden: existing ephemeral containers "${String(old.name)}" may not be changed`);
  }
  const regular = containerNames(pod as Scenario['objects'][number]).filter((n) => !before.some((b) => b.name === n));
  const seen = new Set<string>();
  for (const [i, c] of after.entries()) {
    const field = `spec.ephemeralContainers[${i}]`;
    if (typeof c.name !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(c.name)) return invalid(`${field}.name`, `Required value`);
    if (typeof c.image !== 'string' || !c.image) return invalid(`${field}.image`, 'Required value');
    if (seen.has(c.name) || regular.includes(c.name)) return invalid(`${field}.name`, `Duplicate value: "${c.name}"`);
    seen.add(c.name);
    for (const f of ['ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resources']) {
      if (c[f] !== undefined) return invalid(`${field}.${f}`, 'Forbidden: cannot be set for an Ephemeral Container');
    }
  }
  return undefined;
}

function methodNotAllowed(method: string): StatusBody {
  return failure(405, `the server does not allow this method on the requested resource (${method})`, {});
}

function includeObject(q: URLSearchParams): IncludeObject | undefined {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Metadata' || v === 'Object' ? v : undefined;
}

function versionInfo(gitVersion: string): Obj {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? '1', minor: m?.[2] ?? '0', gitVersion,
    gitCommit: createHash('sha1').update(gitVersion).digest('hex'), gitTreeState: 'clean',
    buildDate: '2025-05-30T00:00:00Z', goVersion: 'go1.23.8', compiler: 'gc', platform: 'linux/amd64',
  };
}

interface GroupInfo {
  name: string;
  versions: { groupVersion: string; version: string }[];
  preferredVersion: { groupVersion: string; version: string };
}

function groupList(state: ClusterState): { kind: 'APIGroupList'; apiVersion: 'v1'; groups: GroupInfo[] } {
  const byGroup = new Map<string, Set<string>>();
  for (const t of state.types.values()) if (t.group) (byGroup.get(t.group) ?? byGroup.set(t.group, new Set()).get(t.group))?.add(t.version);
  for (const always of ['apps', 'networking.k8s.io']) if (!byGroup.has(always)) byGroup.set(always, new Set(['v1']));
  const groups = [...byGroup.entries()].map(([name, versions]) => {
    const vs = [...versions].sort().reverse().map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { name, versions: vs, preferredVersion: vs[0] as { groupVersion: string; version: string } };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

function resourceList(state: ClusterState, group: string, version: string): Obj {
  const resources: Obj[] = [];
  const types = [...state.types.values()].filter((t) => t.group === group && t.version === version);
  // Groups advertised without objects still list their usual resources.
  for (const k of KNOWN_TYPES) if (k.group === group && !types.some((t) => t.kind === k.kind)) types.push({ ...k, version });
  for (const t of types) {
    resources.push({ name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs, ...(t.shortNames ? { shortNames: t.shortNames } : {}) });
    for (const s of t.subresources ?? []) resources.push({ name: `${t.plural}/${s.name}`, singularName: '', namespaced: t.namespaced, kind: s.kind, verbs: s.verbs });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

/** A kubeconfig for the simulator: plain HTTP on 127.0.0.1, a token that is never checked. */
function kubeconfigFor(url: string, scenario: Scenario): string {
  const firstPod = Object.keys(scenario.pods)[0] ?? scenario.objects.find((o) => o.kind === 'Pod' && o.metadata.namespace)?.metadata.namespace;
  const namespace = firstPod?.split('/')[0] ?? 'default';
  const name = `podnet-sim-${scenario.metadata.name}`;
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'podnet-sim', user: { token: SIM_TOKEN } }],
    contexts: [{ name, context: { cluster: name, user: 'podnet-sim', namespace } }],
    'current-context': name,
    preferences: {},
  });
}
