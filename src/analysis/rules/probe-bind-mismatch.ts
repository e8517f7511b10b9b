import type { ContainerEvidence } from '../../evidence.js';
import type { Hypothesis } from '../types.js';
import { neverRuledOut, type ContainerRule } from '../rule.js';
import { Score } from '../confidence.js';
import { planBind } from '../../remediation/patches.js';
import {
  eventsFor,
  acceptsDial,
  listenersOn,
  loopbackHostEnv,
  matchesOf,
  networkProbes,
  note,
  probesMissingLoopback,
  settingHome,
  settingHomeWhy,
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
import { findHostPorts, isLoopback, rebindValue } from '../net.js';

/**
 * probe-bind-mismatch: the server listens on loopback only, while kubelet's probes dial the
 * pod IP (no `host`) — or, with `host: 127.0.0.1` on a pod without hostNetwork, the NODE's
 * loopback, since kubelet probes from the node's network namespace (see facts.ts
 * networkProbes). The probes fail; failed liveness/startup probes make kubelet kill and
 * restart the server, and the client is refused in every restart gap — which looks like
 * "localhost is blocked" though loopback works the whole time the server is up. Failed
 * readiness probes restart nothing: they only take the pod out of Service endpoints
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes).
 */
export const probeBindMismatch: ContainerRule<'probe-bind-mismatch'> = {
  id: 'probe-bind-mismatch',
  doc:
    'Fires when a container probed over the pod IP (httpGet/tcpSocket/grpc without `host`) — or over `host: 127.0.0.1`, ' +
    'which kubelet dials in the node\'s namespace (the pod\'s only with hostNetwork) — has listeners on the probed port on ' +
    'loopback only, or is told to bind loopback (e.g. MLSERVER_HOST=127.0.0.1) while its probes are refused. ' +
    'Supported by Unhealthy "connection refused" events to POD_IP:PORT, Killing events and a rising restartCount. ' +
    'Does not fire when a listener on the probed port accepts the pod IP (0.0.0.0, ::, the pod IP).',
  appLevel: true,
  remediation: { kind: 'patch', plan: planBind },
  // Not listed as ruled out: no one fact in the evidence disproves it.
  ruledOut: neverRuledOut,
  candidates: orderCandidates,
  detectFor,
};

/** The server first, then every container whose probes miss its loopback-only listeners. */
function orderCandidates(f: Facts): ContainerEvidence[] {
  const withProbes = f.containers.filter((c) => probesMissingLoopback(f, c).length > 0);
  return f.server ? [f.server, ...withProbes.filter((c) => c !== f.server)] : withProbes;
}

function detectFor(f: Facts, c: ContainerEvidence): Hypothesis | undefined {
  const probes = probesMissingLoopback(f, c);
  if (probes.length === 0) return undefined;
  const nodeLoopback = networkProbes(f, c).filter((x) => x.lands === 'node-loopback').map((x) => x.probe);
  const podIP = f.podIP;
  const s = new Score();
  const probePorts = [...new Set(probes.map((p) => p.port as number))];

  // The core fact: what listens on the probed ports.
  let loopbackOnlyPorts: number[] = [];
  let podIPAccepted = false;
  for (const p of probePorts) {
    const ls = listenersOn(f, p);
    if (ls.length === 0) continue;
    // A probe to the node's loopback never reaches the pod, whatever the bind.
    const viaPodIP = probes.some((pr) => pr.port === p && !nodeLoopback.includes(pr));
    const acceptsPodIP = viaPodIP && ls.some((l) => (podIP ? acceptsDial(f, l, podIP) : !isLoopback(l.address)));
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
  if (nodeLoopback.length > 0) {
    s.support(
      0.15,
      ...nodeLoopback.map((p) => quoteProbe(c, p)),
      note(`host ${nodeLoopback[0]!.host} makes kubelet dial the node's own loopback (kubelet probes from the node's network namespace; this pod has no hostNetwork), not ${c.name}`),
    );
  }
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
  const where = settingHome(f, c.name);
  const unsetWhat =
    envNames.length > 0
      ? `remove ${envNames.map((n) => `${n}=${envValue(c, n)}`).join(', ')} (or set ${envNames.length > 1 ? 'them' : 'it'} to ${envNames.map((n) => rebindValue(envValue(c, n), '0.0.0.0')).join(', ')}) ${where}`
      : `make ${c.name} bind 0.0.0.0 instead of 127.0.0.1 (${where.replace(/^on /, '')})`;
  // Only liveness and startup failures make kubelet restart a container; readiness failures
  // take the pod out of Service endpoints (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes).
  const restarting = probes.filter((p) => p.kind === 'liveness' || p.kind === 'startup');
  const probeKinds = [...new Set(probes.map((p) => p.kind))].join('/');
  const effect =
    restarting.length > 0
      ? `so its ${probeKinds} probes on ${podIP ?? 'the pod IP'}:${port} pass and kubelet stops killing it (liveness/startup failures restart a container; readiness failures only take the pod out of Service endpoints)`
      : `so its readiness probes on ${podIP ?? 'the pod IP'}:${port} pass and the pod is put back into its Services' endpoints (readiness failures never restart a container)`;
  const path = probes.find((p) => p.handler === 'httpGet')?.path;
  const execExample = path ? `e.g. \`curl -fsS http://127.0.0.1:${port}${path}\`` : `e.g. a check of 127.0.0.1:${port} with a tool the image has`;
  const fix =
    `Bind ${c.name} to all addresses: ${unsetWhat}, ${effect}. ` +
    // kubelet dials `host` from the node's network namespace, so `host: 127.0.0.1` probes the
    // node's loopback (causes.md; facts.ts networkProbes cites the probe docs). An exec probe
    // runs inside the container (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-a-liveness-command).
    `If it must stay on loopback, replace those probes with \`exec\` probes that run inside the container (${execExample}); ` +
    `do not set \`host: 127.0.0.1\` — kubelet would dial the node's own loopback, not this pod${f.ev.pod?.hostNetwork ? '' : ' (only hostNetwork pods share it)'}.` +
    (restarting.length > 0 ? ` The client's 127.0.0.1 dial needs no change; it was refused only while ${c.name} was being restarted.` : '') +
    settingHomeWhy(f);
  const bound = loopbackOnlyPorts.length > 0 ? `listens on loopback only (port ${port})` : `is set to bind loopback (${envNames.map((n) => `${n}=${envValue(c, n)}`).join(', ') || 'see its log'})`;
  const probed = nodeLoopback.length > 0 && nodeLoopback.length === probes.length ? "the node's loopback (probe host 127.0.0.1)" : 'the pod IP';
  const summary =
    restarting.length > 0
      ? `${c.name} ${bound}; kubelet probes ${probed}, is refused, and restarts ${c.name} (restartCount=${restarts}) — the client is refused in each restart gap.`
      : `${c.name} ${bound}; kubelet's readiness probes to ${probed} are refused, so the pod is kept out of its Services' endpoints (readiness failures do not restart it).`;
  return s.toHypothesis('probe-bind-mismatch', summary, fix);
}

function envValue(c: ContainerEvidence, n: string): string {
  return c.env.find((e) => e.name === n)?.value ?? '';
}
