/**
 * The ops port (9464 in the manifests): liveness, readiness and Prometheus metrics on a
 * plain node:http server, apart from the Slack port so probes and scrapes never queue behind
 * Slack traffic and the Slack port can stay the only one exposed through an Ingress.
 *
 * - `GET /healthz` — 200 while the event loop answers. Kubernetes restarts the container when
 *   it fails, so it checks nothing external: a Redis outage must not restart every pod.
 * - `GET /readyz` — runs every check in parallel (each bounded); 200 when all pass, 503
 *   otherwise, with a JSON body giving each check's result. 503 as soon as shutdown begins, so
 *   the Service stops routing to a pod that is draining.
 * - `GET /metrics` — the registry in Prometheus text format (404 when none was given).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { describeError } from '../errors.js';
import { withTimeout } from './with-timeout.js';

/** A readiness check: resolves when the dependency is usable, throws (or rejects) when not. */
export type ReadinessCheck = () => Promise<void>;

export interface OpsServerOptions {
  /** Port to listen on; 0 picks a free one (tests). */
  port: number;
  /** Address to bind. Default `0.0.0.0`: the kubelet and Prometheus reach the pod IP. */
  host?: string;
  /** Named readiness checks, e.g. `{ redis: () => redis.ping().then(() => undefined) }`. */
  checks?: Record<string, ReadinessCheck>;
  /** Registry served at /metrics. */
  metrics?: Registry;
  /** Bound on each readiness check; past it the check counts as failed. Default 2000 ms (under the probe's timeoutSeconds). */
  checkTimeoutMs?: number;
  /**
   * Extra routes (the queue dashboard, src/ops/board.ts): asked first for every request, any
   * method; returns true when it answered. Requests it declines fall through to the routes above.
   */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

/** The result of one readiness check, as shown in the /readyz body. */
export interface CheckResult {
  ok: boolean;
  /** How long the check took, in milliseconds. */
  ms: number;
  /** One-line reason when it failed. */
  error?: string;
}

/** The /readyz JSON body. */
export interface ReadinessReport {
  status: 'ready' | 'not-ready' | 'shutting-down';
  checks: Record<string, CheckResult>;
}

export interface OpsServer {
  /** `http://HOST:PORT` as bound (127.0.0.1 stands in for 0.0.0.0). */
  readonly url: string;
  readonly port: number;
  /** From now on /readyz answers 503 `shutting-down` (call it first thing on SIGTERM). */
  markShuttingDown(): void;
  /** Runs the checks as /readyz would. */
  readiness(): Promise<ReadinessReport>;
  close(): Promise<void>;
}

/** Starts the ops HTTP server; resolves once it listens. */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const checks = Object.entries(options.checks ?? {});
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  const host = options.host ?? '0.0.0.0';
  let shuttingDown = false;

  async function readiness(): Promise<ReadinessReport> {
    const results = await Promise.all(
      checks.map(async ([name, check]): Promise<[string, CheckResult]> => {
        const started = performance.now();
        try {
          // Called inside the try so a check that throws synchronously counts as failed, too.
          await withTimeout(Promise.resolve().then(check), timeoutMs);
          return [name, { ok: true, ms: elapsed(started) }];
        } catch (err) {
          return [name, { ok: false, ms: elapsed(started), error: describeError(err) }];
        }
      }),
    );
    const byName = Object.fromEntries(results);
    const status = shuttingDown ? 'shutting-down' : results.every(([, r]) => r.ok) ? 'ready' : 'not-ready';
    return { status, checks: byName };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (options.extraRoutes && (await options.extraRoutes(req, res))) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed; use GET\n', { allow: 'GET, HEAD' });
      return;
    }
    switch (path) {
      case '/healthz':
        send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
        return;
      case '/readyz': {
        const report = await readiness();
        send(res, report.status === 'ready' ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
        return;
      }
      case '/metrics':
        if (!options.metrics) {
          send(res, 404, 'text/plain; charset=utf-8', 'no metrics registry configured\n');
          return;
        }
        send(res, 200, options.metrics.contentType, await options.metrics.metrics());
        return;
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'not found; try /healthz, /readyz or /metrics\n');
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${describeError(err)}\n`);
      else res.destroy();
    });
  });
  // Probes open a fresh connection each time; do not let idle keep-alive sockets hold close() up.
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;

  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    markShuttingDown() {
      shuttingDown = true;
    },
    readiness,
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      });
    },
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
