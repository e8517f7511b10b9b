/**
 * Scenario timelines (optional extension of the scenario format): scripted changes at times
 * relative to the simulator's start, so that watch mode and flap detection are tested against
 * a cluster that changes. Files without `timeline` behave exactly as before.
 *
 * ```yaml
 * timeline:
 *   - at: 30s                          # after the simulator started (scaled by timeScale)
 *     pod: financial-ml/mlserver-0
 *     restart: { container: mlserver, reason: Error, exitCode: 137 }
 *   - at: 31s
 *     pod: financial-ml/mlserver-0
 *     log: { container: agent, lines: ['time="…" level=info msg="Waiting for Inference Server service to become ready... connection refused"'] }
 *   - at: 31s
 *     pod: financial-ml/mlserver-0
 *     event: { type: Warning, reason: Unhealthy, message: "Startup probe failed: …", container: mlserver }
 *   - at: 60s
 *     pod: financial-ml/mlserver-0
 *     listen: { container: mlserver, set: [{ proto: tcp, address: 0.0.0.0, port: 9500 }] }
 * ```
 *
 * The cluster's clock moves too: "now" at elapsed time t is the scenario's `now` + t, so ages,
 * `sinceSeconds`, event times and log timestamps stay consistent.
 */
import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** `30s`, `1.5m`, `250ms`, `1h` → milliseconds. */
export function timelineDurationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration (e.g. 30s, 250ms, 2m)`);
  const unit = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000;
  return Number(m[1]) * unit;
}

const listenSchema = z.strictObject({
  proto: z.enum(['tcp', 'tcp6']),
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  uid: z.number().int().min(0).optional(),
});

export const timelineEntrySchema = z
  .strictObject({
    at: z.string().regex(DURATION, 'expected a duration after the simulator starts, like 30s, 250ms or 2m'),
    /** NAMESPACE/POD of a Pod in objects. */
    pod: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected NAMESPACE/POD'),
    /** Restart a container: lastState becomes a termination now, restartCount + 1, current log moves to previous. */
    restart: z
      .strictObject({
        container: z.string().min(1),
        reason: z.string().default('Error'),
        exitCode: z.number().int().min(0).max(255).default(137),
        /** Log lines of the new run (without timestamps; stamped with the cluster's time). */
        lines: z.array(z.string()).default([]),
      })
      .optional(),
    /** Replace a container's listening sockets. */
    listen: z.strictObject({ container: z.string().min(1), set: z.array(listenSchema) }).optional(),
    /** Add an Event about the pod (or one of its containers). */
    event: z
      .strictObject({
        type: z.enum(['Normal', 'Warning']).default('Warning'),
        reason: z.string().min(1),
        message: z.string().min(1),
        container: z.string().optional(),
      })
      .optional(),
    /** Append lines to a container's current log (stamped with the cluster's time). */
    log: z.strictObject({ container: z.string().min(1), lines: z.array(z.string()).min(1) }).optional(),
  })
  .refine((e) => [e.restart, e.listen, e.event, e.log].filter(Boolean).length === 1, {
    message: 'each timeline entry needs exactly one of restart, listen, event or log',
  });

export const timelineSchema = z.array(timelineEntrySchema);
export type TimelineEntry = z.output<typeof timelineEntrySchema>;

/** Minimal structural view of the scenario parts a timeline touches. */
interface PodObject {
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string };
  status?: {
    containerStatuses?: {
      name: string;
      restartCount?: number;
      ready?: boolean;
      state?: { running?: { startedAt?: string }; terminated?: unknown; waiting?: unknown };
      lastState?: unknown;
    }[];
  };
}
interface TimelineScenario {
  now: string;
  objects: { kind: string; metadata: { name: string; namespace?: string } }[];
  pods: Record<string, { containers: Record<string, { listen: unknown[]; logs?: { current?: string; previous?: string } }> }>;
}

function stamp(iso: string, lines: string[]): string {
  return lines.map((l) => `${iso.replace(/\.\d+Z$|Z$/, '.000000000Z')} ${l}\n`).join('');
}

/** Entries sorted by time, with their times in milliseconds. */
export function scheduleOf(entries: TimelineEntry[]): { atMs: number; entry: TimelineEntry }[] {
  return entries.map((entry) => ({ atMs: timelineDurationMs(entry.at), entry })).sort((a, b) => a.atMs - b.atMs);
}

/**
 * The scenario as it stands `elapsedMs` after the start: a deep copy of `base` with every due
 * entry applied in order and `now` moved on. Pure: the same inputs give the same cluster.
 */
export function applyTimeline<S extends TimelineScenario>(base: S, entries: TimelineEntry[], elapsedMs: number): S {
  const s = structuredClone(base);
  const start = Date.parse(base.now);
  let eventSeq = 0;
  for (const { atMs, entry } of scheduleOf(entries)) {
    if (atMs > elapsedMs) break;
    const at = new Date(start + atMs).toISOString();
    const [namespace, name] = entry.pod.split('/') as [string, string];
    const podObj = s.objects.find((o) => o.kind === 'Pod' && o.metadata.name === name && o.metadata.namespace === namespace) as PodObject | undefined;
    const model = (s.pods[entry.pod] ??= { containers: {} });
    const container = (c: string) => (model.containers[c] ??= { listen: [] });

    if (entry.restart) {
      const c = entry.restart.container;
      const status = podObj?.status?.containerStatuses?.find((cs) => cs.name === c);
      if (status) {
        const startedAt = status.state?.running?.startedAt;
        status.lastState = { terminated: { reason: entry.restart.reason, exitCode: entry.restart.exitCode, startedAt, finishedAt: at } };
        status.restartCount = (status.restartCount ?? 0) + 1;
        status.state = { running: { startedAt: new Date(start + atMs + 1000).toISOString() } };
      }
      const cm = container(c);
      cm.logs = { previous: cm.logs?.current ?? '', current: stamp(at, entry.restart.lines) };
    }
    if (entry.listen) container(entry.listen.container).listen = entry.listen.set;
    if (entry.log) {
      const cm = container(entry.log.container);
      cm.logs = { ...cm.logs, current: (cm.logs?.current ?? '') + stamp(at, entry.log.lines) };
    }
    if (entry.event) {
      eventSeq++;
      const fieldPath = entry.event.container ? `spec.containers{${entry.event.container}}` : undefined;
      s.objects.push({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${name}.timeline-${atMs}-${eventSeq}`, namespace },
        involvedObject: { kind: 'Pod', name, namespace, uid: podObj?.metadata.uid, fieldPath },
        type: entry.event.type,
        reason: entry.event.reason,
        message: entry.event.message,
        count: 1,
        firstTimestamp: at,
        lastTimestamp: at,
        source: { component: 'kubelet' },
      } as TimelineScenario['objects'][number]);
    }
  }
  s.now = new Date(start + elapsedMs).toISOString();
  return s;
}
