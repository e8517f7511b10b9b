/**
 * Container logs, current and previous, streamed and bounded (lines and bytes, server-side and
 * again while scanning), read with kubelet timestamps and matched against known signatures as
 * they stream — a 1 GB log is never held in memory.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterAccess } from '../cluster/types.js';
import type { LogEvidence } from '../evidence.js';
import { scanLog } from '../logscan/scan.js';
import { runStep, type StepSink } from './step.js';

export const DEFAULT_LOG_LINES = 5000;
export const DEFAULT_LOG_BYTES = 2 * 1024 * 1024;

export interface LogProbeOptions {
  /** Last N lines of each log. Default 5000. */
  logLines?: number;
  /** At most this many bytes of each log. Default 2 MiB. */
  logBytes?: number;
}

/** A log to read: which container, current or previous run. */
export interface LogTarget {
  container: string;
  previous: boolean;
}

/**
 * Which logs are worth a request: every container's current log (plus native sidecars), and
 * the previous one only where there was a previous run (restartCount > 0 or a lastState) —
 * asking for a previous log that does not exist costs a request and returns a 400.
 */
export function logTargets(pod: V1Pod): LogTarget[] {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const names = [
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
    ...(pod.spec?.containers ?? []).map((c) => c.name),
  ];
  const targets: LogTarget[] = [];
  for (const name of names) {
    targets.push({ container: name, previous: false });
    const st = statuses.find((s) => s.name === name);
    if (st && (st.restartCount > 0 || st.lastState?.terminated)) targets.push({ container: name, previous: true });
  }
  return targets;
}

/** Reads and scans one log (one request). */
export async function probeLog(
  cluster: ClusterAccess,
  namespace: string,
  pod: string,
  target: LogTarget,
  options: LogProbeOptions = {},
): Promise<LogEvidence> {
  const maxLines = options.logLines ?? DEFAULT_LOG_LINES;
  const maxBytes = options.logBytes ?? DEFAULT_LOG_BYTES;
  const stream = await cluster.streamLog(namespace, pod, {
    container: target.container,
    previous: target.previous,
    timestamps: true,
    tailLines: maxLines,
    limitBytes: maxBytes,
  });
  return scanLog(stream, { container: target.container, previous: target.previous, maxLines, maxBytes, tailLines: maxLines });
}

/** Step name of a log read: `logs:mlserver` or `logs:mlserver:previous`. */
export function logStepName(t: LogTarget): string {
  return `logs:${t.container}${t.previous ? ':previous' : ''}`;
}

/** Reads every worthwhile log of the pod concurrently; a failed read is a failed step. */
export async function probeLogs(
  cluster: ClusterAccess,
  pod: V1Pod,
  sink: StepSink,
  options: LogProbeOptions & { containers?: string[] } = {},
): Promise<LogEvidence[]> {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const targets = logTargets(pod).filter((t) => !options.containers || options.containers.includes(t.container));
  const results = await Promise.all(targets.map((t) => runStep(sink, logStepName(t), () => probeLog(cluster, namespace, name, t, options))));
  return results.filter((r): r is LogEvidence => r !== undefined);
}
