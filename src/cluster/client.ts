/**
 * {@link ClusterAccess} over @kubernetes/client-node — the only module in podnet that talks to
 * a Kubernetes API server. Every request takes a rate-limit token, is bounded by a timeout,
 * retries transient failures with backoff, and fails as a coded {@link PodnetError}.
 */
import http from 'node:http';
import https from 'node:https';
import { Writable } from 'node:stream';
import {
  CoreV1Api,
  Exec,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  ServerConfiguration,
  VersionApi,
  createConfiguration,
  setHeaderOptions,
  type Configuration,
  type CoreV1Event,
  type V1EphemeralContainer,
  type V1Status,
} from '@kubernetes/client-node';
import WebSocket from 'ws';
import { ConfigError, PodnetError } from '../errors.js';
import type { Logger } from '../logger.js';
import { HttpStatusError, RequestTimeoutError, toPodnetError, type RequestDescription } from './errors.js';
import { TokenBucket, systemClock, type Clock, type RateLimiter } from './rate-limit.js';
import { DEFAULT_RETRIES, withRetry } from './retry.js';
import type { ClusterAccess, ExecOptions, ExecResult, KubeObject, LogOptions, ObjectRef } from './types.js';
import { allowedFor, resourcePath } from './resources.js';

export interface ClusterOptions {
  /** A kubeconfig file; default: $KUBECONFIG, then ~/.kube/config (client-node's loadFromDefault). */
  kubeconfigPath?: string;
  /** A context of that kubeconfig; default: its current-context. */
  context?: string;
  /** Use the pod's service account (when podnet runs in the cluster). */
  inCluster?: boolean;
  /** A kubeconfig as text (the simulator hands one out). Wins over `kubeconfigPath`. */
  kubeConfigYaml?: string;
  /**
   * The API budget every request takes a token from; a 429 pauses it. Default: an in-process
   * {@link TokenBucket} of `qps`/`burst`. A worker passes its cluster's shared budget
   * (src/cluster/shared-budget.ts), so all workers of one cluster draw from one bucket.
   */
  limiter?: RateLimiter;
  /** Sustained requests per second of the default limiter. Default 50 (`DEFAULT_QPS`, src/cluster/rate-limit.ts). */
  qps?: number;
  /** Burst size of the default limiter. Default 100 (`DEFAULT_BURST`). */
  burst?: number;
  /** Retries of a transient failure (5xx, 429, timeout, connection error). Default 3. */
  retries?: number;
  /** Per-request timeout in ms (headers of a log stream; a whole get/list). Default 10000. */
  timeoutMs?: number;
  logger?: Logger;
  /** Clock for the rate limiter and backoff; injectable for tests. */
  clock?: Clock;
  /**
   * Called after every attempt (retries included) with its RBAC verb, resource and HTTP status:
   * `200` (`101` for an exec upgrade) on success, the API's status on failure, `error` when no
   * HTTP answer came back (timeout, connection refused). For `podnet_kube_requests_total`.
   */
  onRequest?: (request: { verb: string; resource: string; status: string }) => void;
}

/** {@link ClusterAccess} plus the server URL it talks to (for messages). */
export interface KubeClusterAccess extends ClusterAccess {
  readonly serverUrl: string;
}

/** Items per page of a paged LIST (the apiserver default has no limit; 500 is what kubectl asks for). */
export const LIST_PAGE_SIZE = 500;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_EXEC_TIMEOUT_MS = 10_000;
type ExecTransport = NonNullable<ConstructorParameters<typeof Exec>[1]>;

/** Exec output beyond this is dropped: the probes read small tables, never bulk data. */
const EXEC_OUTPUT_CAP = 1024 * 1024;
/** Error bodies are read up to this size for their Status message. */
const ERROR_BODY_CAP = 64 * 1024;

