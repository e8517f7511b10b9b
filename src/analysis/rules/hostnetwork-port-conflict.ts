import type { Hypothesis } from '../types.js';
import type { PodRule } from '../rule.js';
import { Score } from '../confidence.js';
import { factsOf, listenersOn, matchesOf, note, quoteListener, quoteMatch, quoteState, type Facts } from '../facts.js';
import { findHostPorts } from '../net.js';

/**
 * hostnetwork-port-conflict: a hostNetwork pod shares the node's network namespace, so its
 * 127.0.0.1 and its ports are the node's; a node process (or another hostNetwork pod)
 * already holds the port. hostNetwork pods use the node's network namespace
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/, "Host Namespaces").
 */
export const hostnetworkPortConflict: PodRule<'hostnetwork-port-conflict'> = {
  id: 'hostnetwork-port-conflict',
  doc:
    'Fires on a pod with hostNetwork: true when a container logs a bind error, or when the dialled port has a listener no ' +
    'container of the pod declares while the server is not running. The socket table of a hostNetwork pod is the node\'s.',
  appLevel: true,
  // Why no patch: the change is not one field of one object podnet can name.
  remediation: { kind: 'manual', text: 'A host port is taken on the node: moving the pod or the other process is a scheduling decision (see the fix).' },
  ruledOut,
  detect(ev): Hypothesis | undefined {
    const f = factsOf(ev);
    const pod = f.ev.pod;
    if (!pod?.hostNetwork) return undefined;
    const binds = matchesOf(f, ['bind-error']);
    const P = f.port;
    const portOf = (line: string, g?: Record<string, string>) => Number(g?.port ?? findHostPorts(line).at(-1)?.port ?? /\bport\s+(\d{2,5})/i.exec(line)?.[1]);
    const bindPort = binds.map((m) => portOf(m.line, m.groups)).find((p) => p > 0);
    const port = P ?? bindPort;
    const held = port !== undefined ? listenersOn(f, port) : [];
    const binder = binds[0]?.container;
    const declaredByOthers = port !== undefined ? f.containers.filter((c) => c.name !== binder && c.ports.some((p) => p.containerPort === port)) : [];
    const serverDown = !!f.server?.status && f.server.status.state.state !== 'running';
    if (binds.length === 0 && !(held.length > 0 && serverDown && declaredByOthers.length === 0)) return undefined;

    const s = new Score();
    s.support(0.3, { kind: 'spec', text: `pod spec hostNetwork: true (pod IP ${pod.podIP ?? '?'}${pod.hostIP ? `, node IP ${pod.hostIP}` : ''}): 127.0.0.1 and every port are the node's`, source: 'pod spec' });
    if (binds.length > 0) s.support(0.45, ...binds.slice(-2).map(quoteMatch));
    if (held.length > 0 && declaredByOthers.length === 0) {
      s.support(0.3, ...held.map(quoteListener), note(`no other container of the pod declares port ${port}: the listener belongs to something on node ${pod.nodeName ?? '?'}`));
    }
    if (serverDown && f.server) s.support(0.1, quoteState(f.server));
    if (declaredByOthers.length > 0) s.oppose(0.5, note(`${declaredByOthers.map((c) => c.name).join(', ')} of this pod declares port ${port}: the conflict may be inside the pod`));

    const who = f.containers.find((c) => c.name === binder) ?? f.server;
    const portVar = who?.env.find((e) => /PORT/i.test(e.name) && e.value === String(port));
    const h = s.toHypothesis(
      'hostnetwork-port-conflict',
      `The pod runs with hostNetwork: true and port ${port ?? '?'} on node ${pod.nodeName ?? '?'} is already held by a process outside the pod, so ${who?.name ?? 'the server'} cannot bind it.`,
      `Move ${who?.name ?? 'the server'} to a free port${portVar ? ` (${portVar.name}, now ${portVar.value})` : ''} or drop hostNetwork: true; find the holder on node ${pod.nodeName ?? '?'} with \`ss -ltnp 'sport = :${port ?? 'PORT'}'\`.`,
    );
    return h;
  },
};

/** The pod does not use hostNetwork: its ports are its own. */
function ruledOut(f: Facts): string | undefined {
  return f.ev.pod && !f.ev.pod.hostNetwork ? 'The pod does not use hostNetwork: its ports are its own, not the node\'s.' : undefined;
}
