/**
 * One check's evidence, collected with as few API requests as the question allows: the pod
 * first (it decides everything else), then events, node, policies, services, logs and the
 * inside probes concurrently. For the seed pod (3 containers, one restarted) that is 12
 * requests: pod 1, events 2, node 1, policies 1, services 1, logs 4, exec 2.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterAccess } from '../cluster/types.js';
import { PodnetError } from '../errors.js';
import { emptyEvidence, type Evidence, type LogEvidence, type Step } from '../evidence.js';
import { nodeEventsMatter, probeNodeEvents, probePodEvents } from './events.js';
import { probeInside } from './inside.js';
import { probeLogs } from './logs.js';
import { detectSidecars, probePolicies, probeServices } from './network.js';
import { probeNode } from './node.js';
import { redactDeep } from '../logscan/redact.js';
import { podEvidence } from './pod.js';
import { failStep, recordStep, runStep, type StepSink } from './step.js';
import { inferTarget, isSeldonServerPod } from './target.js';

/** What to check. Names are validated by the caller (CLI, Slack grammar). */
export interface CheckRequest {
  namespace: string;
  pod: string;
  client?: string;
  server?: string;
  port?: number;
  /** Opt-in: attach an ephemeral container with this image when no container can dial. */
  debugContainerImage?: string;
}

export interface CollectOptions {
  /** The clock for `collectedAt` (and `clusterNow`); pass the cluster's clock when known. */
  now?: () => Date;
  /** Last N lines per log. Default 5000. */
  logLines?: number;
  /** Bytes per log. Default 2 MiB. */
  logBytes?: number;
  /** Leave logs to a separate {@link collectLogs} call (the worker runs them as their own job). */
  skipLogs?: boolean;
  /** Called as each step finishes (CLI progress lines, Slack progress updates). */
  onProgress?: (step: Step) => void;
  /** Per exec. Default 10 s. */
  execTimeoutMs?: number;
}

/** Failures that mean there is no check to make: the pod is not there, or the API is not. */
function fatal(err: unknown): boolean {
  return err instanceof PodnetError && (err.code === 'not-found' || err.code === 'unavailable');
}

async function fetchPod(cluster: ClusterAccess, request: CheckRequest, sink: StepSink): Promise<V1Pod | undefined> {
  const started = performance.now();
  try {
    const pod = await cluster.getPod(request.namespace, request.pod);
    recordStep(sink, { name: 'get-pod', ok: true, durationMs: Math.round(performance.now() - started) });
    return pod;
  } catch (err) {
    if (fatal(err)) throw err;
    failStep(sink, 'get-pod', err, Math.round(performance.now() - started));
    return undefined;
  }
}

/**
 * Collects the evidence of one check. A failed probe becomes a failed step and the check goes
 * on; it throws only when there is nothing to check: {@link PodnetError} `not-found` (no such
 * pod) or `unavailable` (the API cannot be reached).
 */
export async function collectEvidence(cluster: ClusterAccess, request: CheckRequest, options: CollectOptions = {}): Promise<Evidence> {
  const now = options.now ?? (() => new Date());
  const startCount = cluster.requestCount();
  const sink: StepSink = { steps: [], onProgress: options.onProgress };
  const v1pod = await fetchPod(cluster, request, sink);
  if (!v1pod) {
    const ev = emptyEvidence(inferTarget(request, undefined), now().toISOString());
    ev.steps = sink.steps;
    ev.apiRequests = cluster.requestCount() - startCount;
    return redactDeep(ev);
  }
  const pod = podEvidence(v1pod);
  const ns = request.namespace;
  const nodeName = pod.nodeName;

  const events = runStep(sink, 'events', () => probePodEvents(cluster, ns, request.pod, v1pod.metadata?.uid));
  const nodeEvents = nodeName && nodeEventsMatter(v1pod) ? runStep(sink, 'node-events', () => probeNodeEvents(cluster, nodeName)) : Promise.resolve(undefined);
  const node = nodeName ? runStep(sink, 'node', () => probeNode(cluster, nodeName)) : Promise.resolve(undefined);
  const policies = runStep(sink, 'network-policies', () => probePolicies(cluster, ns, pod.labels));
  const services = runStep(sink, 'services', () => probeServices(cluster, ns, pod.labels));
  const logs: Promise<LogEvidence[]> = options.skipLogs
    ? Promise.resolve([])
    : probeLogs(cluster, v1pod, sink, { logLines: options.logLines, logBytes: options.logBytes });

  // A Seldon pod (or one whose client and port were given) needs no logs to know its target,
  // so the execs run alongside the log reads; otherwise the client's refusals name the target.
  const logsNeeded = !options.skipLogs && !isSeldonServerPod(pod) && !(request.client && request.port !== undefined);
  const target = logsNeeded ? inferTarget(request, pod, await logs) : inferTarget(request, pod, []);
  const inside = probeInside(cluster, v1pod, target, sink, { debugContainerImage: request.debugContainerImage, execTimeoutMs: options.execTimeoutMs });

  const [evs, nevs, nodeEv, pols, svcs, logEv, ins] = await Promise.all([events, nodeEvents, node, policies, services, logs, inside]);
  // Re-infer with the logs in hand: for Seldon pods a log line can name the inference host.
  const finalTarget = logsNeeded || options.skipLogs ? target : inferTarget(request, pod, logEv);
  if (finalTarget.address !== target.address) finalTarget.inferredFrom.push(`note: the dial probe used ${target.address ?? 'no address'}`);

  const ev = emptyEvidence(finalTarget, now().toISOString());
  ev.clusterNow = ev.collectedAt;
  ev.pod = pod;
  ev.events = evs ?? [];
  ev.nodeEvents = nevs ?? [];
  if (nodeEv) ev.node = nodeEv;
  ev.policies = pols ?? [];
  ev.services = svcs ?? [];
  ev.logs = logEv;
  ev.sidecars = detectSidecars(v1pod);
  ev.sockets = ins.sockets;
  ev.netns = ins.netns;
  ev.dials = ins.dials;
  ev.missingTools = ins.missingTools;
  if (ins.debugContainer) ev.debugContainer = ins.debugContainer;
  ev.steps = sink.steps;
  ev.apiRequests = cluster.requestCount() - startCount;
  // Every free-text field (termination and event messages, step errors, dial details) leaves
  // here redacted: this evidence reaches Slack, the evidence file and `check --output json`.
  return redactDeep(ev);
}

/**
 * The logs of a check on their own (a separate worker job). Fetches the pod when not given;
 * throws {@link PodnetError} `not-found` when it is absent.
 */
export async function collectLogs(
  cluster: ClusterAccess,
  request: CheckRequest,
  pod: V1Pod | undefined,
  options: Pick<CollectOptions, 'logLines' | 'logBytes' | 'onProgress'> & { containers?: string[] } = {},
): Promise<{ logs: LogEvidence[]; steps: Step[] }> {
  const sink: StepSink = { steps: [], onProgress: options.onProgress };
  const v1pod = pod ?? (await fetchPod(cluster, request, sink));
  if (!v1pod) return { logs: [], steps: sink.steps };
  const logs = await probeLogs(cluster, v1pod, sink, options);
  return redactDeep({ logs, steps: sink.steps });
}
