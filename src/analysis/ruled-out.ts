/**
 * Causes the evidence rules out, each with the evidence that rules it out — said plainly,
 * because "K3s blocks localhost between containers" is the guess podnet exists to retire.
 * Pure.
 */
import type { Evidence } from '../evidence.js';
import type { CauseId, Diagnosis } from './types.js';
import { declaredBy, factsOf, isIntraPodAddress, listenersOn, type Facts } from './facts.js';
import { hostPort } from './net.js';

/** One sentence on the namespace evidence: "all three containers share one network namespace (net:[…])". */
export function sharedNetnsSentence(f: Facts): string | undefined {
  const read = f.ev.netns.filter((n) => n.netns);
  if (read.length < 2 || f.netnsValues.length !== 1) return undefined;
  const names = read.map((n) => n.container).join(', ');
  return `the containers share one network namespace (${f.netnsValues[0]} in ${read.length === 2 ? 'both' : `all ${numberWord(read.length)}`}: ${names})`;
}

/**
 * "the dial to 127.0.0.1:9500 was refused — on loopback that means nothing accepted that
 * address:port at that moment". Only for intra-pod targets: "refused" is a RST or an ICMP
 * port-unreachable, which a REJECT rule also produces (K3s's kube-router REJECTs policy
 * denials between pods), but NetworkPolicy never filters a pod's own loopback or its traffic to
 * itself (https://kubernetes.io/docs/concepts/services-networking/network-policies/#what-you-can-t-do-with-network-policies-at-least-not-yet),
 * so there the refusal does come from the socket layer. "Nothing accepted" rather than
 * "nothing listening": a listener may exist on another address or family.
 */
export function refusedSentence(f: Facts): string | undefined {
  const refusedDials = f.dials.filter((x) => x.outcome === 'refused' && isIntraPodAddress(f, x.host));
  const d = refusedDials.find((x) => x.host === f.address) ?? (f.refusals.some((x) => x.source === 'log' && !x.timeout) ? undefined : refusedDials[0]);
  const own = (host: string | undefined) => (host && f.podIPs.includes(host) ? "the pod's own IP" : 'loopback');
  if (d) return `the dial to ${hostPort(d.host, d.port)} was refused — on ${own(d.host)}, which NetworkPolicy never filters, that means nothing accepted ${hostPort(d.host, d.port)} at that moment (no filter involved)`;
  const r = f.refusals.find((x) => x.source === 'log' && isIntraPodAddress(f, x.host) && !x.timeout && x.host !== undefined);
  if (r) {
    const hp = hostPort(r.host ?? f.address, r.port ?? 0);
    return `${r.container} logs "connection refused" for ${hp} — on ${own(r.host)}, which NetworkPolicy never filters, that means nothing accepted ${hp} at that moment (no filter involved)`;
  }
  return undefined;
}

