import type { ContainerEvidence } from '../../evidence.js';
import type { EvidenceItem, Hypothesis } from '../types.js';
import { neverRuledOut, type ContainerRule } from '../rule.js';
import { Score } from '../confidence.js';
import { planSlowStart, startupFailureThreshold } from '../../remediation/patches.js';
import {
  eventsFor,
  serverCandidates,
  listenersOn,
  loopbackHostEnv,
  matchesOf,
  networkProbes,
  note,
  oneLine,
  quoteEvent,
  quoteLastState,
  quoteListener,
  quoteProbe,
  quoteState,
  secondsBetween,
  settingHome,
  settingHomeWhy,
  type Facts,
} from '../facts.js';
import { isLoopback } from '../net.js';

/**
 * kubelet's event when a liveness or startup probe has failed failureThreshold times:
 * "Container NAME failed liveness probe, will be restarted" (kubernetes
 * pkg/kubelet/kuberuntime/kuberuntime_manager.go, computePodActions).
 */
const PROBE_KILL = /failed (liveness|startup) probe/i;

/** Log lines of a run that ended on an error of its own, not a kill from outside. */
const ERROR_LINE = /traceback|exception|\berror\b|fatal|panic|failed to|no such file|not found/i;

/**
 * liveness-kills-slow-start: a liveness probe (no startupProbe, or one too short) kills a
 * server that is still starting (loading a model), so it never comes up. kubelet kills a
 * container whose liveness probe fails failureThreshold times in a row, and restarts it
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes); the
 * process gets SIGTERM, then SIGKILL after the grace period, so the run ends with exit 143 or
 * 137 and reason Error — not OOMKilled
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination). A
 * startupProbe holds the liveness probe off until it succeeds, which is how slow starters are
 * protected (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-startup-probes).
 */
export const livenessKillsSlowStart: ContainerRule<'liveness-kills-slow-start'> = {
  id: 'liveness-kills-slow-start',
  doc:
    'Fires when kubelet killed the server for failed liveness (or startup) probes ("Killing … failed liveness probe"), its last ' +
    'run ended with exit 137 or 143 and a reason other than OOMKilled, and nothing listens on the probed port — the server ' +
    'had not bound yet. Supported by CrashLoopBackOff, a previous log that ends mid-start with no error, and a last run about ' +
    'as long as the probe budget (initialDelaySeconds + periodSeconds × failureThreshold). Opposed by a loopback-only bind ' +
    '(probe-bind-mismatch), a traceback (server-crashloop) or OOMKilled.',
  appLevel: true,
  remediation: { kind: 'patch', plan: planSlowStart },
  // Not listed as ruled out: no one fact in the evidence disproves it.
  ruledOut: neverRuledOut,
  candidates: serverCandidates,
  detectFor,
};

