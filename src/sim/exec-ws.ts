/**
 * `pods/{name}/exec` over WebSocket, as the apiserver serves it to client-node and kubectl:
 * the Kubernetes channel protocols v5.channel.k8s.io, v4.channel.k8s.io and
 * v4.base64.channel.k8s.io. Each message is one channel byte (1 stdout, 2 stderr, 3 status)
 * followed by data; in the base64 protocol it is a text frame of the channel digit and
 * base64 data. The status is a metav1.Status JSON, then the server closes the socket.
 *
 * Status texts follow the real path of each protocol (k8s ≥ 1.30, containerd runtime):
 * - v4: the apiserver proxies the WebSocket to the kubelet/CRI streaming server, which
 *   writes `command terminated with non-zero exit code: error executing command [ARGV],
 *   exit code N` (containerd's CodeExitError) and, when the process could not start,
 *   `Internal error occurred: error executing command in container: failed to exec in
 *   container: ...` (apierrors.NewInternalError).
 * - v5: the apiserver's stream translator (feature TranslateStreamCloseWebsocketRequests,
 *   on by default since 1.30) speaks SPDY to the kubelet and re-wraps what the SPDY client
 *   decoded: `command terminated with non-zero exit code: command terminated with exit code
 *   N`, and `Internal error occurred: Internal error occurred: error executing ...`.
 * In both, NonZeroExitCode carries the exit code as cause `ExitCode`, which is what
 * clients read; nothing should parse the message text.
 *
 * Stdin is not consumed: the modelled commands do not read it (a v5 client's stdin-close
 * signal on channel 255 is accepted and ignored).
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { runCommand, type ExecContext, type ExecOutcome } from './shell/index.js';

/** Why an exec cannot start, as the apiserver answers before the upgrade (404, 400, 403 ...). */
export interface ExecRejection {
  status: number;
  reason: string;
  message: string;
}

/**
 * Finds the container for an exec request. `container` is '' when the request names
 * none (the apiserver then uses the pod's only container, or answers 400).
 */
export type ExecResolver = (namespace: string, pod: string, container: string) => ExecContext | ExecRejection;

/**
 * Runs the command of an exec. Default: the simulator's model (`runCommand`); lab mode runs
 * the real command in a network namespace. `signal` aborts when the client goes away.
 */
export type ExecRunner = (ctx: ExecContext, argv: string[], signal: AbortSignal) => Promise<ExecOutcome>;

const modelRunner: ExecRunner = (ctx, argv) => Promise.resolve(runCommand(ctx, argv));

/** The protocols served, in no particular order; the client's order of preference decides. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io'] as const;
export type ExecProtocol = (typeof EXEC_PROTOCOLS)[number];

const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;

/** One upgrade-only server for every exec (no listening socket, no client tracking). */
const wss = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  // The offered set keeps the client's order; it was checked before the upgrade.
  handleProtocols: (offered: Set<string>) => chooseProtocol([...offered].join(',')) ?? false,
});

const EXEC_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/;

/**
 * Handles an HTTP upgrade for `/api/v1/namespaces/NS/pods/POD/exec?command=...`: validates
 * the request like the apiserver, asks `resolve` for the container, runs the command in the
 * model and streams its output and status. Rejections are answered as HTTP errors with a
 * Status body before any upgrade. Never throws.
 */
