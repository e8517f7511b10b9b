import type { Hypothesis } from '../types.js';
import { neverRuledOut, type PodRule } from '../rule.js';
import { Score } from '../confidence.js';
import { accepts, factsOf, hms, listenersOn, matchesOf, ms, note, quoteDial, quoteListener, quoteMatch, quoteRefusal, quoteState } from '../facts.js';

/** Refusals within this many seconds of the server's start count as a startup race. */
export const STARTUP_WINDOW_S = 120;

/**
 * server-not-ready-yet: a startup race — the client dialled before the server had bound.
 * Harmless when the client retries; it matters when the client gives up or is not retried.
 */
export const serverNotReadyYet: PodRule<'server-not-ready-yet'> = {
  id: 'server-not-ready-yet',
  doc:
    `Fires when every client refusal falls within ${STARTUP_WINDOW_S} s of the server container's (or pod's) start, the server ` +
    'has not restarted, and it listens (and accepts the client\'s address) now. Refusals long after start, or restarts, ' +
    'count against it: those point to a server that went away, or to an address/port problem.',
  appLevel: true,
  // Why no patch: the change is not one field of one object podnet can name.
  remediation: { kind: 'manual', text: 'The server was still starting: nothing to change if it comes up; re-check in a minute.' },
  // Not listed as ruled out: a start race leaves no trace once the server is up.
  ruledOut: neverRuledOut,
  detect(ev): Hypothesis | undefined {
    const f = factsOf(ev);
    const logRefusals = f.refusals.filter((r) => r.source === 'log');
    if (logRefusals.length === 0) return undefined;
    const server = f.server;
    const startedAt = server?.status?.state.startedAt ?? f.ev.pod?.startTime;
    if (!startedAt) return undefined;
    const start = ms(startedAt);
    const podStart = ms(f.ev.pod?.startTime ?? startedAt);
    const early = logRefusals.filter((r) => ms(r.at) - Math.min(start, podStart) <= STARTUP_WINDOW_S * 1000);
    const late = logRefusals.filter((r) => !early.includes(r));
    if (early.length === 0) return undefined;

    const s = new Score();
    s.support(0.35, ...early.slice(0, 3).map(quoteRefusal));
    if (server) s.quote(quoteState(server));
    const restarts = server?.status?.restartCount ?? 0;
    if (restarts === 0) s.support(0.15, note(`${server?.name ?? 'the server'} has not restarted (restartCount=0)`));
    else s.oppose(0.6, note(`${server?.name ?? 'the server'} restarted ${restarts} times: refusals can come from restarts, not only from start-up`));

    const port = f.port;
    if (port !== undefined && f.socketsRead) {
      if (accepts(f, f.address, port)) s.support(0.25, ...listenersOn(f, port).map(quoteListener));
      else s.oppose(0.7, note(`nothing accepts ${f.address}:${port} now: this is not only a start-up race`));
    }
    const ok = f.dials.filter((d) => d.port === port && d.outcome === 'connected');
    if (ok.length > 0) s.support(0.15, ...ok.map(quoteDial));
    const lastRefusal = early[early.length - 1];
    const readyAfter = matchesOf(f, ['agent-ready', 'server-grpc-running', 'server-http-running', 'model-loaded']).filter((m) => ms(m.at) >= ms(lastRefusal?.at));
    if (readyAfter.length > 0) s.support(0.15, ...readyAfter.slice(0, 2).map(quoteMatch));
    if (late.length > 0) {
      s.oppose(0.7, ...late.slice(-2).map(quoteRefusal), note(`${late.length} refusal(s) came more than ${STARTUP_WINDOW_S} s after start (last at ${hms(late[late.length - 1]?.at)})`));
    }
    // Live evidence beats the logs: a dial refused at the moment of the check means the
    // refusals go on now, long after any start-up race (unless the check ran during start-up).
    const liveRefused = f.dials.filter((d) => d.port === port && d.host === f.address && d.outcome === 'refused');
    const checkAfterWindow = ms(f.ev.collectedAt) - Math.min(start, podStart) > STARTUP_WINDOW_S * 1000;
    if (liveRefused.length > 0 && checkAfterWindow) {
      s.oppose(0.8, ...liveRefused.map(quoteDial), note(`the dial at the check (${hms(f.ev.collectedAt)}) was refused too: the refusals continue to now, not only at start-up`));
    }

    const name = server?.name ?? 'the server';
    const onlyEarly = late.length === 0 && !(liveRefused.length > 0 && checkAfterWindow);
    const when = onlyEarly
      ? `refusals only in the first ${STARTUP_WINDOW_S} s after start`
      : `refusals from start-up until ${liveRefused.length > 0 && checkAfterWindow ? `the check at ${hms(f.ev.collectedAt)}` : hms(late[late.length - 1]?.at)}, so not only a start-up race`;
    const listensNow = port !== undefined && f.socketsRead && accepts(f, f.address, port);
    // Native sidecars (init containers with restartPolicy: Always) start, and pass their
    // startupProbe, before the main containers start
    // (https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/).
    const h = s.toHypothesis(
      'server-not-ready-yet',
      `The client dialled ${f.address}:${port ?? '?'} before ${name} had bound it (${when})${listensNow ? `; ${name} listens now` : ''}.`,
      `Make the start-up order explicit: run ${name} as a native sidecar (initContainers with restartPolicy: Always and a startupProbe) so it is up before ${f.client?.name ?? 'the client'}, ` +
        `or let ${f.client?.name ?? 'the client'} retry with backoff (and gate its readiness on the server). Early refusals that stop on their own need no fix.`,
    );
    return h;
  },
};
