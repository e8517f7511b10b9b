import type { Hypothesis, Rule } from '../types.js';
import { Score, MIN_CONFIDENCE } from '../confidence.js';
import { factsOf, isIntraPodAddress, note, quoteDial, quoteRefusal } from '../facts.js';
import { hostPort } from '../net.js';

/**
 * network-policy-blocks: for inter-pod targets only. A NetworkPolicy that selects the pod
 * and admits no rule for the peer drops the packets: the dial times out. NetworkPolicy
 * cannot block a pod's own loopback or its own IP, and a refusal (RST) is never a policy.
 */
export const networkPolicyBlocks: Rule = {
  id: 'network-policy-blocks',
  doc:
    'Fires only when the dialled address is neither loopback nor one of the pod\'s own IPs, the dial timed out (not refused), ' +
    'and NetworkPolicies select the pod without allowing all traffic. Never fires on loopback or on refusals.',
  detect(ev): Hypothesis[] {
    const f = factsOf(ev);
    const interPod = [
      ...f.dials.filter((d) => !isIntraPodAddress(f, d.host)).map((d) => ({ host: d.host, port: d.port, timeout: d.outcome === 'timeout', refused: d.outcome === 'refused', item: quoteDial(d) })),
      ...[...f.refusals, ...f.timeouts].filter((r) => r.source === 'log' && r.host !== undefined && !isIntraPodAddress(f, r.host)).map((r) => ({ host: r.host ?? '', port: r.port ?? 0, timeout: !!r.timeout, refused: !r.timeout, item: quoteRefusal(r) })),
    ];
    if (interPod.length === 0 && isIntraPodAddress(f, f.ev.target.address)) return [];
    const timeouts = interPod.filter((d) => d.timeout);
    if (timeouts.length === 0) return [];
    const s = new Score();
    s.support(0.35, ...timeouts.slice(0, 3).map((t) => t.item), note(`dial to ${hostPort(timeouts[0]!.host, timeouts[0]!.port)} timed out: packets were dropped, as a policy does`));
    const restrictive = f.ev.policies.filter((p) => !(p.allowsAllEgress && p.allowsAllIngress));
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
      s.oppose(0.6, note('no NetworkPolicy selects this pod (the peer\'s own ingress policy may still drop it)'));
    }
    const refusedToo = interPod.filter((d) => d.refused);
    if (refusedToo.length > 0) s.oppose(0.3, ...refusedToo.slice(0, 2).map((t) => t.item));
    const t = timeouts[0]!;
    const h = s.toHypothesis(
      'network-policy-blocks',
      `A NetworkPolicy drops traffic from ${f.ev.target.pod} to ${hostPort(t.host, t.port)}: the dial times out instead of being refused.`,
      `Add an allow rule: egress from this pod (labels ${Object.entries(f.ev.pod?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '…'}) to ${hostPort(t.host, t.port)}, and ingress on the peer's policy from this pod, on TCP ${t.port}.`,
    );
    return h.confidence >= MIN_CONFIDENCE ? [h] : [];
  },
};