export function handleExecUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, resolve: ExecResolver, run: ExecRunner = modelRunner): void {
  try {
    const url = new URL(req.url ?? '/', 'http://sim');
    const match = EXEC_PATH.exec(url.pathname);
    if (!match) {
      rejectUpgrade(socket, { status: 404, reason: 'NotFound', message: 'the server could not find the requested resource' });
      return;
    }
    const namespace = decodeURIComponent(match[1] ?? '');
    const pod = decodeURIComponent(match[2] ?? '');
    const query = url.searchParams;
    const flag = (name: string): boolean => ['true', '1'].includes((query.get(name) ?? '').toLowerCase());
    const argv = query.getAll('command');
    const streams = { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr'), tty: flag('tty') };
    if (argv.length === 0) {
      rejectUpgrade(socket, { status: 400, reason: 'BadRequest', message: 'you must specify at least one command for the container' });
      return;
    }
    if (!streams.stdin && !streams.stdout && !streams.stderr) {
      rejectUpgrade(socket, { status: 400, reason: 'BadRequest', message: 'you must specify at least 1 of stdin, stdout, stderr' });
      return;
    }
    const resolved = resolve(namespace, pod, query.get('container') ?? '');
    if (isRejection(resolved)) {
      rejectUpgrade(socket, resolved, resolved.status === 404 ? { name: pod, kind: 'pods' } : undefined);
      return;
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      rejectUpgrade(socket, {
        status: 400,
        reason: 'BadRequest',
        message: `podnet sim serves exec over WebSocket only (${EXEC_PROTOCOLS.join(', ')}); upgrade "${req.headers.upgrade ?? ''}" is not supported`,
      });
      return;
    }
    const protocol = chooseProtocol(req.headers['sec-websocket-protocol']);
    if (!protocol) {
      rejectUpgrade(socket, {
        status: 400,
        reason: 'BadRequest',
        message: `unable to upgrade: none of the offered subprotocols is supported; podnet sim speaks ${EXEC_PROTOCOLS.join(', ')}`,
      });
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      void serveExec(ws, protocol, resolved, argv, streams, run);
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    rejectUpgrade(socket, { status: 500, reason: 'InternalError', message: `Internal error occurred: ${message}` });
  }
}

function isRejection(value: ExecContext | ExecRejection): value is ExecRejection {
  return typeof (value as ExecRejection).status === 'number' && typeof (value as ExecRejection).reason === 'string';
}

/** The first protocol the client offers that we speak (the client lists by preference). */
function chooseProtocol(header: string | undefined): ExecProtocol | undefined {
  const offered = (header ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  return offered.find((p): p is ExecProtocol => (EXEC_PROTOCOLS as readonly string[]).includes(p));
}

async function serveExec(
  ws: WebSocket,
  protocol: ExecProtocol,
  ctx: ExecContext,
  argv: string[],
  streams: { stdout: boolean; stderr: boolean; tty: boolean },
  run: ExecRunner,
): Promise<void> {
  const gone = new AbortController();
  ws.on('error', () => ws.terminate());
  ws.on('close', () => gone.abort());
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    // v5 clients signal the end of stdin with [255, 0]; stdin is not modelled, so ignore it
    // and any stdin or resize data.
    if (isBinary && data[0] === CLOSE) return;
  });
  let outcome: ExecOutcome;
  try {
    outcome = await run(ctx, argv, gone.signal);
  } catch (error) {
    outcome = { stdout: '', stderr: '', exitCode: 0, failure: error instanceof Error ? error.message : String(error) };
  }
  if (gone.signal.aborted) return;
  const send = (channel: number, text: string): void => {
    if (text === '') return;
    const data = Buffer.from(text, 'utf8');
    if (protocol === 'v4.base64.channel.k8s.io') ws.send(`${channel}${data.toString('base64')}`);
    else ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  // With a TTY there is one stream: the terminal merges stderr into stdout.
  if (streams.stdout) send(STDOUT, streams.tty ? outcome.stdout + outcome.stderr : outcome.stdout);
  if (streams.stderr && !streams.tty) send(STDERR, outcome.stderr);
  send(STATUS, JSON.stringify(execStatus(outcome, argv, protocol)));
  ws.close(1000);
}

/** metav1.Status as Go's json.Marshal writes it (field order, omitempty, `metadata: {}`). */
export interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason?: string; message: string }[] };
  code?: number;
}

/** The status an exec ends with, for the given protocol (see the module comment). */
export function execStatus(outcome: ExecOutcome, argv: string[], protocol: ExecProtocol): ExecStatus {
  const translated = protocol === 'v5.channel.k8s.io';
  if (outcome.failure !== undefined) {
    const kubelet = `error executing command in container: ${outcome.failure}`;
    const error = translated ? `Internal error occurred: ${kubelet}` : kubelet;
    return {
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${error}`,
      reason: 'InternalError',
      details: { causes: [{ message: error }] },
      code: 500,
    };
  }
  if (outcome.exitCode === 0) return { metadata: {}, status: 'Success' };
  const code = outcome.exitCode & 0xff;
  const runtimeError = translated
    ? `command terminated with exit code ${code}`
    : `error executing command [${argv.join(' ')}], exit code ${code}`;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${runtimeError}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** Answers the upgrade request with an HTTP error and a Status body, as the apiserver does. */
function rejectUpgrade(socket: Duplex, rejection: ExecRejection, details?: { name: string; kind: string }): void {
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: rejection.message,
    reason: rejection.reason,
    ...(details ? { details } : {}),
    code: rejection.status,
  });
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${rejection.status} ${STATUS_CODES[rejection.status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
