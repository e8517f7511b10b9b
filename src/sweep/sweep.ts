/**
 * Sweep: check every matching pod in a namespace and summarise. A paged LIST (500 a page,
 * `continue` to the end: src/cluster/client.ts listPods) finds every pod, however many; a
 * pod whose containers are all running, ready and never restarted is reported from that list
 * alone (no further requests); every other pod gets a full check. Checks run through a
 * bounded pool on ONE cluster client, so its rate limiter paces the whole sweep: the sweep
 * keeps the limiter busy without ever going over it.
 */
import { diagnose } from '../analysis/diagnose.js';
import type { ClusterAccess } from '../cluster/types.js';
import { describeError } from '../errors.js';
import { collectEvidence } from '../probes/collect.js';
import { sortRows, triagePod, type SweepRow } from './triage.js';

export type { SweepRow };

export interface SweepRequest {
  namespace: string;
  labelSelector?: string;
}

export interface SweepResult {
  namespace: string;
  labelSelector?: string;
  rows: SweepRow[];
  /** Pods that needed a full check. */
  checked: number;
  apiRequests: number;
  durationMs: number;
}

export interface SweepOptions {
  /** Checks in flight at once; default 8. The rate limiter, not this, sets the pace. */
  concurrency?: number;
  /** Called as pods complete, for progress messages. */
  onProgress?: (done: number, total: number, row: SweepRow) => void;
  /** The cluster's clock for the analysis; default: the check's collection time. */
  now?: () => Date;
}

export async function runSweep(cluster: ClusterAccess, request: SweepRequest, options: SweepOptions = {}): Promise<SweepResult> {
  const started = Date.now();
  const before = cluster.requestCount();
  // Every page: a namespace of 5000 pods is swept as 5000, not silently as the first 1000.
  const pods = await cluster.listPods(request.namespace, { labelSelector: request.labelSelector });
  const rows: SweepRow[] = new Array(pods.length);
  let done = 0;
  let checked = 0;
  const finish = (i: number, row: SweepRow) => {
    rows[i] = row;
    done++;
    options.onProgress?.(done, pods.length, row);
  };

  const queue = pods.map((pod, i) => ({ pod, i }));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const row = triagePod(next.pod);
      if (row.healthy) {
        finish(next.i, row);
        continue;
      }
      checked++;
      try {
        const evidence = await collectEvidence(cluster, { namespace: request.namespace, pod: row.pod }, { now: options.now });
        if (!evidence.pod) {
          // The pod could not be read (e.g. RBAC): say so in its row instead of guessing a cause.
          finish(next.i, { ...row, error: evidence.steps.find((st) => !st.ok)?.error ?? 'the pod could not be read' });
          continue;
        }
        const now = options.now?.() ?? new Date(evidence.clusterNow ?? evidence.collectedAt);
        const top = diagnose(evidence, { now }).hypotheses[0];
        finish(next.i, { ...row, cause: top?.cause, confidence: top?.confidence });
      } catch (err) {
        finish(next.i, { ...row, error: describeError(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, pods.length)) }, worker));

  return {
    namespace: request.namespace,
    labelSelector: request.labelSelector,
    rows: sortRows(rows),
    checked,
    apiRequests: cluster.requestCount() - before,
    durationMs: Date.now() - started,
  };
}
