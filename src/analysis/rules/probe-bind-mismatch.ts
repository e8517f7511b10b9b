import type { ContainerEvidence } from '../../evidence.js';
import type { Hypothesis, Rule } from '../types.js';
import { Score, MIN_CONFIDENCE } from '../confidence.js';
import {
  eventsFor,
  factsOf,
  listenersOn,
  loopbackHostEnv,
  matchesOf,
  podIPProbes,
  quoteDial,
  quoteEnv,
  quoteEvent,
  quoteLastState,
  quoteListener,
  quoteMatch,
  quoteProbe,
  quoteRefusal,
  type Facts,
} from '../facts.js';
import { findHostPorts, isLoopback, listenerAccepts } from '../net.js';

/**
 * probe-bind-mismatch: the server listens on loopback only, while kubelet's probes (no
 * `host`) dial the pod IP. The probes are refused, kubelet kills and restarts the server,
 * and the client is refused in every restart gap — which looks like "localhost is blocked"
 * though loopback works the whole time the server is up.
 */
export const probeBindMismatch: Rule = {
  id: 'probe-bind-mismatch',
  doc:
    'Fires when a container probed over the pod IP (httpGet/tcpSocket/grpc without `host`) has listeners on the probed port on ' +
    'loopback only, or is told to bind loopback (e.g. MLSERVER_HOST=127.0.0.1) while its probes are refused on the pod IP. ' +
    'Supported by Unhealthy "connection refused" events to POD_IP:PORT, Killing events and a rising restartCount. ' +
    'Does not fire when a listener on the probed port accepts the pod IP (0.0.0.0, ::, the pod IP).',
  detect(ev): Hypothesis[] {
    const f = factsOf(ev);
    const candidates = orderCandidates(f);
    let best: Hypothesis | undefined;
    for (const c of candidates) {
      const h = detectFor(f, c);
      if (h && (!best || h.confidence > best.confidence)) best = h;
    }
    return best && best.confidence >= MIN_CONFIDENCE ? [best] : [];
  },
};

function orderCandidates(f: Facts): ContainerEvidence[] {
  const withProbes = f.containers.filter((c) => podIPProbes(c).length > 0);
  return f.server ? [f.server, ...withProbes.filter((c) => c !== f.server)] : withProbes;
}

