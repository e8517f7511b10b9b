import type { Hypothesis } from '../types.js';
import type { PodRule } from '../rule.js';
import { Score } from '../confidence.js';
import { refusedSentence, sharedNetnsSentence } from '../ruled-out.js';
import { factsOf, isIntraPodAddress, note, quoteDial, quoteRefusal, type Facts } from '../facts.js';
import { hostPort } from '../net.js';

/** The node runs K3s, whose embedded kube-router policy controller REJECTs instead of dropping. */
export function isK3s(f: Facts): boolean {
  const n = f.ev.node;
  return !!n && (!!n.k3sVersion || /\+k3s/.test(n.kubeletVersion ?? ''));
}

/**
 * network-policy-blocks: for inter-pod targets only. A NetworkPolicy that selects the pod and
 * admits no rule for the peer stops the packets. How that reads depends on the engine: a DROP
 * makes the dial time out; K3s's embedded kube-router ends each pod's firewall chain with
 * `-j REJECT` (icmp-port-unreachable), so a policy denial between pods on K3s reads as
 * "connection refused" (cloudnativelabs/kube-router pkg/controllers/netpol/network_policy_controller.go,
 * syncPodFirewallChains: "default rule to REJECT traffic destined for POD"; iptables-extensions(8)
 * REJECT defaults to icmp-port-unreachable). NetworkPolicy never blocks a pod's own loopback or
 * its access to itself (https://kubernetes.io/docs/concepts/services-networking/network-policies/#what-you-can-t-do-with-network-policies-at-least-not-yet).
 */
