/**
 * The evidence of one check: one typed, JSON-serialisable object. Probes fill it; a probe
 * that fails records a {@link Step} with `ok: false` instead of throwing. Analysis and
 * rendering read it and nothing else, so a saved evidence file can be re-analysed offline
 * (`podnet analyze evidence.json`).
 */

/** Bumped only on an incompatible change; readers reject versions they do not know. */
export const EVIDENCE_SCHEMA_VERSION = 1 as const;

/** Stable error codes carried by failed steps and by {@link PodnetError}s. */
export type ErrorCode =
  | 'forbidden'
  | 'not-found'
  | 'timeout'
  | 'unavailable'
  | 'server-error'
  | 'rate-limited'
  | 'no-tool'
  | 'bad-input'
  | 'exec-failed'
  | 'internal';

/** One thing a probe tried to do, and how it went. Every probe records at least one. */
export interface Step {
  /** Short kebab-case name, e.g. `get-pod`, `events`, `logs:mlserver:previous`, `exec:sockets`. */
  name: string;
  ok: boolean;
  /** One line for the user: what failed and, for 403, the verb and resource RBAC refused. */
  error?: string;
  code?: ErrorCode;
  durationMs?: number;
}

export interface EnvVarEvidence {
  name: string;
  /** Literal value; absent when not literal (valueFrom) or when masked. */
  value?: string;
  /** True when a literal value looked like a secret and was withheld. */
  masked?: boolean;
  /** Where a non-literal value comes from; values of `secretKeyRef` are never read. */
  from?: 'literal' | 'secretKeyRef' | 'configMapKeyRef' | 'fieldRef' | 'resourceFieldRef';
  /** e.g. `status.podIP` for a fieldRef, `my-secret/token` for a secretKeyRef. */
  ref?: string;
}

