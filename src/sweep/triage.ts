/** What a pod list alone says about each pod, and the order a sweep reports them in. Pure. */
import type { V1Pod } from '@kubernetes/client-node';

export interface SweepRow {
  pod: string;
  /** `Running`, `CrashLoopBackOff`, `Pending`, … the most telling state of the pod. */
  state: string;
  ready: string;
  restarts: number;
  healthy: boolean;
  cause?: string;
  confidence?: number;
  /** One line when the pod's check failed. */
  error?: string;
}

/** What the pod list alone says about a pod. */
export function triagePod(pod: V1Pod): SweepRow {
  const statuses = pod.status?.containerStatuses ?? [];
  const specCount = pod.spec?.containers.length ?? statuses.length;
  const readyCount = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  const waiting = statuses.map((s) => s.state?.waiting?.reason).find((r) => r);
  const terminated = statuses.map((s) => s.state?.terminated?.reason).find((r) => r);
  const phase = pod.status?.phase ?? 'Unknown';
  const state = waiting ?? terminated ?? phase;
  const healthy = phase === 'Running' && readyCount === specCount && restarts === 0 && !waiting;
  return { pod: pod.metadata?.name ?? '?', state, ready: `${readyCount}/${specCount}`, restarts, healthy };
}

/** Unhealthy first (most restarts first), then by name. */
export function sortRows(rows: SweepRow[]): SweepRow[] {
  return [...rows].sort((a, b) => Number(a.healthy) - Number(b.healthy) || b.restarts - a.restarts || a.pod.localeCompare(b.pod));
}