function detectFor(f: Facts, c: ContainerEvidence): Hypothesis | undefined {
  const probes = podIPProbes(c);
  if (probes.length === 0) return undefined;
  const podIP = f.podIP;
  const s = new Score();
  const probePorts = [...new Set(probes.map((p) => p.port as number))];

  // The core fact: what listens on the probed ports.
  let loopbackOnlyPorts: number[] = [];
  let podIPAccepted = false;
  for (const p of probePorts) {
    const ls = listenersOn(f, p);
    if (ls.length === 0) continue;
    const acceptsPodIP = ls.some((l) => (podIP ? listenerAccepts(l, podIP) : !isLoopback(l.address)));
    if (acceptsPodIP) {
      podIPAccepted = true;
      continue;
    }
    if (ls.every((l) => isLoopback(l.address))) loopbackOnlyPorts.push(p);
  }
  if (podIPAccepted && loopbackOnlyPorts.length === 0) return undefined; // bound where probes reach: not this cause
  loopbackOnlyPorts = [...new Set(loopbackOnlyPorts)];

  const envs = loopbackHostEnv(c);
  const runningLines = matchesOf(f, ['server-http-running', 'server-grpc-running'], c.name).filter((m) =>
    findHostPorts(m.line).some((hp) => isLoopback(hp.host)) || (m.groups?.host !== undefined && isLoopback(m.groups.host)),
  );
  const bindsLoopback = loopbackOnlyPorts.length > 0 || envs.length > 0 || runningLines.length > 0;
  if (!bindsLoopback) return undefined;

  if (loopbackOnlyPorts.length > 0) {
    const rows = loopbackOnlyPorts.flatMap((p) => listenersOn(f, p));
    s.support(0.45, ...rows.map(quoteListener));
    s.support(0.15, ...probes.filter((p) => loopbackOnlyPorts.includes(p.port as number)).map((p) => quoteProbe(c, p)));
  } else {
    s.quote(...probes.map((p) => quoteProbe(c, p)));
  }
  if (envs.length > 0) s.support(0.2, ...envs.map((e) => quoteEnv(c, e.name)));
  if (runningLines.length > 0) s.support(0.1, ...runningLines.slice(-2).map(quoteMatch));

  // Probes refused on the pod IP.
  const unhealthy = eventsFor(f, c.name, 'Unhealthy').filter((e) => /refused/i.test(e.message));
  const toPodIP = unhealthy.filter((e) => (podIP ? e.message.includes(podIP) : true));
  if (toPodIP.length > 0) s.support(0.3, ...toPodIP.slice(0, 3).map(quoteEvent));
  else if (unhealthy.length > 0) s.support(0.15, ...unhealthy.slice(0, 2).map(quoteEvent));

  // kubelet kills and restarts it.
  const killing = eventsFor(f, c.name, 'Killing').filter((e) => /probe/i.test(e.message));
  if (killing.length > 0) s.support(0.2, ...killing.slice(0, 2).map(quoteEvent));
  const restarts = c.status?.restartCount ?? 0;
  if (restarts > 0) s.support(restarts >= 3 ? 0.15 : 0.08, quoteLastState(c));

  // A dial to the pod IP refused while loopback connects: the same bind, seen from the client.
  const dialsOnPorts = f.dials.filter((d) => probePorts.includes(d.port) || d.port === f.port);
  const podIPRefused = dialsOnPorts.filter((d) => podIP && d.host === podIP && d.outcome === 'refused');
  const loopOk = dialsOnPorts.filter((d) => isLoopback(d.host) && d.outcome === 'connected');
  if (podIPRefused.length > 0 && loopOk.length > 0) s.support(0.25, ...[...podIPRefused, ...loopOk].map(quoteDial));

  // Client refusals in the restart gaps (supporting; the timeline pairs them).
  const refusals = f.refusals.filter((r) => r.source === 'log' && r.container !== c.name);
  if (refusals.length > 0 && (restarts > 0 || killing.length > 0)) s.support(0.05, ...refusals.slice(-2).map(quoteRefusal));

  // Without a socket table, a loopback setting alone says nothing unless the probes fail.
  if (loopbackOnlyPorts.length === 0 && unhealthy.length === 0 && killing.length === 0) return undefined;

  // Against: nothing ever refused the probes and the container never restarts.
  if (unhealthy.length === 0 && killing.length === 0 && restarts === 0) {
    s.oppose(0.5, { kind: 'note', text: `no Unhealthy/Killing events for ${c.name} and restartCount=0: its probes are not failing` });
  }
  if (podIPAccepted) {
    s.oppose(0.3, { kind: 'note', text: `another probed port of ${c.name} is reachable on the pod IP` });
  }

  const port = loopbackOnlyPorts[0] ?? probePorts[0];
  const envNames = envs.map((e) => e.name);
  const unsetWhat = envNames.length > 0 ? `remove ${envNames.map((n) => `${n}=${envValue(c, n)}`).join(', ')} from container ${c.name} (or set it to 0.0.0.0)` : `make ${c.name} bind 0.0.0.0 instead of 127.0.0.1`;
  const probeKinds = [...new Set(probes.map((p) => p.kind))].join('/');
  const fix =
    `Bind ${c.name} to all addresses: ${unsetWhat}, so kubelet's ${probeKinds} probes on ${podIP ?? 'the pod IP'}:${port} stop failing and stop restarting it. ` +
    `Or, if it must stay on loopback, set \`host: 127.0.0.1\` on those probes (httpGet.host / tcpSocket.host). ` +
    `The client's 127.0.0.1 dial needs no change; it was refused only while ${c.name} was being restarted.`;
  const bound = loopbackOnlyPorts.length > 0 ? `listens on loopback only (port ${port})` : `is set to bind loopback (${envNames.map((n) => `${n}=${envValue(c, n)}`).join(', ') || 'see its log'})`;
  const summary =
    `${c.name} ${bound}; kubelet probes the pod IP, is refused, and restarts ${c.name} (restartCount=${restarts}) — the client is refused in each restart gap.`;
  return s.toHypothesis('probe-bind-mismatch', summary, fix);
}

function envValue(c: ContainerEvidence, n: string): string {
  return c.env.find((e) => e.name === n)?.value ?? '';
}