function loadKubeConfig(options: ClusterOptions): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (options.kubeConfigYaml !== undefined) kc.loadFromString(options.kubeConfigYaml);
    else if (options.kubeconfigPath !== undefined) kc.loadFromFile(options.kubeconfigPath);
    else if (options.inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (err) {
    const where = options.kubeconfigPath ?? (options.inCluster ? 'the in-cluster service account' : 'the default kubeconfig');
    throw new ConfigError(`cannot load the kubeconfig from ${where}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ConfigError(`kubeconfig has no context "${options.context}"; known contexts: ${known.join(', ') || '(none)'}`);
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new ConfigError('the kubeconfig names no current cluster; pass --context or set current-context');
  }
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    // client-node refuses plain http unless skipTLSVerify is set; there is no TLS to verify.
    kc.loadFromOptions({
      clusters: kc.getClusters().map((c) => (c.name === cluster.name ? { ...c, skipTLSVerify: true } : c)),
      contexts: kc.getContexts(),
      users: kc.getUsers(),
      currentContext: kc.getCurrentContext(),
    });
  }
  return kc;
}

/** An output sink for exec that keeps the first {@link EXEC_OUTPUT_CAP} bytes. */
class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.size < EXEC_OUTPUT_CAP) {
      const part = chunk.subarray(0, EXEC_OUTPUT_CAP - this.size);
      this.chunks.push(part);
      this.size += part.length;
    }
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * How long a 429 pauses the budget: its Retry-After, else 1 s. API Priority and Fairness
 * rejects a request it cannot queue with 429 and `Retry-After: 1`
 * (https://kubernetes.io/docs/concepts/cluster-administration/flow-control/); every worker of
 * the cluster then holds off, instead of each retrying into the same overloaded priority level.
 */
function retryAfterOf(err: PodnetError): number {
  const ms = err.detail?.retryAfterMs;
  return typeof ms === 'number' ? ms : 1000;
}

/** client-node rejects a failed WebSocket with ws's ErrorEvent; the real error is inside. */
function unwrapWsError(err: unknown): unknown {
  if (err && typeof err === 'object' && 'error' in err && (err as { error?: unknown }).error) {
    return (err as { error: unknown }).error;
  }
  return err;
}

/** Reads the exec V1Status: Success, NonZeroExitCode (cause ExitCode) or a runtime failure. */
export function execResultFromStatus(status: V1Status | undefined, stdout: string, stderr: string): ExecResult {
  if (!status) {
    return { stdout, stderr, exitCode: -1, failure: 'the exec stream closed without an exit status' };
  }
  if (status.status === 'Success') return { stdout, stderr, exitCode: 0 };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    return { stdout, stderr, exitCode: Number.isInteger(code) ? code : 1 };
  }
  const message = status.message ?? 'the container runtime could not run the command';
  // A missing executable is what a shell would report as 127; anything else as 126.
  return { stdout, stderr, exitCode: /not found|no such file/i.test(message) ? 127 : 126, failure: message };
}

/** Where and how the hand-made requests go: the kubeconfig (auth, TLS), the server, the per-request bound. */
interface ApiEndpoint {
  kc: KubeConfig;
  server: string;
  timeoutMs: number;
}

/** The generated clients' configuration: the cluster's server and auth, every request bounded by `timeoutMs`. */
function apiConfiguration(api: ApiEndpoint): Configuration {
  return createConfiguration({
    baseServer: new ServerConfiguration(api.server, {}),
    authMethods: { default: api.kc },
    promiseMiddleware: [
      {
        pre: async (ctx) => {
          // Bounds the whole request, body included; an abort surfaces as a timeout.
          ctx.setSignal(AbortSignal.timeout(api.timeoutMs));
          return ctx;
        },
        post: async (rsp) => rsp,
      },
    ],
  });
}

/**
 * Builds a {@link ClusterAccess}. Throws {@link ConfigError} when the kubeconfig cannot be
 * loaded or names no usable context; network problems surface on the first call instead.
 */
export function createClusterAccess(options: ClusterOptions = {}): KubeClusterAccess {
  const kc = loadKubeConfig(options);
  const server = kc.getCurrentCluster()!.server.replace(/\/+$/, '');
  const clock = options.clock ?? systemClock;
  const bucket: RateLimiter = options.limiter ?? new TokenBucket({ qps: options.qps, burst: options.burst, clock });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retries = options.retries ?? DEFAULT_RETRIES;
  const logger = options.logger;
  let requests = 0;

  const api: ApiEndpoint = { kc, server, timeoutMs };
  const config = apiConfiguration(api);
  const core = new CoreV1Api(config);
  const networking = new NetworkingV1Api(config);
  const versionApi = new VersionApi(config);

  /** One logical request: a token and a count per attempt, retries for transient failures. */
  function send<T>(req: RequestDescription, attempt: () => Promise<T>, retryable = true): Promise<T> {
    return withRetry(
      async () => {
        await bucket.take();
        requests++;
        try {
          const result = await attempt();
          options.onRequest?.({ verb: req.verb, resource: req.resource, status: req.resource === 'pods/exec' ? '101' : '200' });
          return result;
        } catch (err) {
          const failure = toPodnetError(unwrapWsError(err), req, server);
          const status = failure.detail?.status;
          options.onRequest?.({ verb: req.verb, resource: req.resource, status: typeof status === 'number' ? String(status) : 'error' });
          if (failure.code === 'rate-limited') await bucket.pause(retryAfterOf(failure));
          throw failure;
        }
      },
      {
        retries: retryable ? retries : 0,
        clock,
        onRetry: (err, n, waitMs) => logger?.warn({ verb: req.verb, resource: req.resource, code: err.code, attempt: n, waitMs }, 'retrying Kubernetes API request'),
      },
    );
  }

  const execApi = new Exec(kc, wsTransport(api));
  const runExecHere = (namespace: string, pod: string, container: string, argv: string[], opts?: ExecOptions) => runExec(execApi, send, namespace, pod, container, argv, opts);

  return {
    serverUrl: server,

    async version() {
      const info = await send({ verb: 'get', resource: 'version' }, () => versionApi.getCode());
      return info.gitVersion;
    },

    getPod: (namespace, name) =>
      send({ verb: 'get', resource: 'pods', namespace, name }, () => core.readNamespacedPod({ name, namespace })),

    async listPods(namespace, opts = {}) {
      // Paged: a LIST with `limit` returns at most that many items and a `continue` token for
      // the rest (kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks),
      // so a 5000-pod namespace is read in full without one huge response. Each page goes
      // through the rate limiter like any request.
      const items: Awaited<ReturnType<ClusterAccess["listPods"]>> = [];
      let token: string | undefined;
      do {
        const page = await send({ verb: 'list', resource: 'pods', namespace }, () =>
          core.listNamespacedPod({ namespace, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.pageSize ?? LIST_PAGE_SIZE, ...(token !== undefined && { _continue: token }) }),
        );
        items.push(...page.items);
        token = page.metadata?._continue || undefined;
      } while (token !== undefined);
      return items;
    },

    async listPodEvents(namespace, pod) {
      const list = await send({ verb: 'list', resource: 'events', namespace }, () =>
        core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${pod}` }),
      );
      return list.items as CoreV1Event[];
    },

    async listNodeEvents(node) {
      // Node events live in whichever namespace the reporter chose (usually `default`).
      const list = await send({ verb: 'list', resource: 'events' }, () =>
        core.listEventForAllNamespaces({ fieldSelector: `involvedObject.kind=Node,involvedObject.name=${node}` }),
      );
      return list.items as CoreV1Event[];
    },

    getNode: (name) => send({ verb: 'get', resource: 'nodes', name }, () => core.readNode({ name })),

    async listNetworkPolicies(namespace) {
      const list = await send({ verb: 'list', resource: 'networkpolicies', namespace }, () =>
        networking.listNamespacedNetworkPolicy({ namespace }),
      );
      return list.items;
    },

    async listServices(namespace) {
      const list = await send({ verb: 'list', resource: 'services', namespace }, () => core.listNamespacedService({ namespace }));
      return list.items;
    },

    async listEndpoints(namespace) {
      const list = await send({ verb: 'list', resource: 'endpoints', namespace }, () => core.listNamespacedEndpoints({ namespace }));
      return list.items;
    },

    async streamLog(namespace, pod, opts) {
      const req: RequestDescription = { verb: 'get', resource: 'pods/log', namespace, name: pod };
      const res = await send(req, () => openLog(api, namespace, pod, opts));
      return (async function* chunks(): AsyncGenerator<Buffer> {
        try {
          for await (const chunk of res) yield chunk as Buffer;
        } catch (err) {
          throw toPodnetError(err, req, server);
        } finally {
          // Stops the download when the reader has had enough (its bound was reached).
          res.destroy();
        }
      })();
    },

    exec: runExecHere,

    addEphemeralContainer: (namespace, pod, container: V1EphemeralContainer) =>
      send({ verb: 'patch', resource: 'pods/ephemeralcontainers', namespace, name: pod }, () =>
        core.patchNamespacedPodEphemeralcontainers(
          { name: pod, namespace, body: { spec: { ephemeralContainers: [container] } } },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        ),
      ),

    getObject(ref: ObjectRef) {
      const r = resourcePath(ref);
      refuseUnlisted('get', r);
      return send({ verb: 'get', resource: r.resource, ...(ref.namespace ? { namespace: ref.namespace } : {}), name: ref.name }, () => requestJson(api, 'GET', r.path));
    },

    async listObjects(ref, opts = {}) {
      const r = resourcePath({ ...ref, name: '' });
      refuseUnlisted('list', r);
      const q = new URLSearchParams();
      if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
      if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
      const qs = q.toString();
      const list = await send({ verb: 'list', resource: r.resource, ...(ref.namespace ? { namespace: ref.namespace } : {}) }, () =>
        requestJson(api, 'GET', `${r.collection}${qs ? `?${qs}` : ''}`),
      );
      return Array.isArray(list.items) ? (list.items as KubeObject[]) : [];
    },

    patchObject(ref, patchType, patch, opts = {}) {
      const r = resourcePath(ref);
      refuseUnlisted('patch', r);
      const q = new URLSearchParams();
      if (opts.dryRun) q.set('dryRun', 'All');
      if (opts.fieldManager) q.set('fieldManager', opts.fieldManager);
      const contentType = patchType === 'json' ? PatchStrategy.JsonPatch : patchType === 'merge' ? PatchStrategy.MergePatch : PatchStrategy.StrategicMergePatch;
      const qs = q.toString();
      // A write is not retried: a timeout may have applied it (the next check tells).
      return send(
        { verb: 'patch', resource: r.resource, ...(ref.namespace ? { namespace: ref.namespace } : {}), name: ref.name },
        () => requestJson(api, 'PATCH', `${r.path}${qs ? `?${qs}` : ''}`, { contentType, data: patch }),
        opts.dryRun === true,
      );
    },

    requestCount: () => requests,
  };
}