export interface ProbeSpecEvidence {
  kind: 'liveness' | 'readiness' | 'startup';
  handler: 'httpGet' | 'tcpSocket' | 'grpc' | 'exec';
  /** Resolved numeric port when the spec names a container port. */
  port?: number;
  /** The `host` field; absent means kubelet dials the pod IP. */
  host?: string;
  path?: string;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

export interface ContainerStateEvidence {
  state: 'running' | 'waiting' | 'terminated' | 'unknown';
  reason?: string;
  message?: string;
  exitCode?: number;
  signal?: number;
  startedAt?: string;
  finishedAt?: string;
}

export interface ContainerEvidence {
  name: string;
  image: string;
  kind: 'container' | 'init' | 'ephemeral';
  /** `Always` on an init container marks a native sidecar. */
  restartPolicy?: string;
  command: string[];
  args: string[];
  ports: { name?: string; containerPort: number; protocol: string }[];
  env: EnvVarEvidence[];
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  probes: ProbeSpecEvidence[];
  status?: {
    ready: boolean;
    started?: boolean;
    restartCount: number;
    state: ContainerStateEvidence;
    lastState?: ContainerStateEvidence;
  };
}

export interface PodEvidence {
  namespace: string;
  name: string;
  uid?: string;
  nodeName?: string;
  podIP?: string;
  podIPs: string[];
  hostIP?: string;
  hostNetwork: boolean;
  shareProcessNamespace?: boolean;
  phase?: string;
  startTime?: string;
  labels: Record<string, string>;
  owner?: { kind: string; name: string };
  conditions: { type: string; status: string; reason?: string; lastTransitionTime?: string }[];
  containers: ContainerEvidence[];
  initContainers: ContainerEvidence[];
  ephemeralContainers: ContainerEvidence[];
}

export interface EventEvidence {
  /** Last time seen (lastTimestamp, else eventTime, else firstTimestamp). */
  at?: string;
  firstAt?: string;
  type: string;
  reason: string;
  message: string;
  count: number;
  object: { kind: string; name: string; fieldPath?: string };
  /** The container named by `fieldPath` (`spec.containers{mlserver}`), when there is one. */
  container?: string;
}

/** Ids of the log signatures podnet knows; see src/logscan/signatures.ts. */
export type SignatureId =
  | 'client-refused'
  | 'agent-waiting'
  | 'agent-gave-up'
  | 'agent-ready'
  | 'agent-not-ready-legacy'
  | 'agent-inference-host'
  | 'server-http-running'
  | 'server-grpc-running'
  | 'model-loaded'
  | 'worker-stopped'
  | 'bind-error'
  | 'traceback'
  | 'oom'
  | 'mesh-proxy';

export interface SignatureMatch {
  signature: SignatureId;
  container: string;
  previous: boolean;
  /** The kubelet timestamp of the line, when the log was read with timestamps. */
  at?: string;
  /** The line as logged (without the kubelet timestamp), trimmed to 500 characters. */
  line: string;
  /** Named captures, e.g. `{ host: '127.0.0.1', port: '9500' }`. */
  groups?: Record<string, string>;
}

export interface LogEvidence {
  container: string;
  previous: boolean;
  lines: number;
  bytes: number;
  /** True when the bound (lines or bytes) cut the log. */
  truncated: boolean;
  firstAt?: string;
  lastAt?: string;
  matches: SignatureMatch[];
  /**
   * How many lines matched each signature in the scanned part of the log. `matches` keeps
   * only the first and last few per signature, so this is where "refused 312 times" comes from.
   */
  signatureCounts?: Partial<Record<SignatureId, number>>;
  /** The last few lines, for display. */
  tail: { at?: string; text: string }[];
}

export interface ListenerEvidence {
  proto: 'tcp' | 'tcp6';
  /** Decoded address: `127.0.0.1`, `0.0.0.0`, `::`, `::1`, `10.42.1.17`. */
  address: string;
  port: number;
  inode?: number;
  uid?: number;
  /** The row as the kernel printed it. */
  raw: string;
}

export interface SocketTableEvidence {
  /** The container the table was read from (any container: the table is per namespace). */
  readFrom: string;
  netns?: string;
  listeners: ListenerEvidence[];
}

export interface NetnsEvidence {
  container: string;
  /** `net:[4026532...]` as printed by `readlink /proc/self/ns/net`. */
  netns?: string;
  error?: string;
}

export interface DialEvidence {
  from: string;
  host: string;
  port: number;
  ok: boolean;
  /**
   * `refused` = a RST or ICMP port-unreachable: nothing accepted that address:port, or a REJECT
   * rule answered (never on the pod's own loopback); `timeout` = no answer (a DROP rule, an
   * unroutable address); `unresolved` = the name did not resolve (NXDOMAIN, or no answer from
   * the resolver); `error` = anything else (the detail says what: no route, a tool that cannot
   * dial this address…).
   */
  outcome: 'connected' | 'refused' | 'timeout' | 'unresolved' | 'error';
  detail?: string;
  tool: string;
}

export interface NetworkPolicyEvidence {
  name: string;
  policyTypes: string[];
  ingressRules: number;
  egressRules: number;
  allowsAllIngress: boolean;
  allowsAllEgress: boolean;
}

export interface ServiceEvidence {
  name: string;
  type: string;
  clusterIP?: string;
  ports: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
  selector: Record<string, string>;
}

export interface NodeEvidence {
  name: string;
  kubeletVersion?: string;
  /** e.g. `v1.32.5+k3s1` when the node runs K3s. */
  k3sVersion?: string;
  containerRuntime?: string;
  osImage?: string;
  kernelVersion?: string;
  /** e.g. `flannel`; from node annotations. */
  cni?: string;
  /** e.g. `vxlan`; from `flannel.alpha.coreos.com/backend-type`. */
  cniBackend?: string;
}

/** What the check is about: who dials whom, and how each part was found. */
export interface TargetEvidence {
  namespace: string;
  pod: string;
  client?: string;
  server?: string;
  /** The address the client dials, e.g. `127.0.0.1`. */
  address?: string;
  port?: number;
  /** Other ports of the same server worth knowing (e.g. the HTTP port). */
  extraPorts?: number[];
  /** One sentence per inferred part: "port 9500 from agent env SELDON_SERVER_GRPC_PORT". */
  inferredFrom: string[];
}

export interface Evidence {
  schemaVersion: typeof EVIDENCE_SCHEMA_VERSION;
  /** When collection finished (ISO). */
  collectedAt: string;
  /** The cluster's clock when known (scenario `now` on the simulator), else collectedAt. */
  clusterNow?: string;
  clusterVersion?: string;
  target: TargetEvidence;
  pod?: PodEvidence;
  events: EventEvidence[];
  nodeEvents: EventEvidence[];
  logs: LogEvidence[];
  sockets: SocketTableEvidence[];
  netns: NetnsEvidence[];
  dials: DialEvidence[];
  policies: NetworkPolicyEvidence[];
  /** Services of the pod's namespace (those selecting the pod first; at most 200). */
  services: ServiceEvidence[];
  node?: NodeEvidence;
  /** Mesh proxy containers (istio-proxy, linkerd-proxy) and init containers (istio-init). */
  sidecars: string[];
  /** Containers with no usable tool for a probe, and which tool was missing. */
  missingTools: { container: string; tool: string }[];
  /** Set when an ephemeral debug container was attached for this check. */
  debugContainer?: { name: string; image: string };
  steps: Step[];
  /** API requests this check made. */
  apiRequests?: number;
}

/** An empty evidence object for a target; probes fill it in. */
export function emptyEvidence(target: TargetEvidence, collectedAt: string): Evidence {
  return {
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    collectedAt,
    target,
    events: [],
    nodeEvents: [],
    logs: [],
    sockets: [],
    netns: [],
    dials: [],
    policies: [],
    services: [],
    sidecars: [],
    missingTools: [],
    steps: [],
  };
}
