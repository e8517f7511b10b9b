/**
 * Verification of an applied fix: re-check until the cause is gone and the server has stayed
 * up for a settle period — no new restarts, probes passing (the server container ready), the
 * client's dial connecting — or until a deadline. The checks themselves, the clock and the
 * sleep are parameters, so the same loop runs against a cluster, the simulator or a test.
 */
import type { CauseId, Diagnosis } from '../analysis/types.js';
import type { Evidence } from '../evidence.js';

/** One re-check and what it showed. */
export interface VerifyCheck {
  at: string;
  /** All conditions held. */
  ok: boolean;
  /** The leading cause of this check (`none` when only `unknown` is left). */
  leading: string;
  causePresent: boolean;
  restarts?: number;
  ready?: boolean;
  dial?: string;
  /** What did not hold, in words. */
  failing: string[];
}

export interface VerifyResult {
  verified: boolean;
  checks: VerifyCheck[];
  /** One sentence: why verified, or what still fails. */
  summary: string;
}

export interface VerifyOptions {
  /** The cause the fix was for. */
  cause: CauseId;
  /** One check of the pod (the same probes and analysis as `podnet check`). */
  check: () => Promise<{ evidence: Evidence; diagnosis: Diagnosis }>;
  /** How long every condition must hold before the fix counts as verified. */
  settleMs: number;
  /** Give up after this long. */
  deadlineMs: number;
  /** Pause between checks. */
  intervalMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called after each check (progress lines, Slack updates). */
  onCheck?: (c: VerifyCheck) => void;
}

/** What one check says about the fix, against the restart count seen first. */
export function assessCheck(ev: Evidence, d: Diagnosis, cause: CauseId, baselineRestarts: number | undefined, at: string): VerifyCheck {
  const failing: string[] = [];
  const causePresent = d.hypotheses.some((h) => h.cause === cause);
  if (causePresent) failing.push(`${cause} is still diagnosed`);
  const server = ev.pod?.containers.find((c) => c.name === ev.target.server);
  const restarts = server?.status?.restartCount;
  const ready = server?.status?.ready;
  if (!ev.pod) failing.push('the pod could not be read');
  else if (!server) failing.push(`no server container${ev.target.server ? ` ${ev.target.server}` : ''} in the pod`);
  else {
    if (server.status?.state.state !== 'running') failing.push(`${server.name} is ${server.status?.state.state ?? 'in an unknown state'}${server.status?.state.reason ? ` (${server.status.state.reason})` : ''}`);
    if (ready !== true) failing.push(`${server.name} is not ready (its readiness probe is not passing)`);
    if (restarts !== undefined && baselineRestarts !== undefined && restarts > baselineRestarts) failing.push(`${server.name} restarted ${restarts - baselineRestarts} more time(s)`);
  }
  const want = ev.dials.filter((x) => x.from === ev.target.client && (ev.target.port === undefined || x.port === ev.target.port));
  const dial = want.find((x) => x.host === ev.target.address) ?? want[0];
  if (ev.target.client && !dial) failing.push(`no dial from ${ev.target.client} could be made`);
  else if (dial && dial.outcome !== 'connected') failing.push(`${dial.from} → ${dial.host}:${dial.port} ${dial.outcome}`);
  const leading = d.hypotheses.find((h) => h.cause !== 'unknown')?.cause ?? 'none';
  return {
    at, ok: failing.length === 0, leading, causePresent,
    ...(restarts !== undefined ? { restarts } : {}),
    ...(ready !== undefined ? { ready } : {}),
    ...(dial ? { dial: `${dial.from} → ${dial.host}:${dial.port} ${dial.outcome}` } : {}),
    failing,
  };
}

/** Re-checks until verified (every condition held for `settleMs`, over at least two checks) or the deadline. */
export async function verifyFix(o: VerifyOptions): Promise<VerifyResult> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = now();
  const checks: VerifyCheck[] = [];
  let baseline: number | undefined;
  let okSince: number | undefined;
  for (;;) {
    const t = now();
    let c: VerifyCheck;
    try {
      const { evidence, diagnosis } = await o.check();
      const server = evidence.pod?.containers.find((x) => x.name === evidence.target.server);
      baseline ??= server?.status?.restartCount;
      c = assessCheck(evidence, diagnosis, o.cause, baseline, new Date(t).toISOString());
    } catch (err) {
      c = { at: new Date(t).toISOString(), ok: false, leading: 'none', causePresent: false, failing: [`the check failed: ${err instanceof Error ? err.message : String(err)}`] };
    }
    checks.push(c);
    o.onCheck?.(c);
    if (c.ok) okSince ??= t;
    else okSince = undefined;
    const held = okSince !== undefined ? t - okSince : -1;
    if (okSince !== undefined && held >= o.settleMs && checks.filter((x) => x.ok).length >= 2) {
      return { verified: true, checks, summary: `Fixed — verified: ${o.cause} is gone and for ${Math.round(held / 1000)} s (${checks.length} checks) the server stayed up with no new restarts, ready, ${c.dial ?? 'no dial to make'}.` };
    }
    if (t - started >= o.deadlineMs) {
      const last = checks[checks.length - 1] as VerifyCheck;
      const why = last.ok ? `the conditions held for only ${Math.round(held / 1000)} s of the ${Math.round(o.settleMs / 1000)} s settle period` : last.failing.join('; ');
      return { verified: false, checks, summary: `Not fixed after ${Math.round((t - started) / 1000)} s: ${why}.` };
    }
    await sleep(Math.max(0, Math.min(o.intervalMs, started + o.deadlineMs - now())));
  }
}
