import type { ContainerEvidence } from '../../evidence.js';
import type { EvidenceItem, Hypothesis } from '../types.js';
import type { ContainerRule } from '../rule.js';
import { Score } from '../confidence.js';
import { eventsFor, serverCandidates, matchesOf, oneLine, quoteEvent, quoteLastState, quoteMatch, quoteState, type Facts } from '../facts.js';

/**
 * server-crashloop: the server exits on its own on start (bad model, bad config, import
 * error). Kills from outside (OOM, probe kills: exit 137/143) are other causes, so the rule
 * wants an exit code of the process itself or a traceback in the previous run's log. kubelet
 * restarts an exited container with an exponential back-off shown as CrashLoopBackOff
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts); 137/143
 * are 128 + SIGKILL/SIGTERM (https://tldp.org/LDP/abs/html/exitcodes.html).
 */
export const serverCrashloop: ContainerRule<'server-crashloop'> = {
  id: 'server-crashloop',
  doc:
    'Fires when the server container is in CrashLoopBackOff or has restarted, and its last run ended with an exit code of its ' +
    'own (≠ 0, not 137/143 from a kill) or its previous log holds a traceback / worker-stopped line. Quotes the traceback. ' +
    'Weakened when the restarts are explained by OOM kills or failed probes.',
  appLevel: true,
  // Why no patch: the change is not one field of one object podnet can name.
  remediation: { kind: 'manual', text: 'The server crashes on its own: its log says why; no setting podnet can name fixes it.' },
  ruledOut,
  candidates: serverCandidates,
  detectFor,
};

/** The server runs and has never restarted. */
function ruledOut(f: Facts): string | undefined {
  const status = f.server?.status;
  return status && status.restartCount === 0 && status.state.state === 'running' ? `${f.server!.name} is running and has never restarted (restartCount=0).` : undefined;
}

function detectFor(f: Facts, c: ContainerEvidence): Hypothesis | undefined {
  const st = c.status;
  const restarts = st?.restartCount ?? 0;
  const backoff = st?.state.state === 'waiting' && st.state.reason === 'CrashLoopBackOff';
  const last = st?.lastState?.state === 'terminated' ? st.lastState : st?.state.state === 'terminated' ? st.state : undefined;
  const ownExit = last?.exitCode !== undefined && last.exitCode !== 0 && last.exitCode !== 137 && last.exitCode !== 143 && last.reason !== 'OOMKilled';
  const tracebacks = matchesOf(f, ['traceback', 'worker-stopped'], c.name);
  const prevTracebacks = tracebacks.filter((m) => m.previous);
  if (!backoff && restarts === 0 && !(last && ownExit)) return undefined;
  if (!ownExit && tracebacks.length === 0) return undefined;

  const s = new Score();
  if (backoff) s.support(0.35, quoteState(c));
  if (ownExit) s.support(0.35, quoteLastState(c) ?? quoteState(c));
  const tb = prevTracebacks.length > 0 ? prevTracebacks : tracebacks;
  if (tb.length > 0) {
    s.support(0.35, ...tb.slice(-3).map(quoteMatch));
    const tail = lastErrorLine(f, c.name);
    if (tail) s.quote(tail);
  }
  const backoffEvents = eventsFor(f, c.name, 'BackOff');
  if (backoffEvents.length > 0) s.support(0.1, ...backoffEvents.slice(0, 1).map(quoteEvent));
  if (restarts >= 2) s.support(0.05);

  if (last?.reason === 'OOMKilled') s.oppose(0.7, quoteLastState(c));
  const bindErrors = matchesOf(f, ['bind-error'], c.name);
  if (bindErrors.length > 0) s.oppose(0.45, quoteMatch(bindErrors[bindErrors.length - 1]!), { kind: 'note', text: 'it exits because its port is taken: a port conflict, not a bug in the server' });
  const probeKills = eventsFor(f, c.name, 'Killing').filter((e) => /probe/i.test(e.message));
  if (probeKills.length > 0 && !ownExit) s.oppose(0.6, quoteEvent(probeKills[0]!));
  else if (probeKills.length > 0) s.oppose(0.2, quoteEvent(probeKills[0]!));

  const errLine = lastErrorLine(f, c.name)?.text ?? tb[tb.length - 1]?.line;
  const fix =
    `Fix the error ${c.name} exits with${errLine ? `: "${oneLine(errLine, 200)}"` : ''} — read it whole with ` +
    `\`kubectl logs ${f.ev.pod?.name ?? 'POD'} -n ${f.ev.target.namespace} -c ${c.name} --previous\` (bad model URI/artefact, config or missing dependency). ` +
    `The client's refusals stop once ${c.name} stays up.`;
  const summary = `${c.name} exits on start${last?.exitCode !== undefined ? ` (exitCode=${last.exitCode})` : ''} and is restarted (restartCount=${restarts}${backoff ? ', CrashLoopBackOff' : ''}); nothing listens while it is down.`;
  return s.toHypothesis('server-crashloop', summary, fix);
}

/** The last line of the previous log's tail that reads like an error (the exception message). */
function lastErrorLine(f: Facts, container: string): EvidenceItem | undefined {
  const log = f.ev.logs.find((l) => l.container === container && l.previous) ?? f.ev.logs.find((l) => l.container === container);
  if (!log) return undefined;
  const line = [...log.tail].reverse().find((t) => /error|exception|failed|invalid|not found/i.test(t.text));
  if (!line) return undefined;
  return { kind: 'log', text: `${line.at ? `${line.at} ` : ''}${oneLine(line.text, 300)}`, at: line.at, source: `${container} logs${log.previous ? ' (previous)' : ''}` };
}