/** Opens a container's log stream (GET …/log), bounded by `timeoutMs` while idle; a non-200 answer rejects with its status and body. */
async function openLog(api: ApiEndpoint, namespace: string, pod: string, opts: LogOptions): Promise<http.IncomingMessage> {
  const { kc, server, timeoutMs } = api;
  const url = new URL(`${server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`);
  url.searchParams.set('container', opts.container);
  if (opts.previous) url.searchParams.set('previous', 'true');
  if (opts.timestamps) url.searchParams.set('timestamps', 'true');
  if (opts.tailLines !== undefined) url.searchParams.set('tailLines', String(opts.tailLines));
  if (opts.limitBytes !== undefined) url.searchParams.set('limitBytes', String(opts.limitBytes));
  if (opts.sinceSeconds !== undefined) url.searchParams.set('sinceSeconds', String(opts.sinceSeconds));
  const httpsOpts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(httpsOpts);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method: 'GET', agent: httpsOpts.agent, headers: httpsOpts.headers, auth: httpsOpts.auth });
    // An idle socket (no headers, or a stalled body) is abandoned after timeoutMs.
    req.setTimeout(timeoutMs, () => req.destroy(new RequestTimeoutError(timeoutMs)));
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode === 200) {
        resolve(res);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < ERROR_BODY_CAP) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => reject(new HttpStatusError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), res.headers)));
      res.on('error', reject);
    });
    req.end();
  });
}

