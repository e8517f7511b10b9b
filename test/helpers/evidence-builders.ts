/**
 * Builders for hand-made Evidence in analysis/render unit tests. Defaults describe a healthy
 * two-container pod; each test states only what differs.
 */
import { emptyEvidence, type ContainerEvidence, type DialEvidence, type EventEvidence, type Evidence, type ListenerEvidence, type LogEvidence, type SignatureId, type SignatureMatch } from '../../src/evidence.js';

export const NOW = new Date('2025-07-06T15:20:00Z');

export function container(name: string, over: Partial<ContainerEvidence> & { statusOver?: Partial<NonNullable<ContainerEvidence['status']>> } = {}): ContainerEvidence {
  const { statusOver, ...rest } = over;
  return {
    name,
    image: `example/${name}:1.0`,
    kind: 'container',
    command: [],
    args: [],
    ports: [],
    env: [],
    resources: {},
    probes: [],
    status: {
      ready: true,
      started: true,
      restartCount: 0,
      state: { state: 'running', startedAt: '2025-07-06T15:00:00Z' },
      ...statusOver,
    },
    ...rest,
  };
}

export function env(pairs: Record<string, string>): ContainerEvidence['env'] {
  return Object.entries(pairs).map(([name, value]) => ({ name, value, from: 'literal' as const }));
}

