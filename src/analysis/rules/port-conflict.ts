import type { SignatureMatch } from '../../evidence.js';
import type { Hypothesis } from '../types.js';
import { neverRuledOut, type PodRule } from '../rule.js';
import { Score } from '../confidence.js';
import { factsOf, listenersOn, matchesOf, note, quoteLastState, quoteListener, quoteMatch, type Facts } from '../facts.js';
import { findHostPorts } from '../net.js';

/**
 * port-conflict: two processes of the pod want the same port. The namespace is shared, so
 * the second bind fails with EADDRINUSE ("address already in use", errno 98) and that
 * server never listens — or the client reaches the wrong one. Sources: bind(2) EADDRINUSE
 * (https://man7.org/linux/man-pages/man2/bind.2.html); containers of a pod share one network
 * namespace and so one port space (https://kubernetes.io/docs/concepts/workloads/pods/#pod-networking).
 */
export const portConflict: PodRule<'port-conflict'> = {
  id: 'port-conflict',
  doc:
    'Fires on bind-error log lines ("address already in use", "Failed to bind", errno 98) in a container of the pod, or when ' +
    'two containers declare the same containerPort. /proc/net/tcp does not name owners, so the other holder is taken from ' +
    'declared containerPorts and logs. Does not fire on hostNetwork pods where no other container claims the port (the node holds it: hostnetwork-port-conflict).',
  appLevel: true,
  // Why no patch: the change is not one field of one object podnet can name.
  remediation: { kind: 'manual', text: 'Two processes want one port: which one moves is a choice about the application (see the fix).' },
  // Not listed as ruled out: no one fact in the evidence disproves it.
  ruledOut: neverRuledOut,
  detect(ev): Hypothesis | undefined {
    const f = factsOf(ev);
    const binds = matchesOf(f, ['bind-error']);
    const dupes = duplicatePorts(f);
    if (binds.length === 0 && dupes.length === 0) return undefined;
    const s = new Score();
    const P = f.port;
    const bindPorts = binds.map((m) => portOf(m)).filter((p): p is number => p !== undefined);
    const conflictPort = (P !== undefined && (bindPorts.includes(P) || dupes.some((d) => d.port === P)) ? P : bindPorts[0] ?? dupes[0]?.port ?? P) as number | undefined;

    if (binds.length > 0) {
      const onPort = binds.filter((m) => conflictPort === undefined || portOf(m) === undefined || portOf(m) === conflictPort);
      s.support(0.5, ...onPort.slice(-3).map(quoteMatch));
    }
    const dupe = dupes.find((d) => d.port === conflictPort) ?? dupes[0];
    if (dupe) {
      s.support(0.35, { kind: 'spec', text: `containerPort ${dupe.port} is declared by ${dupe.containers.join(' and ')}`, source: 'pod spec' });
    }
    const binder = binds[0]?.container;
    if (conflictPort !== undefined && listenersOn(f, conflictPort).length > 0 && binder) {
      s.support(0.2, ...listenersOn(f, conflictPort).map(quoteListener), note(`port ${conflictPort} is held by a listener while ${binder} fails to bind it: another process owns it`));
    }
    const binderC = f.containers.find((c) => c.name === binder);
    if (binderC && (binderC.status?.restartCount ?? 0) > 0) s.support(0.1, quoteLastState(binderC));

    const holders = conflictPort !== undefined ? f.containers.filter((c) => c.name !== binder && c.ports.some((p) => p.containerPort === conflictPort)) : [];
    // With hostNetwork the pod's namespace is the node's: when no other container of the pod
    // claims the port, the holder is outside the pod and "two processes in the pod" would be
    // false — that is hostnetwork-port-conflict, not this cause.
    if (f.ev.pod?.hostNetwork && holders.length === 0 && !dupe) return undefined;

    const other = dupe?.containers.find((c) => c !== binder) ?? holders[0]?.name;
    const moveWho = binderC ?? f.server;
    const portVar = moveWho?.env.find((e) => /PORT/i.test(e.name) && e.value === String(conflictPort));
    const fix =
      `Move one of them off port ${conflictPort ?? '?'}: ` +
      (portVar && moveWho ? `set ${portVar.name} on ${moveWho.name} to a free port (now ${portVar.value})` : `change the port of ${moveWho?.name ?? binder ?? 'one container'}`) +
      `${other ? `, or of ${other}` : ''}, and update whoever dials it.`;
    const h = s.toHypothesis(
      'port-conflict',
      `Two processes in the pod want port ${conflictPort ?? '?'}${other && binder ? ` (${binder} and ${other})` : ''}; the second bind fails ("address already in use"), so the server the client wants is not the one listening.`,
      fix,
    );
    return h;
  },
};

function portOf(m: SignatureMatch): number | undefined {
  const g = Number(m.groups?.port);
  if (g > 0) return g;
  const hp = findHostPorts(m.line).at(-1);
  if (hp) return hp.port;
  const bare = /\bport\s+(\d{2,5})\b/i.exec(m.line);
  return bare ? Number(bare[1]) : undefined;
}

function duplicatePorts(f: Facts): { port: number; containers: string[] }[] {
  const by = new Map<number, string[]>();
  for (const c of f.containers) {
    for (const p of c.ports) {
      if ((p.protocol ?? 'TCP') !== 'TCP') continue;
      const list = by.get(p.containerPort) ?? [];
      if (!list.includes(c.name)) list.push(c.name);
      by.set(p.containerPort, list);
    }
  }
  return [...by.entries()].filter(([, cs]) => cs.length > 1).map(([port, containers]) => ({ port, containers }));
}