/** The generic calls reach only the kinds the RBAC manifests grant (src/cluster/resources.ts). */
function refuseUnlisted(verb: 'get' | 'list' | 'patch', r: { group: string; resource: string }): void {
  if (!allowedFor(verb, r)) throw new PodnetError('bad-input', `podnet does not ${verb} ${r.resource}${r.group ? `.${r.group}` : ''} (not in src/cluster/resources.ts)`);
}

/** One JSON request outside the generated clients (arbitrary kinds, PATCH with dryRun). */
async function requestJson(api: ApiEndpoint, method: string, path: string, body?: { contentType: string; data: unknown }): Promise<KubeObject> {
  const { kc, server, timeoutMs } = api;
  const url = new URL(`${server}${path}`);
  const httpsOpts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(httpsOpts);
  const lib = url.protocol === 'https:' ? https : http;
  const payload = body ? JSON.stringify(body.data) : undefined;
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...((httpsOpts.headers as http.OutgoingHttpHeaders | undefined) ?? {}), Accept: 'application/json' };
    if (payload !== undefined && body) {
      headers['Content-Type'] = body.contentType;
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const req = lib.request(url, { method, agent: httpsOpts.agent, headers, auth: httpsOpts.auth });
    req.setTimeout(timeoutMs, () => req.destroy(new RequestTimeoutError(timeoutMs)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= EXEC_OUTPUT_CAP) chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200 && res.statusCode !== 201) return reject(new HttpStatusError(res.statusCode ?? 0, text, res.headers));
        try {
          resolve(JSON.parse(text) as KubeObject);
        } catch {
          reject(new HttpStatusError(502, `not JSON: ${text.slice(0, 200)}`, res.headers));
        }
      });
    });
    req.end(payload);
  });
}

