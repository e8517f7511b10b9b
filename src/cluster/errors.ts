/**
 * Maps whatever client-node, node-fetch, node:http or ws threw into a coded
 * {@link PodnetError} whose one-line message an on-call engineer can act on: a 403 names the
 * verb and resource RBAC refused and where to grant it, a 404 names what is missing, an
 * unreachable API names the URL.
 */
import { PodnetError } from '../errors.js';

/** Where the RBAC rules podnet needs live; 403 messages point here. */
export const RBAC_MANIFEST = 'deploy/base/worker-rbac.yaml';
/** The opt-in kustomize component that lets the worker patch Pod owners (Apply fix). */
export const PATCH_COMPONENT = 'deploy/components/patch';

/** What a request tried to do, in RBAC terms. */
export interface RequestDescription {
  /** RBAC verb: get, list, create, patch. */
  verb: string;
  /** RBAC resource, with subresource: `pods`, `pods/log`, `pods/exec`, `nodes`, `networkpolicies`. */
  resource: string;
  namespace?: string;
  name?: string;
}

/** A non-2xx HTTP answer from a path podnet speaks to directly (log stream, exec upgrade). */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string | string[] | undefined> = {},
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

/** Thrown when podnet's own deadline for a request passed. */
export class RequestTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
  code?: number;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

function parseStatusBody(body: unknown): StatusBody | undefined {
  if (body === undefined || body === null) return undefined;
  let value: unknown = body;
  if (Buffer.isBuffer(value)) value = value.toString('utf8');
  if (typeof value === 'string') {
    const text = value.trim();
    try {
      value = JSON.parse(text);
    } catch {
      return text ? { message: text.split('\n')[0] } : undefined;
    }
  }
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    return {
      message: typeof v.message === 'string' ? v.message : undefined,
      reason: typeof v.reason === 'string' ? v.reason : undefined,
      code: typeof v.code === 'number' ? v.code : undefined,
    };
  }
  return undefined;
}

function header(headers: Record<string, string | string[] | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/** Retry-After in ms (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** `pod financial-ml/mlserver-9`, `node k3s-1`, `pods/exec in namespace financial-ml`. */
export function describeObject(req: RequestDescription): string {
  const [base, sub] = req.resource.split('/');
  const kind = singular(base ?? req.resource);
  if (req.name) {
    const id = req.namespace ? `${req.namespace}/${req.name}` : req.name;
    return sub ? `${kind} ${id} (${sub})` : `${kind} ${id}`;
  }
  return req.namespace ? `${req.resource} in namespace ${req.namespace}` : req.resource;
}

function singular(resource: string): string {
  if (resource === 'networkpolicies') return 'networkpolicy';
  if (resource === 'endpoints') return 'endpoints';
  return resource.endsWith('s') ? resource.slice(0, -1) : resource;
}

/** `forbidden: cannot create pods/exec in namespace financial-ml — add it to the podnet ClusterRole (deploy/base/worker-rbac.yaml)`. */
export function forbiddenMessage(req: RequestDescription, statusMessage?: string): string {
  // Prefer what the API server said it refused (it names the subresource and the scope).
  const m = statusMessage?.match(/cannot (\w+) resource "([^"]+)"(?: in API group "[^"]*")?(?: in the namespace "([^"]+)")?/);
  const verb = m?.[1] ?? req.verb;
  const resource = m?.[2] ?? req.resource;
  const namespace = m ? m[3] : req.namespace;
  const scope = namespace ? `in namespace ${namespace}` : 'at cluster scope';
  // Patches of Pod owners are granted only by the opt-in component, never by the base role.
  if (verb === 'patch' && resource !== 'pods/ephemeralcontainers') {
    return `forbidden: cannot ${verb} ${resource} ${scope} — applying fixes needs the opt-in ${PATCH_COMPONENT} component`;
  }
  return `forbidden: cannot ${verb} ${resource} ${scope} — add it to the podnet ClusterRole (${RBAC_MANIFEST})`;
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  // node-fetch and undici wrap the socket error; look one or two levels down.
  for (let i = 0; i < 3 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown; error?: unknown }).cause ?? (e as { error?: unknown }).error;
  }
  return undefined;
}