export function httpProbe(kind: 'liveness' | 'readiness' | 'startup', port: number, over: Partial<ContainerEvidence['probes'][number]> = {}): ContainerEvidence['probes'][number] {
  return { kind, handler: 'httpGet', port, path: '/health', initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: kind === 'startup' ? 10 : 3, ...over };
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

function v4hex(addr: string): string {
  return addr
    .split('.')
    .map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'))
    .reverse()
    .join('');
}

function v6hex(addr: string): string {
  const known: Record<string, string> = {
    '::': '00000000000000000000000000000000',
    '::1': '00000000000000000000000001000000',
  };
  return known[addr] ?? '0000000000000000FFFF00000100007F';
}

export function listener(proto: 'tcp' | 'tcp6', address: string, port: number): ListenerEvidence {
  const a = proto === 'tcp' ? v4hex(address) : v6hex(address);
  const rem = proto === 'tcp' ? '00000000:0000' : '00000000000000000000000000000000:0000';
  // Deterministic, so two builds of the same evidence are equal.
  const ino = 40000 + port + (proto === 'tcp6' ? 50000 : 0) + address.split('').reduce((a, c) => a + c.charCodeAt(0), 0);
  return { proto, address, port, inode: ino, uid: 1000, raw: `   0: ${a}:${hex4(port)} ${rem} 0A 00000000:00000000 00:00000000 00000000  1000        0 ${ino} 1 0000000000000000 100 0 0 10 0` };
}

export function match(signature: SignatureId, container: string, at: string, line: string, over: Partial<SignatureMatch> = {}): SignatureMatch {
  return { signature, container, previous: false, at, line, ...over };
}

export function log(container: string, matches: SignatureMatch[], over: Partial<LogEvidence> = {}): LogEvidence {
  return { container, previous: false, lines: 100, bytes: 10000, truncated: false, matches, tail: [], ...over };
}

export function event(reason: string, message: string, over: Partial<EventEvidence> = {}): EventEvidence {
  return { type: reason === 'Unhealthy' || reason === 'BackOff' || reason === 'Killing' ? 'Warning' : 'Normal', reason, message, count: 1, object: { kind: 'Pod', name: 'pod' }, ...over };
}

export function dial(host: string, port: number, outcome: DialEvidence['outcome'], from = 'client'): DialEvidence {
  return { from, host, port, ok: outcome === 'connected', outcome, tool: 'nc', detail: outcome === 'refused' ? 'Connection refused' : undefined };
}

export interface EvidenceSpec {
  namespace?: string;
  pod?: string;
  client?: string;
  server?: string;
  address?: string;
  port?: number;
  extraPorts?: number[];
  podIP?: string;
  hostNetwork?: boolean;
  containers: ContainerEvidence[];
  initContainers?: ContainerEvidence[];
  listeners?: ListenerEvidence[];
  netns?: Record<string, string>;
  events?: EventEvidence[];
  nodeEvents?: EventEvidence[];
  logs?: LogEvidence[];
  dials?: DialEvidence[];
  labels?: Record<string, string>;
  startTime?: string;
  extra?: Partial<Evidence>;
}

/** A whole Evidence object from a spec; sockets read from the first container. */
export function evidence(spec: EvidenceSpec): Evidence {
  const ns = spec.namespace ?? 'team-a';
  const podName = spec.pod ?? 'app-0';
  const podIP = spec.podIP ?? '10.42.3.21';
  const ev = emptyEvidence(
    { namespace: ns, pod: podName, client: spec.client, server: spec.server, address: spec.address ?? '127.0.0.1', port: spec.port, extraPorts: spec.extraPorts, inferredFrom: [] },
    NOW.toISOString(),
  );
  ev.pod = {
    namespace: ns,
    name: podName,
    nodeName: 'node-1',
    podIP,
    podIPs: [podIP],
    hostIP: '192.168.1.11',
    hostNetwork: spec.hostNetwork ?? false,
    phase: 'Running',
    startTime: spec.startTime ?? '2025-07-06T15:00:00Z',
    labels: spec.labels ?? { app: 'demo' },
    conditions: [],
    containers: spec.containers,
    initContainers: spec.initContainers ?? [],
    ephemeralContainers: [],
  };
  const first = spec.containers[0]?.name ?? 'c';
  if (spec.listeners) ev.sockets = [{ readFrom: first, netns: spec.netns?.[first], listeners: spec.listeners }];
  if (spec.netns) ev.netns = Object.entries(spec.netns).map(([container, netns]) => ({ container, netns }));
  ev.events = (spec.events ?? []).map((e) => ({ ...e, object: { ...e.object, name: podName } }));
  ev.nodeEvents = spec.nodeEvents ?? [];
  ev.logs = spec.logs ?? [];
  ev.dials = spec.dials ?? [];
  ev.steps = [{ name: 'get-pod', ok: true }];
  ev.node = { name: 'node-1', k3sVersion: 'v1.32.5+k3s1', kubeletVersion: 'v1.32.5+k3s1', containerRuntime: 'containerd://2.0.5-k3s1', cni: 'flannel', cniBackend: 'vxlan' };
  return { ...ev, ...spec.extra };
}

/**
 * The seed incident (../shared/seed): agent → 127.0.0.1:9500 refused in the gaps while kubelet
 * restarts mlserver, which is bound to 127.0.0.1 and probed on the pod IP.
 */
export function seedIncident(): Evidence {
  const podIP = '10.42.1.17';
  const mlserver = container('mlserver', {
    image: 'seldonio/mlserver:1.6.1',
    ports: [
      { name: 'http', containerPort: 9000, protocol: 'TCP' },
      { name: 'grpc', containerPort: 9500, protocol: 'TCP' },
      { name: 'metrics', containerPort: 8082, protocol: 'TCP' },
    ],
    env: env({ MLSERVER_HOST: '127.0.0.1', MLSERVER_HTTP_PORT: '9000', MLSERVER_GRPC_PORT: '9500', MLSERVER_METRICS_PORT: '8082' }),
    resources: { limits: { memory: '4Gi' }, requests: { memory: '2Gi' } },
    probes: [httpProbe('startup', 9000, { path: '/v2/health/live' }), httpProbe('liveness', 9000, { path: '/v2/health/live' })],
    statusOver: {
      ready: false,
      started: false,
      restartCount: 7,
      state: { state: 'running', startedAt: '2025-07-06T15:19:22Z' },
      lastState: { state: 'terminated', reason: 'Error', exitCode: 137, startedAt: '2025-07-06T15:17:41Z', finishedAt: '2025-07-06T15:19:20Z' },
    },
  });
  const agent = container('agent', {
    image: 'seldonio/seldon-agent:2.9.1',
    env: env({ SELDON_SERVER_HOST: '127.0.0.1', SELDON_SERVER_HTTP_PORT: '9000', SELDON_SERVER_GRPC_PORT: '9500' }),
    statusOver: { ready: true, restartCount: 0, state: { state: 'running', startedAt: '2025-07-06T15:17:40Z' } },
  });
  const rclone = container('rclone', { image: 'rclone/rclone:1.68', ports: [{ containerPort: 5572, protocol: 'TCP' }], statusOver: { state: { state: 'running', startedAt: '2025-07-06T15:17:40Z' } } });
  const netns = 'net:[4026532415]';
  return evidence({
    namespace: 'financial-ml',
    pod: 'mlserver-0',
    client: 'agent',
    server: 'mlserver',
    port: 9500,
    extraPorts: [9000],
    podIP,
    startTime: '2025-07-06T15:17:38Z',
    labels: { 'seldon-server-name': 'mlserver', 'app.kubernetes.io/name': 'mlserver' },
    containers: [rclone, agent, mlserver],
    listeners: [listener('tcp', '127.0.0.1', 9500), listener('tcp', '127.0.0.1', 9000), listener('tcp', '127.0.0.1', 8082), listener('tcp', '0.0.0.0', 5572)],
    netns: { rclone: netns, agent: netns, mlserver: netns },
    events: [
      event('Unhealthy', `Startup probe failed: Get "http://${podIP}:9000/v2/health/live": dial tcp ${podIP}:9000: connect: connection refused`, { container: 'mlserver', count: 68, firstAt: '2025-07-06T15:05:10Z', at: '2025-07-06T15:19:19Z', object: { kind: 'Pod', name: 'mlserver-0', fieldPath: 'spec.containers{mlserver}' } }),
      event('Killing', 'Container mlserver failed startup probe, will be restarted', { container: 'mlserver', count: 7, firstAt: '2025-07-06T15:06:40Z', at: '2025-07-06T15:19:20Z', object: { kind: 'Pod', name: 'mlserver-0', fieldPath: 'spec.containers{mlserver}' } }),
    ],
    logs: [
      log('agent', [
        match('agent-inference-host', 'agent', '2025-07-06T15:17:42Z', 'level=info msg="Setting inference-host from SELDON_SERVER_HOST to 127.0.0.1"'),
        match('agent-waiting', 'agent', '2025-07-06T15:17:51Z', 'level=info msg="Waiting for Inference Server service to become ready... dial tcp 127.0.0.1:9500: connect: connection refused"'),
        match('client-refused', 'agent', '2025-07-06T15:17:51Z', 'level=info msg="Waiting for Inference Server service to become ready... dial tcp 127.0.0.1:9500: connect: connection refused"'),
        match('agent-ready', 'agent', '2025-07-06T15:17:53Z', 'level=info msg="All critical agent subservices ready."'),
        match('agent-waiting', 'agent', '2025-07-06T15:19:24Z', 'level=info msg="Waiting for Inference Server service to become ready... dial tcp 127.0.0.1:9500: connect: connection refused"'),
      ]),
      log('mlserver', [
        match('server-http-running', 'mlserver', '2025-07-06T15:19:27Z', 'INFO:     HTTP server running on http://127.0.0.1:9000', { groups: { host: '127.0.0.1', port: '9000' } }),
        match('server-grpc-running', 'mlserver', '2025-07-06T15:19:27Z', 'INFO:     gRPC server running on http://127.0.0.1:9500', { groups: { host: '127.0.0.1', port: '9500' } }),
      ]),
    ],
    dials: [dial('127.0.0.1', 9500, 'connected', 'agent'), dial(podIP, 9500, 'refused', 'agent')],
  });
}