export const networkPolicyBlocks: PodRule<'network-policy-blocks'> = {
  id: 'network-policy-blocks',
  doc:
    'Fires only when the dialled address is neither loopback nor one of the pod\'s own IPs, and either the dial timed out ' +
    '(a DROP) or, on a K3s node (kube-router REJECTs with icmp-port-unreachable), it was refused; and NetworkPolicies ' +
    'select the pod without allowing all traffic. Never fires on loopback.',
  appLevel: false,
  // Why no patch: the change is not one field of one object podnet can name.
  remediation: { kind: 'manual', text: 'A NetworkPolicy rule is a security decision: review the rule in the fix and apply it through your policy workflow.' },
  ruledOut,
  detect(ev): Hypothesis | undefined {
    const f = factsOf(ev);
    const interPod = [
      ...f.dials.filter((d) => !isIntraPodAddress(f, d.host)).map((d) => ({ host: d.host, port: d.port, timeout: d.outcome === 'timeout', refused: d.outcome === 'refused', item: quoteDial(d) })),
      ...[...f.refusals, ...f.timeouts].filter((r) => r.source === 'log' && r.host !== undefined && !isIntraPodAddress(f, r.host)).map((r) => ({ host: r.host ?? '', port: r.port ?? 0, timeout: !!r.timeout, refused: !r.timeout, item: quoteRefusal(r) })),
    ];
    if (interPod.length === 0 && isIntraPodAddress(f, f.ev.target.address)) return undefined;
    const timeouts = interPod.filter((d) => d.timeout);
    const refusedToo = interPod.filter((d) => d.refused);
    const k3s = isK3s(f);
    const restrictive = f.ev.policies.filter((p) => !(p.allowsAllEgress && p.allowsAllIngress));
    // On K3s a refusal may be kube-router's REJECT, but it is also what nothing-listening at the
    // peer looks like: it counts only with a restrictive policy in hand.
    const rejected = k3s && restrictive.length > 0 ? refusedToo : [];
    if (timeouts.length === 0 && rejected.length === 0) return undefined;
    const s = new Score();
    if (timeouts.length > 0) {
      s.support(0.35, ...timeouts.slice(0, 3).map((t) => t.item), note(`dial to ${hostPort(timeouts[0]!.host, timeouts[0]!.port)} timed out: packets were dropped, as a DROP policy does`));
    }
    if (rejected.length > 0) {
      s.support(
        timeouts.length > 0 ? 0.1 : 0.25,
        ...rejected.slice(0, 3).map((t) => t.item),
        note(`refused on a K3s node: kube-router answers a denied connection with REJECT (icmp-port-unreachable), which reads as "refused" — as does a peer with nothing listening`),
      );
    }
    if (restrictive.length > 0) {
      s.support(
        0.45,
        ...restrictive.map((p) => ({
          kind: 'policy' as const,
          text: `NetworkPolicy ${p.name} selects the pod: policyTypes=${p.policyTypes.join(',')} ingressRules=${p.ingressRules} egressRules=${p.egressRules}${p.allowsAllEgress ? ' (allows all egress)' : ''}${p.allowsAllIngress ? ' (allows all ingress)' : ''}`,
          source: 'networkpolicies',
        })),
      );
    } else if (f.ev.policies.length > 0) {
      s.oppose(0.7, note('every policy that selects the pod allows all ingress and egress'));
    } else {
      s.oppose(0.6, note('no NetworkPolicy selects this pod (the peer\'s own ingress policy may still stop it)'));
    }
    if (refusedToo.length > 0 && !k3s) {
      s.oppose(0.3, ...refusedToo.slice(0, 2).map((t) => t.item), note('refused, not timed out: on a DROP-based policy engine that means the peer answered (nothing listening), not a policy'));
    }
    const t = timeouts[0] ?? rejected[0]!;
    const labels = Object.entries(f.ev.pod?.labels ?? {}).filter(([k]) => k !== 'pod-template-hash');
    const labelText = labels.map(([k, v]) => `${k}: ${v}`).join(', ') || '…';
    const policyNames = restrictive.map((p) => p.name).join(', ');
    const ns = f.ev.target.namespace;
    // Select the peer by namespace/pod labels, not by an ipBlock of a Service ClusterIP: kube-proxy
    // DNATs the ClusterIP to a pod IP (nat table) before the filter chains that enforce policy see
    // the packet, and the policy's port is the pod's (target) port
    // (https://kubernetes.io/docs/concepts/services-networking/network-policies/ — ipBlock, and
    // "Targeting a Namespace by its name" for kubernetes.io/metadata.name). DNS must stay allowed
    // once egress is restricted, or names stop resolving.
    const h = s.toHypothesis(
      'network-policy-blocks',
      `A NetworkPolicy stops traffic from ${f.ev.target.pod} to ${hostPort(t.host, t.port)}: ${t.timeout ? 'the dial times out instead of being refused' : 'the dial is refused, as kube-router\'s REJECT answers on K3s'}.`,
      `Allow it by selecting the peer pods, not their address: in ${policyNames ? `policy ${policyNames}` : 'a policy selecting this pod'} add an egress rule ` +
        `\`to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: PEER_NAMESPACE}}, podSelector: {matchLabels: PEER_POD_LABELS}}]\` with \`ports: [{protocol: TCP, port: PEER_POD_PORT}]\` ` +
        `for the pods behind ${hostPort(t.host, t.port)} — not an ipBlock of ${t.host}: if that is a Service ClusterIP, kube-proxy rewrites it to a pod IP before the policy is applied, and the port must be the pods' target port. ` +
        `Keep DNS egress (UDP and TCP 53 to kube-system/kube-dns) allowed. If the peer's namespace restricts ingress, add an ingress rule there from this pod ` +
        `(namespaceSelector kubernetes.io/metadata.name: ${ns}, podSelector ${labelText}).`,
    );
    return h;
  },
};

/** The target is the pod's own loopback or IP (never filtered), or every dial connected with no refusal or timeout. */
function ruledOut(f: Facts): string | undefined {
  const ev = f.ev;
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
    const shared = sharedNetnsSentence(f);
    if (shared) parts.push(shared);
    return `${parts.join('; ')}.`;
  }
  if (f.dials.length > 0 && f.dials.every((d) => d.outcome === 'connected') && f.refusals.length === 0 && f.timeouts.length === 0) {
    // Only success rules a policy out: a DROP times out, and K3s's kube-router REJECTs, which
    // reads as "refused" (see the sources above).
    return 'Every dial connected and the client logs no refusal or timeout: no policy is stopping this traffic.';
  }
  return undefined;
}
