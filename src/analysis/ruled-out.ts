/**
 * Causes the evidence rules out, each with the evidence that rules it out — said plainly,
 * because "K3s blocks localhost between containers" is the guess podnet exists to retire.
 * Each rule carries its own sentence (`ruledOut`, src/analysis/rules); the sentences several
 * of them share are here. Pure.
 */
import type { Evidence } from '../evidence.js';
import type { CauseId, Diagnosis } from './types.js';
import { factsOf, isIntraPodAddress, type Facts } from './facts.js';
import type { Rule } from './rule.js';
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

/**
 * The causes the evidence rules out, each with its rule's sentence, in the rules' order; a
 * cause that fired is never listed.
 */
export function ruleOut(ev: Evidence, fired: ReadonlySet<CauseId>, rules: readonly Rule[]): Diagnosis['ruledOut'] {
  const f = factsOf(ev);
  const out: Diagnosis['ruledOut'] = [];
  for (const rule of rules) {
    if (fired.has(rule.id)) continue;
    const why = rule.ruledOut(f);
    if (why !== undefined) out.push({ cause: rule.id, why });
  }
  return out;
}

function numberWord(n: number): string {
  return ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'][n] ?? String(n);
}

/** `text` with its first letter in upper case. */
export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