function detectFor(f: Facts, c: ContainerEvidence): Hypothesis | undefined {
  const kills = eventsFor(f, c.name, 'Killing').filter((e) => PROBE_KILL.test(e.message));
  if (kills.length === 0) return undefined;
  const st = c.status;
  const last = st?.lastState?.state === 'terminated' ? st.lastState : st?.state.state === 'terminated' ? st.state : undefined;
  if (last?.reason === 'OOMKilled' || st?.state.reason === 'OOMKilled') return undefined;
  const killedExit = last?.exitCode === 137 || last?.exitCode === 143;

  const s = new Score();
  s.support(0.45, ...kills.slice(0, 2).map(quoteEvent));
  if (last && killedExit) {
    s.support(0.2, quoteLastState(c) ?? quoteState(c)!, note(`exit ${last.exitCode} = 128 + ${(last.exitCode ?? 128) - 128} (${last.exitCode === 137 ? 'SIGKILL' : 'SIGTERM'}), reason ${last.reason ?? 'unset'}: killed from outside, not OOM-killed`));
  } else if (last?.exitCode !== undefined && last.exitCode !== 0) {
    s.oppose(0.4, quoteLastState(c) ?? quoteState(c)!, note(`exit ${last.exitCode} is the process's own, not a kill`));
  }
  const backoff = st?.state.state === 'waiting' && st.state.reason === 'CrashLoopBackOff';
  if (backoff) s.support(0.15, quoteState(c)!);
  else if ((st?.restartCount ?? 0) >= 2) s.support(0.08, quoteLastState(c) ?? quoteState(c)!);

  // What the probes dial, and whether anything listens there yet.
  const probes = networkProbes(f, c).filter((x) => x.lands === 'pod-ip').map((x) => x.probe);
  const liveness = c.probes.find((p) => p.kind === 'liveness');
  const startup = c.probes.find((p) => p.kind === 'startup');
  const ports = [...new Set(probes.map((p) => p.port as number))];
  const held = ports.flatMap((p) => listenersOn(f, p));
  if (f.socketsRead && ports.length > 0 && held.length === 0) {
    s.support(0.2, note(`nothing listens on ${ports.map((p) => `port ${p}`).join(', ')} at any address: ${c.name} had not bound its port yet`));
  } else if (held.length > 0 && held.every((l) => isLoopback(l.address))) {
    s.oppose(0.7, ...held.map(quoteListener), note(`${c.name} listens on loopback only: the probes fail because of the bind (probe-bind-mismatch), not because it is slow`));
  } else if (held.length > 0) {
    s.oppose(0.3, ...held.map(quoteListener), note(`${c.name} listens on the probed port now`));
  }
  const loopEnv = loopbackHostEnv(c);
  if (loopEnv.length > 0) s.oppose(0.5, note(`${c.name} is set to bind loopback (${loopEnv.map((e) => `${e.name}=${e.value}`).join(', ')}): probe-bind-mismatch explains the failed probes`));

  const refusedProbes = eventsFor(f, c.name, 'Unhealthy').filter((e) => /liveness|startup/i.test(e.message) && /refused|timeout|exceeded/i.test(e.message));
  if (refusedProbes.length > 0) s.support(0.1, ...refusedProbes.slice(0, 1).map(quoteEvent));

  // The previous run's log: ends mid-start (no "running on" line, no error), or with an error.
  const prev = f.ev.logs.find((l) => l.container === c.name && l.previous);
  const tail = prev?.tail ?? [];
  const errors = tail.filter((t) => ERROR_LINE.test(t.text));
  const tracebacks = matchesOf(f, ['traceback', 'worker-stopped', 'bind-error'], c.name).filter((m) => m.previous);
  const bound = matchesOf(f, ['server-http-running', 'server-grpc-running'], c.name).filter((m) => m.previous);
  const lastLine = tail[tail.length - 1];
  if (prev && lastLine && errors.length === 0 && tracebacks.length === 0) {
    s.support(0.15, { kind: 'log', text: `${lastLine.at ? `${lastLine.at} ` : ''}${oneLine(lastLine.text, 300)}`, at: lastLine.at, source: `${c.name} logs (previous), last line` } as EvidenceItem, note(`the previous run's log ends mid-start with no error${bound.length === 0 ? ' and no "server running" line' : ''}`));
  }
  if (tracebacks.length > 0 || errors.length > 0) {
    s.oppose(0.5, note(`the previous run logged an error (${oneLine((tracebacks[0]?.line ?? errors[errors.length - 1]?.text) ?? '', 160)}): it may crash on its own (server-crashloop)`));
  }

  // The probe budget: how long kubelet waits before the kill.
  const budget = (p: ContainerEvidence['probes'][number] | undefined) => (p ? p.initialDelaySeconds + p.periodSeconds * p.failureThreshold : undefined);
  const startupBudget = budget(startup);
  const livenessBudget = budget(liveness);
  const ran = last ? secondsBetween(last.startedAt, last.finishedAt) : undefined;
  const killer = startup && kills.some((e) => /startup/i.test(e.message)) ? startup : liveness;
  const killerBudget = killer === startup ? startupBudget : livenessBudget;
  if (ran !== undefined && killerBudget !== undefined && ran <= killerBudget + killer!.periodSeconds * 2 + 35) {
    s.support(0.1, quoteProbe(c, killer!), note(`the last run lasted ${ran} s — about the ${killer!.kind} probe's budget of ${killerBudget} s (initialDelaySeconds ${killer!.initialDelaySeconds} + periodSeconds ${killer!.periodSeconds} × failureThreshold ${killer!.failureThreshold}) plus the kill`));
  } else if (killer) {
    s.quote(quoteProbe(c, killer));
  }
  if (!startup) s.quote(note(`${c.name} has no startupProbe: its liveness probe runs from the first ${liveness?.initialDelaySeconds ?? 0} s`));

  const where = settingHome(f, c.name);
  const seen = ran !== undefined ? `its last run was killed after ${ran} s, still starting, so the real start time is longer: measure it, or allow generously` : 'allow more than the slowest start you have seen';
  const period = killer?.periodSeconds ?? 10;
  const threshold = startupFailureThreshold(ran, period);
  const fix =
    (startup && killer === startup
      ? `Give ${c.name}'s startupProbe more time (now ${startupBudget} s: ${startup.initialDelaySeconds} + ${startup.periodSeconds} × ${startup.failureThreshold}): raise its failureThreshold`
      : `Add a startupProbe to ${c.name} (the same check as its livenessProbe) whose failureThreshold × periodSeconds exceeds the slowest start`) +
    ` — ${seen} (e.g. periodSeconds: ${period}, failureThreshold: ${threshold} = ${threshold * period} s) ${where}. ` +
    `kubelet runs no liveness check until the startup probe has passed, so a slow start is no longer killed; or raise livenessProbe.initialDelaySeconds above the start time. ` +
    `The client's refusals stop once ${c.name} finishes starting and binds its port.` + settingHomeWhy(f);
  const summary =
    `kubelet kills ${c.name} for failed ${killer?.kind ?? 'liveness'} probes before it has finished starting (${last?.exitCode !== undefined ? `exit ${last.exitCode}, ` : ''}restartCount=${st?.restartCount ?? 0}${backoff ? ', CrashLoopBackOff' : ''}); ` +
    `it never binds its port, so the client is refused.`;
  return s.toHypothesis('liveness-kills-slow-start', summary, fix);
}
