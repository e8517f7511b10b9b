import type { Hypothesis } from '../types.js';
import type { PodRule } from '../rule.js';
import type { ServiceEvidence } from '../../evidence.js';
import { Score } from '../confidence.js';
import { declaredBy, factsOf, isIntraPodAddress, serverTie, listenersOn, matchesOf, note, quoteRefusal, quoteState, type Facts } from '../facts.js';
import { findHostPorts, hostPort } from '../net.js';

/**
 * server-not-in-pod: the client dials localhost for a server that runs in another pod.
 * Loopback is per pod, so nothing in this pod will ever answer; the fix is to dial the
 * server's Service. Loopback is per pod: containers of one pod share a network namespace, other
 * pods have their own (https://kubernetes.io/docs/concepts/workloads/pods/#pod-networking); a
 * Service's DNS name is NAME.NAMESPACE.svc.cluster.local
 * (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#services).
 */
export const serverNotInPod: PodRule<'server-not-in-pod'> = {
  id: 'server-not-in-pod',
  doc:
    'Fires when no container of the pod (other than the client) declares the dialled port P, nothing listens on P, and no ' +
    'server container of the pod logs that it serves P. Supported by a missing/unnamed server container and by a Service ' +
    'exposing P that selects other pods. Opposed when a server container is in the pod.',
  appLevel: false,
  // Why no patch: the change is not one field of one object podnet can name.
  remediation: { kind: 'manual', text: 'The client dials a server that is not in this pod: point it at the server\'s Service (see the fix).' },
  ruledOut,
  detect(ev): Hypothesis | undefined {
    const f = factsOf(ev);
    const P = f.port;
    if (P === undefined) return undefined;
    // Only for intra-pod targets: a dial to another pod's address is not a localhost mistake.
    if (!isIntraPodAddress(f, f.address)) return undefined;
    if (listenersOn(f, P).length > 0) return undefined;
    const declarers = declaredBy(f, P).filter((c) => c !== f.client);
    if (declarers.length > 0) return undefined;
    const servesP = matchesOf(f, ['server-grpc-running', 'server-http-running', 'bind-error']).some((m) => {
      const p = Number(m.groups?.port ?? findHostPorts(m.line).at(-1)?.port);
      return p === P;
    });
    if (servesP) return undefined;
    // Without a socket table or a refusal on P, "nothing serves P" is only a guess.
    if (!f.socketsRead && !f.refusals.some((r) => r.port === P)) return undefined;

    const s = new Score();
    s.support(0.3, note(`no container in pod ${f.ev.pod?.name ?? f.ev.target.pod} declares containerPort ${P} (containers: ${f.containers.map((c) => c.name).join(', ') || 'none seen'})`));
    if (f.socketsRead) s.support(0.3, note(`nothing listens on port ${P} at any address in the pod's network namespace`));
    const named = f.ev.target.server;
    if (!named) s.support(0.2, note('no container of this pod could be identified as the server'));
    else if (!f.containers.some((c) => c.name === named)) s.support(0.3, note(`the pod has no container named ${named}`));
    const labels = f.ev.pod?.labels ?? {};
    const elsewhere = f.ev.services.filter((svc) => exposes(svc, P) && !selects(svc, labels));
    if (elsewhere.length > 0) {
      s.support(0.3, ...elsewhere.slice(0, 3).map((svc) => ({
        kind: 'spec' as const,
        text: `Service ${svc.name} exposes port ${P} and selects ${fmtSel(svc.selector)} — not this pod (labels ${fmtSel(labels)})`,
        source: 'services',
      })));
    }
    const refusals = f.refusals.filter((r) => r.port === P);
    if (refusals.length > 0) s.support(0.1, ...refusals.slice(-2).map(quoteRefusal));

    if (f.server) {
      const st = f.server.status?.state;
      if (st && st.state !== 'running') s.oppose(0.6, quoteState(f.server), note(`${f.server.name} is in this pod but not running: its port may be missing only because it is down`));
      else if (serverTie(f)) s.oppose(0.5, note(`${f.server.name} is a container of this pod and is tied to port ${P}`));
      else s.oppose(0.15, note(`${f.server.name} was taken as the server, but nothing ties it to port ${P}`));
    }
    if ((f.server?.status?.restartCount ?? 0) > 0) s.oppose(0.3);

    const ns = f.ev.target.namespace;
    // A Service whose port is P (what the client dials) beats one that only targets P.
    const svc = elsewhere.find((x) => x.ports.some((p) => p.port === P)) ?? elsewhere[0];
    const svcName = svc ? `${svc.name}.${ns}.svc.cluster.local:${svc.ports.find((p) => p.port === P)?.port ?? svc.ports.find((p) => p.targetPort === P)?.port ?? P}` : undefined;
    const also = elsewhere.filter((x) => x !== svc).map((x) => x.name);
    const h = s.toHypothesis(
      'server-not-in-pod',
      `Nothing in this pod serves port ${P}: ${f.client?.name ?? 'the client'} dials ${f.address}:${P}, but the server runs in another pod, and loopback never leaves the pod.`,
      svcName
        ? `Dial the server through the Service that serves port ${P}: point ${f.client?.name ?? 'the client'} at ${svcName} instead of ${f.address}:${P}${also.length > 0 ? ` (other Services exposing ${P}: ${also.slice(0, 3).join(', ')})` : ''}.`
        : `${f.ev.steps.some((st) => st.name === 'services' && !st.ok) ? `The Services of ${ns} could not be read` : `No Service in ${ns} exposes port ${P} (${f.ev.services.length} Services read)`}: find where the server runs (\`kubectl get svc,endpointslices -A\` for port ${P}) and dial its Service's DNS name (NAME.NAMESPACE.svc.cluster.local:PORT) instead of ${f.address}:${P}, or add the server as a container of this pod.`,
    );
    return h;
  },
};

/** The dialled port has a listener in the pod's namespace, or a container of the pod declares it. */
function ruledOut(f: Facts): string | undefined {
  const P = f.port;
  if (P === undefined) return undefined;
  const held = listenersOn(f, P);
  const declarers = declaredBy(f, P).filter((c) => c !== f.client);
  // In a hostNetwork pod the socket table is the node's: a listener there may be any node
  // process, so it does not put the server in this pod.
  if (held.length > 0 && !f.ev.pod?.hostNetwork) return `The server is in this pod: port ${P} has a listener in the pod's namespace (${held.map((l) => hostPort(l.address, l.port)).join(', ')}).`;
  return declarers.length > 0 ? `${declarers.map((c) => c.name).join(', ')} in this pod declares containerPort ${P}.` : undefined;
}

function exposes(svc: ServiceEvidence, port: number): boolean {
  return svc.ports.some((p) => p.port === port || p.targetPort === port);
}

function selects(svc: ServiceEvidence, labels: Record<string, string>): boolean {
  const entries = Object.entries(svc.selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function fmtSel(sel: Record<string, string>): string {
  const e = Object.entries(sel);
  return e.length === 0 ? '{}' : e.map(([k, v]) => `${k}=${v}`).join(',');
}
