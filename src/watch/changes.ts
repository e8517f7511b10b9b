/**
 * Watch mode's judgement, pure: reduce each check to a snapshot, say what changed between two
 * snapshots (a watch posts only then), and spot flapping across the history. The clock is
 * whatever the evidence says (the cluster's time), never read here.
 */
import type { Diagnosis } from '../analysis/types.js';
import type { Evidence } from '../evidence.js';

export interface WatchSnapshot {
  /** The cluster's time of the check. */
  at: string;
  cause: string;
  confidence: number;
  /** restartCount per container. */
  restarts: Record<string, number>;
  /** The last termination (finishedAt) per container, when there is one. */
  terminations: Record<string, { finishedAt: string; reason?: string; exitCode?: number }>;
  /** Dial outcome per `from->host:port`. */
  dials: Record<string, string>;
  /** Times of the client's refusals seen in its logs. */
  refusals: string[];
}

export interface WatchChange {
  kind: 'restart' | 'cause' | 'confidence' | 'dial' | 'refusal';
  text: string;
}

/** Confidence moves smaller than this are noise, not news. */
const CONFIDENCE_STEP = 0.15;

export function snapshotOf(evidence: Evidence, diagnosis: Diagnosis): WatchSnapshot {
  const top = diagnosis.hypotheses[0];
  const restarts: WatchSnapshot['restarts'] = {};
  const terminations: WatchSnapshot['terminations'] = {};
  for (const c of evidence.pod?.containers ?? []) {
    if (!c.status) continue;
    restarts[c.name] = c.status.restartCount;
    const last = c.status.lastState;
    if (last?.state === 'terminated' && last.finishedAt) {
      terminations[c.name] = { finishedAt: last.finishedAt, reason: last.reason, exitCode: last.exitCode };
    }
  }
  const dials: WatchSnapshot['dials'] = {};
  for (const d of evidence.dials) dials[`${d.from}->${d.host}:${d.port}`] = d.outcome;
  const refusals = evidence.logs
    .filter((l) => l.container === evidence.target.client)
    .flatMap((l) => l.matches)
    .filter((m) => (m.signature === 'client-refused' || m.signature === 'agent-waiting') && m.at)
    .map((m) => m.at!)
    .sort();
  return {
    at: evidence.clusterNow ?? evidence.collectedAt,
    cause: top?.cause ?? 'unknown',
    confidence: top?.confidence ?? 0,
    restarts,
    terminations,
    dials,
    refusals: [...new Set(refusals)],
  };
}

function pct(n: number): string {
  return `${Math.round(n * 100)}%`;
}

/** What changed from `prev` to `next`; empty when nothing worth a post changed. */
export function diffSnapshots(prev: WatchSnapshot, next: WatchSnapshot): WatchChange[] {
  const changes: WatchChange[] = [];
  for (const [container, count] of Object.entries(next.restarts)) {
    const before = prev.restarts[container] ?? 0;
    if (count > before) {
      const t = next.terminations[container];
      const why = t ? ` (last exit: ${t.reason ?? 'terminated'}${t.exitCode === undefined ? '' : `, code ${t.exitCode}`} at ${t.finishedAt})` : '';
      changes.push({ kind: 'restart', text: `${container} restarted ${count - before} more time${count - before === 1 ? '' : 's'}: restartCount ${before} → ${count}${why}` });
    }
  }
  if (next.cause !== prev.cause) {
    changes.push({ kind: 'cause', text: `leading cause changed: ${prev.cause} (${pct(prev.confidence)}) → ${next.cause} (${pct(next.confidence)})` });
  } else if (Math.abs(next.confidence - prev.confidence) >= CONFIDENCE_STEP) {
    const dir = next.confidence > prev.confidence ? 'gained' : 'lost';
    changes.push({ kind: 'confidence', text: `${next.cause} ${dir} confidence: ${pct(prev.confidence)} → ${pct(next.confidence)}` });
  }
  for (const [dial, outcome] of Object.entries(next.dials)) {
    const before = prev.dials[dial];
    if (before !== undefined && before !== outcome) changes.push({ kind: 'dial', text: `dial ${dial} flipped: ${before} → ${outcome}` });
  }
  const seen = new Set(prev.refusals);
  const fresh = next.refusals.filter((r) => !seen.has(r));
  if (fresh.length > 0) {
    changes.push({ kind: 'refusal', text: `${fresh.length} new refusal${fresh.length === 1 ? '' : 's'} in the client's logs (latest at ${fresh.at(-1)})` });
  }
  return changes;
}

export interface FlapOptions {
  /** Look-back window; default 10 minutes. */
  windowMs?: number;
  /** Restarts within the window that count as flapping; default 3. */
  minRestarts?: number;
  /** A refusal this soon after a restart counts as caused by it; default 60 s. */
  refusalWithinMs?: number;
}

/**
 * Flapping: a container restarted at least `minRestarts` times within the window. Restart
 * times are the distinct `finishedAt` values seen over the history (each check sees only the
 * last one, so a watch that checks often enough sees them all). Returns one sentence, e.g.
 * "mlserver restarted 3 times in 10 min, each time the client was refused within 4 s".
 */
export function detectFlap(history: WatchSnapshot[], options: FlapOptions = {}): string | undefined {
  const windowMs = options.windowMs ?? 10 * 60_000;
  const minRestarts = options.minRestarts ?? 3;
  const within = options.refusalWithinMs ?? 60_000;
  const last = history.at(-1);
  if (!last) return undefined;
  const end = Date.parse(last.at);
  const refusals = [...new Set(history.flatMap((h) => h.refusals))].map(Date.parse).sort((a, b) => a - b);

  let worst: string | undefined;
  let worstCount = 0;
  for (const container of Object.keys(last.restarts)) {
    const first = history.find((h) => h.restarts[container] !== undefined && Date.parse(h.at) >= end - windowMs);
    const counted = first ? (last.restarts[container] ?? 0) - (first.restarts[container] ?? 0) : 0;
    const finishes = [...new Set(history.map((h) => h.terminations[container]?.finishedAt).filter((f): f is string => !!f))]
      .map(Date.parse)
      .filter((t) => t >= end - windowMs && t <= end);
    const restarts = Math.max(counted, finishes.length);
    if (restarts < minRestarts || restarts <= worstCount) continue;
    const span = Math.max(1, Math.round(windowMs / 60_000));
    let sentence = `${container} restarted ${restarts} times in ${span} min`;
    const delays = finishes.map((f) => refusals.find((r) => r >= f && r - f <= within)).map((r, i) => (r === undefined ? undefined : r - finishes[i]!));
    if (finishes.length > 0 && delays.every((d) => d !== undefined)) {
      sentence += `, each time the client was refused within ${Math.ceil(Math.max(...(delays as number[])) / 1000)} s`;
    }
    worst = sentence;
    worstCount = restarts;
  }
  return worst;
}