/**
 * The WebSocket transport for client-node's Exec. Ours rather than client-node's so that a
 * refused upgrade keeps the API server's Status body (a 403 names what RBAC refused; ws alone
 * says only "Unexpected server response: 403").
 */
function wsTransport(api: ApiEndpoint): ExecTransport {
  const { kc, server, timeoutMs } = api;
  return {
    async connect(path, _textHandler, binaryHandler) {
      const uri = `${server.replace(/^http/, 'ws')}${path}`;
      const wsOpts: WebSocket.ClientOptions & https.RequestOptions = {};
      await kc.applyToHTTPSOptions(wsOpts);
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(uri, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], wsOpts);
        const handshake = setTimeout(() => {
          reject(new RequestTimeoutError(timeoutMs));
          ws.terminate();
        }, timeoutMs);
        ws.on('unexpected-response', (req, res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(handshake);
            reject(new HttpStatusError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), res.headers));
            req.destroy();
          });
        });
        ws.on('open', () => {
          clearTimeout(handshake);
          resolve(ws as never);
        });
        ws.on('error', (err) => {
          clearTimeout(handshake);
          reject(err);
        });
        ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
          const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
          const channel = buf[0];
          // 255 is v5's "close stream" signal; the status on channel 3 ends the exec anyway.
          if (channel === undefined || channel === 255 || !binaryHandler) return;
          if (!binaryHandler(channel, buf.subarray(1))) ws.close();
        });
      });
    },
  };
}

/** Runs `argv` in a container over the exec WebSocket: the upgrade is retried through `send`, the command runs once, bounded by `opts.timeoutMs`. */
async function runExec(
  execApi: Exec,
  send: <T>(req: RequestDescription, attempt: () => Promise<T>) => Promise<T>,
  namespace: string,
  pod: string,
  container: string,
  argv: string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const limit = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  const req: RequestDescription = { verb: 'create', resource: 'pods/exec', namespace, name: pod };
  const stdout = new Collector();
  const stderr = new Collector();
  let status: V1Status | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  // The upgrade is retried like any request; once the command runs it is not re-run.
  const socket = await send(req, async () =>
    (await execApi.exec(namespace, pod, container, argv, stdout, stderr, null, false, (s) => {
      status = s;
      finish();
    })) as unknown as WebSocket,
  );
  socket.on('close', () => finish());
  if (socket.readyState === WebSocket.CLOSED) finish();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), limit);
  });
  const outcome = await Promise.race([finished.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    socket.terminate();
    throw new PodnetError('timeout', `timed out: exec in ${namespace}/${pod} container ${container} did not finish within ${limit} ms`, {
      detail: { container, argv0: argv[0] },
    });
  }
  return execResultFromStatus(status, stdout.text(), stderr.text());
}