function isTimeout(err: unknown): boolean {
  if (err instanceof RequestTimeoutError) return true;
  if (!(err instanceof Error)) return false;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return true;
  const code = errorCode(err);
  return code !== undefined && TIMEOUT_CODES.has(code);
}

function statusOf(err: unknown): { status: number; body: unknown; headers?: Record<string, string | string[] | undefined> } | undefined {
  if (err instanceof HttpStatusError) return { status: err.status, body: err.body, headers: err.headers };
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; body?: unknown; headers?: unknown };
    // client-node's ApiException: numeric `code`, `body` (the Status as text or object), `headers`.
    if (typeof e.code === 'number' && e.code >= 100 && e.code < 600) {
      return { status: e.code, body: e.body, headers: (e.headers ?? {}) as Record<string, string> };
    }
  }
  return undefined;
}

/**
 * The coded error for a failed request. `apiUrl` is the server URL, named when it cannot be
 * reached. Transient codes (`server-error`, `rate-limited`, `timeout`, `unavailable`) are the
 * ones {@link withRetry} retries; `detail.retryAfterMs` carries a 429's Retry-After.
 */
export function toPodnetError(err: unknown, req: RequestDescription, apiUrl?: string): PodnetError {
  if (err instanceof PodnetError) return err;
  const what = describeObject(req);
  const st = statusOf(err);
  if (st) {
    const body = parseStatusBody(st.body);
    const detail: Record<string, unknown> = { status: st.status, verb: req.verb, resource: req.resource };
    if (req.namespace) detail.namespace = req.namespace;
    switch (true) {
      case st.status === 401:
        return new PodnetError('forbidden', `unauthorized: the Kubernetes API rejected podnet's credentials for ${req.verb} ${req.resource} — check the kubeconfig user or the service account token`, { cause: err, detail });
      case st.status === 403:
        return new PodnetError('forbidden', forbiddenMessage(req, body?.message), { cause: err, detail });
      case st.status === 404:
        return new PodnetError('not-found', `${what} not found`, { cause: err, detail });
      case st.status === 408 || st.status === 504:
        return new PodnetError('timeout', `timed out: ${req.verb} ${what}${body?.message ? ` (${body.message})` : ''}`, { cause: err, detail });
      case st.status === 429: {
        const retryAfterMs = parseRetryAfter(header(st.headers, 'retry-after'));
        if (retryAfterMs !== undefined) detail.retryAfterMs = retryAfterMs;
        return new PodnetError('rate-limited', `the Kubernetes API is throttling podnet (429) on ${req.verb} ${what}`, { cause: err, detail });
      }
      case st.status >= 500: {
        const retryAfterMs = parseRetryAfter(header(st.headers, 'retry-after'));
        if (retryAfterMs !== undefined) detail.retryAfterMs = retryAfterMs;
        return new PodnetError('server-error', `the Kubernetes API failed (${st.status}) on ${req.verb} ${what}${body?.message ? `: ${body.message}` : ''}`, { cause: err, detail });
      }
      default:
        return new PodnetError('bad-input', `${req.verb} ${what} was refused (${st.status})${body?.message ? `: ${body.message}` : ''}`, { cause: err, detail });
    }
  }
  if (isTimeout(err)) {
    const ms = err instanceof RequestTimeoutError ? ` within ${err.timeoutMs} ms` : '';
    return new PodnetError('timeout', `timed out: no answer from the Kubernetes API${ms} to ${req.verb} ${what}`, { cause: err });
  }
  const code = errorCode(err);
  if (code && NETWORK_CODES.has(code)) {
    return new PodnetError('unavailable', `cannot reach the Kubernetes API at ${apiUrl ?? 'the configured server'} (${code})`, { cause: err, detail: { errno: code } });
  }
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new PodnetError('internal', `${req.verb} ${what} failed: ${message}`, { cause: err });
}
