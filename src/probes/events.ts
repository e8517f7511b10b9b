/**
 * Events of the pod (Unhealthy, Killing, BackOff…) and of its node (OOMKilling, SystemOOM):
 * the kubelet's own account of probe failures and kills, which the timeline lines up with
 * the client's refusals.
 */
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { ClusterAccess } from '../cluster/types.js';
import type { EventEvidence } from '../evidence.js';
import { toIso } from './step.js';

/** One event as evidence. Pure. */
export function eventEvidence(e: CoreV1Event): EventEvidence {
  const fieldPath = e.involvedObject.fieldPath;
  const container = fieldPath?.match(/^spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]+)\}$/)?.[1];
  const at = toIso(e.lastTimestamp) ?? toIso(e.series?.lastObservedTime) ?? toIso(e.eventTime) ?? toIso(e.firstTimestamp);
  const firstAt = toIso(e.firstTimestamp) ?? toIso(e.eventTime);
  return {
    ...(at ? { at } : {}),
    ...(firstAt ? { firstAt } : {}),
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: (e.message ?? '').trim(),
    count: e.count ?? e.series?.count ?? 1,
    object: { kind: e.involvedObject.kind ?? '', name: e.involvedObject.name ?? '', ...(fieldPath ? { fieldPath } : {}) },
    ...(container ? { container } : {}),
  };
}

/** Oldest first, so the timeline reads top-down. */
export function sortEvents(events: EventEvidence[]): EventEvidence[] {
  return [...events].sort((a, b) => (a.at ?? a.firstAt ?? '').localeCompare(b.at ?? b.firstAt ?? ''));
}

/**
 * The pod's events (one list request). With `uid`, events about an earlier pod of the same
 * name (a StatefulSet pod replaced by its controller) are left out: they are about a pod that
 * no longer runs (events outlive their object; the default event TTL is 1 h,
 * https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/ --event-ttl).
 */
export async function probePodEvents(cluster: ClusterAccess, namespace: string, pod: string, uid?: string): Promise<EventEvidence[]> {
  const events = await cluster.listPodEvents(namespace, pod);
  return sortEvents(events.filter((e) => !uid || !e.involvedObject.uid || e.involvedObject.uid === uid).map(eventEvidence));
}

/**
 * Whether the node's events can matter: a container was terminated (an OOM kill shows up as a
 * node event, SystemOOM) or the pod is not running. Otherwise the request is saved for the budget.
 */
export function nodeEventsMatter(pod: V1Pod): boolean {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const terminated = statuses.some((s) => s.restartCount > 0 || s.lastState?.terminated || s.state?.terminated);
  return !!pod.spec?.nodeName && (terminated || (pod.status?.phase !== undefined && pod.status.phase !== 'Running'));
}

/** The node's events (one list request across namespaces). */
export async function probeNodeEvents(cluster: ClusterAccess, node: string): Promise<EventEvidence[]> {
  return sortEvents((await cluster.listNodeEvents(node)).map(eventEvidence));
}