export function ruleOut(ev: Evidence, fired: ReadonlySet<CauseId>): Diagnosis['ruledOut'] {
  const f = factsOf(ev);
  const out: Diagnosis['ruledOut'] = [];
  const add = (cause: CauseId, why: string) => {
    if (!fired.has(cause)) out.push({ cause, why });
  };
  // One pod, one network namespace (https://kubernetes.io/docs/concepts/workloads/pods/#pod-networking).
  const shared = sharedNetnsSentence(f);
  if (shared) add('separate-netns', `${capitalize(shared)}. Equal inodes mean one namespace; loopback is common to every container.`);

  const hostNetwork = !!ev.pod?.hostNetwork;
  if (isIntraPodAddress(f, ev.target.address)) {
    // A hostNetwork pod's lo IS the node's (it shares the node's namespace), so "never on the
    // pod's lo" would contradict itself there; NetworkPolicy still does not filter loopback.
    const parts = [
      hostNetwork
        ? `K3s/NetworkPolicy blocking loopback is ruled out: the target ${hostPort(f.address, f.port ?? 0)} is ${f.podIPs.includes(f.address) ? "the pod's own IP (the node's, with hostNetwork)" : "the node's loopback (the pod uses hostNetwork: true)"}, and NetworkPolicy does not filter loopback traffic (Kubernetes docs, Network Policies → "What you can't do")`
        : `K3s/NetworkPolicy blocking loopback is ruled out: the target ${hostPort(f.address, f.port ?? 0)} is ${f.podIPs.includes(f.address) ? "the pod's own IP" : 'loopback'}, and NetworkPolicy cannot block a pod's access to itself or to localhost (Kubernetes docs, Network Policies → "What you can't do"); kube-router and flannel act in the node's namespace, never on the pod's lo`,
    ];
    const refused = refusedSentence(f);
    if (refused) parts.push(refused);
    if (shared) parts.push(shared);
    add('network-policy-blocks', `${parts.join('; ')}.`);
  } else if (f.dials.length > 0 && f.dials.every((d) => d.outcome === 'connected') && f.refusals.length === 0 && f.timeouts.length === 0) {
    // Only success rules a policy out: a DROP times out, and K3s's kube-router REJECTs, which
    // reads as "refused" (see rules/network-policy-blocks.ts for the sources).
    add('network-policy-blocks', 'Every dial connected and the client logs no refusal or timeout: no policy is stopping this traffic.');
  }

  const P = f.port;
  if (P !== undefined) {
    const held = listenersOn(f, P);
    const declarers = declaredBy(f, P).filter((c) => c !== f.client);
    if (held.length > 0) {
      add('port-mismatch', `Something listens on port ${P} (${held.map((l) => `${l.proto} ${hostPort(l.address, l.port)}`).join(', ')}): the port is right.`);
      // In a hostNetwork pod the socket table is the node's: a listener there may be any node
      // process, so it does not put the server in this pod.
      if (!hostNetwork) add('server-not-in-pod', `The server is in this pod: port ${P} has a listener in the pod's namespace (${held.map((l) => hostPort(l.address, l.port)).join(', ')}).`);
      else if (declarers.length > 0) add('server-not-in-pod', `${declarers.map((c) => c.name).join(', ')} in this pod declares containerPort ${P}.`);
    } else if (declarers.length > 0) {
      add('server-not-in-pod', `${declarers.map((c) => c.name).join(', ')} in this pod declares containerPort ${P}.`);
    }
  }

  // kubelet stops a container with SIGTERM, then SIGKILL after terminationGracePeriodSeconds
  // (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination): exit 143
  // or 137 without reason=OOMKilled.
  const server = f.server;
  if (server?.status) {
    const ls = server.status.lastState;
    const oomEvents = [...f.events, ...f.nodeEvents].some((e) => /OOM/i.test(e.reason));
    if (ls?.state === 'terminated' && ls.reason !== 'OOMKilled' && server.status.state.reason !== 'OOMKilled' && !oomEvents) {
      add('server-oom-killed', `${server.name}'s last termination was ${[ls.reason && `reason=${ls.reason}`, ls.exitCode !== undefined && `exitCode=${ls.exitCode}`].filter(Boolean).join(' ')}, not OOMKilled, and there are no OOM events${ls.exitCode === 137 ? " (137 is SIGKILL: kubelet's kill after failed liveness/startup probes gives it too when the process outlives its grace period)" : ''}.`);
    } else if (!ls && server.status.restartCount === 0 && !oomEvents) {
      add('server-oom-killed', `${server.name} has never been terminated (restartCount=0) and there are no OOM events.`);
    }
    if (server.status.restartCount === 0 && server.status.state.state === 'running') {
      add('server-crashloop', `${server.name} is running and has never restarted (restartCount=0).`);
    }
  }
  if (ev.pod && !ev.pod.hostNetwork) add('hostnetwork-port-conflict', 'The pod does not use hostNetwork: its ports are its own, not the node\'s.');
  if (ev.pod && ev.sidecars.length === 0 && !ev.pod.initContainers.some((c) => /istio-init|linkerd-init/.test(c.name)) && !ev.pod.containers.some((c) => /istio-proxy|linkerd-proxy/.test(c.name))) {
    add('sidecar-interception', 'No mesh proxy (istio-proxy, linkerd-proxy) and no istio-init/linkerd-init in the pod.');
  }
  return out;
}

function numberWord(n: number): string {
  return ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'][n] ?? String(n);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
