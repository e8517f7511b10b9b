/**
 * The narrow interface podnet uses to reach a cluster. `src/cluster/client.ts` implements it
 * with @kubernetes/client-node; nothing else in podnet imports client-node. Every call is
 * bounded (timeouts, tailLines/limitBytes) and rate-limited; failures throw
 * {@link PodnetError}s (`forbidden` names the verb and resource, `not-found` what is missing).
 */
import type {
  CoreV1Event,
  V1EphemeralContainer,
  V1NetworkPolicy,
  V1Node,
  V1Pod,
  V1Service,
  V1Endpoints,
} from '@kubernetes/client-node';

export interface LogOptions {
  container: string;
  previous?: boolean;
  timestamps?: boolean;
  tailLines?: number;
  limitBytes?: number;
  sinceSeconds?: number;
}

export interface ExecOptions {
  /** Whole-call bound; the exec is abandoned (and reported as `timeout`) past it. Default 10 s. */
  timeoutMs?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** 0 on success; the `ExitCode` cause of a `NonZeroExitCode` status otherwise. */
  exitCode: number;
  /** The status message when the runtime refused to start the command (missing tool). */
  failure?: string;
}

/** Which object: the fields an ownerReference or a remediation target carries. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** A Kubernetes object as the API returns it (JSON). */
export type KubeObject = Record<string, unknown> & { apiVersion?: string; kind?: string; metadata?: Record<string, unknown> };

export interface PatchOptions {
  /** `All`: validate server-side, store nothing. */
  dryRun?: boolean;
  /** Recorded in managedFields; podnet uses `podnet`. */
  fieldManager?: string;
}

export interface ClusterAccess {
  /** `gitVersion` from /version. */
  version(): Promise<string>;
  getPod(namespace: string, name: string): Promise<V1Pod>;
  /** Every matching pod, read page by page (`limit` / `continue`, `pageSize` per page, default 500). */
  listPods(namespace: string, options?: { labelSelector?: string; fieldSelector?: string; pageSize?: number }): Promise<V1Pod[]>;
  /** Events whose involvedObject is this pod. */
  listPodEvents(namespace: string, pod: string): Promise<CoreV1Event[]>;
  /** Events whose involvedObject is this node (any namespace). */
  listNodeEvents(node: string): Promise<CoreV1Event[]>;
  getNode(name: string): Promise<V1Node>;
  listNetworkPolicies(namespace: string): Promise<V1NetworkPolicy[]>;
  listServices(namespace: string): Promise<V1Service[]>;
  listEndpoints(namespace: string): Promise<V1Endpoints[]>;
  /** The log as a stream of chunks; never buffered whole. */
  streamLog(namespace: string, pod: string, options: LogOptions): Promise<AsyncIterable<Buffer>>;
  /** Runs a fixed argv in a container (never a shell string built from user input). */
  exec(namespace: string, pod: string, container: string, argv: string[], options?: ExecOptions): Promise<ExecResult>;
  addEphemeralContainer(namespace: string, pod: string, container: V1EphemeralContainer): Promise<V1Pod>;
  /** Any object by apiVersion/kind/name (Pod owners, Seldon Servers…). */
  getObject(ref: ObjectRef): Promise<KubeObject>;
  /** Objects of a kind, in one namespace or (namespace undefined) all of them. */
  listObjects(ref: Omit<ObjectRef, 'name'>, options?: { fieldSelector?: string; labelSelector?: string }): Promise<KubeObject[]>;
  /** PATCH an object: merge (RFC 7386), strategic merge, or JSON patch (RFC 6902). */
  patchObject(ref: ObjectRef, patchType: 'merge' | 'strategic' | 'json', patch: unknown, options?: PatchOptions): Promise<KubeObject>;
  /** API requests made so far by this client (for budgets and benchmarks). */
  requestCount(): number;
}
