/**
 * The three standing workaround options (causes.md), always listed, each with a fit for
 * this incident and one sentence why. When the evidence shows an application-level cause
 * the options say plainly that they are not needed. Pure.
 */
import type { Evidence } from '../evidence.js';
import type { Hypothesis, OptionFit, OptionFitLevel, OptionId } from './types.js';
import type { Rule } from './rule.js';
import { factsOf } from './facts.js';
import { refusedSentence, sharedNetnsSentence } from './ruled-out.js';

export const OPTION_TRADEOFFS: Record<OptionId, string> = {
  // Model.spec.server is the NAME of a Server in the Model's own namespace (one scheduler per
  // namespace), so sharing a Server means deploying the Model into that Server's namespace
  // (SeldonIO/seldon-core operator/apis/mlops/v1alpha1/model_types.go, ModelSpec.Server;
  // https://docs.seldon.ai/seldon-core-2/kubernetes/resources/model).
  'shared-mlserver': 'Less tenant isolation and shared capacity: every tenant\'s models load into one central MLServer — each Model deployed into the shared Server\'s namespace with spec.server: <Server name> (a Server name, in the Model\'s own namespace).',
  'service-routing': 'An extra network hop and its latency, and more objects to keep (a Service per server, the client configured to dial it).',
  'platform-change': 'Platform-wide impact on every workload of the cluster, slow, and it needs the platform team.',
};

/** A top hypothesis at or above this is taken as settled for the options. */
const SETTLED = 0.5;
/** …or a little below it, when it leads the next cause by this much. */
const MARGIN = 0.15;

/**
 * The three options for this incident. `rules` say which causes are the app's own
 * (`appLevel`): when one of them is settled, every option is not needed.
 */
export function assessOptions(ev: Evidence, ranked: Hypothesis[], rules: readonly Rule[]): OptionFit[] {
  const f = factsOf(ev);
  const top = ranked[0];
  const cause = top?.cause ?? 'unknown';
  const second = ranked[1]?.confidence ?? 0;
  const settled = !!top && cause !== 'unknown' && (top.confidence >= SETTLED || (top.confidence >= SETTLED - 0.05 && top.confidence - second >= MARGIN));
  const seldon = isSeldonPod(ev);
  const server = f.server?.name ?? 'the server';
  const client = f.client?.name ?? 'the client';
  const fit = (id: OptionId, level: OptionFitLevel, why: string): OptionFit => ({ id, fit: level, why, tradeoff: OPTION_TRADEOFFS[id] });

  const shared = sharedNetnsSentence(f);
  const refused = refusedSentence(f);
  const notPlatform = [shared, refused].filter(Boolean).join(' and ');

  if (cause === 'separate-netns' && settled) {
    return [
      fit('shared-mlserver', seldon ? 'possible' : 'not-needed', seldon ? `A central MLServer sidesteps the broken pod sandbox until the runtime is fixed, at the cost of isolation.` : 'This is not a Seldon server pod; a shared MLServer does not apply.'),
      fit('service-routing', 'possible', `Dialling ${server} through a Service does not depend on a shared loopback, so it works around the split namespaces until the runtime is fixed.`),
      fit('platform-change', 'recommended', `The containers are in different network namespaces (${f.netnsValues.join(' vs ')}): a container-runtime fault only the platform team can fix.`),
    ];
  }
  // Loopback is per pod (https://kubernetes.io/docs/concepts/workloads/pods/#pod-networking).
  if (cause === 'server-not-in-pod' && settled) {
    return [
      fit('shared-mlserver', seldon ? 'possible' : 'not-needed', seldon ? 'Pointing the model at a central MLServer is one way to reach a server that is not in this pod.' : 'This is not a Seldon server pod; a shared MLServer does not apply.'),
      fit('service-routing', 'recommended', `The server runs in another pod; ${client} must reach it through its Service, since loopback never leaves the pod.`),
      fit('platform-change', 'not-needed', `Loopback is per pod by design; no K3s/CNI setting makes another pod's server appear on 127.0.0.1.`),
    ];
  }
  // A Service is DNAT to the pod IPs; NetworkPolicy applies to the pods behind it
  // (https://kubernetes.io/docs/concepts/services-networking/network-policies/).
  if (cause === 'network-policy-blocks' && settled) {
    return [
      fit('shared-mlserver', 'not-needed', 'The traffic is blocked by a policy, not by where the server runs; a shared MLServer would be blocked the same way.'),
      fit('service-routing', 'not-needed', 'A Service does not bypass NetworkPolicy; the allow rule is the fix.'),
      fit('platform-change', 'not-needed', 'Allow rules fix it — egress in this pod\'s policy, and ingress in the peer\'s namespace if its policy restricts ingress; no K3s/CNI change is needed.'),
    ];
  }
  if (settled && rules.some((r) => r.id === cause && r.appLevel)) {
    const why = `the cause is ${cause}, fixed in the pod's own configuration (${shortFix(top)})`;
    const serviceWhy =
      cause === 'probe-bind-mismatch' || cause === 'bind-address-mismatch'
        ? `A Service dials the pod IP, which ${server} does not accept either; ${why}.`
        : cause === 'port-mismatch'
          ? `A Service would still target the wrong port; ${why}.`
          : `Routing ${client} through a Service adds a hop and would not remove ${cause}; ${why}.`;
    return [
      fit('shared-mlserver', 'not-needed', seldon ? `${capitalize(why)}; moving to a shared MLServer trades tenant isolation for nothing.` : 'This is not a Seldon server pod, and the targeted fix works in place.'),
      fit('service-routing', 'not-needed', serviceWhy),
      fit(
        'platform-change',
        'not-needed',
        `${capitalize([notPlatform, why].filter(Boolean).join('; '))}. K3s is not blocking loopback.`,
      ),
    ];
  }
  // Not settled: say what is known, keep the stop-gaps open.
  const platformWhy =
    shared
      ? `So far, ${shared}${refused ? ` and ${refused}` : ''}; nothing points at the platform.`
      : f.netnsValues.length > 1
        ? 'Possibly: containers report different network namespaces, but the evidence is not conclusive.'
        : 'Not shown either way: the network namespaces could not be compared — collect them before involving the platform team.';
  return [
    fit('shared-mlserver', seldon ? 'possible' : 'not-needed', seldon ? 'A stop-gap while the cause is unsettled; costs tenant isolation.' : 'This is not a Seldon server pod; a shared MLServer does not apply.'),
    fit('service-routing', 'possible', `A stop-gap while the cause is unsettled${top && top.cause !== 'unknown' ? ` (leading guess: ${top.cause}, ${Math.round(top.confidence * 100)}%)` : ''}.`),
    fit('platform-change', shared ? 'not-needed' : f.netnsValues.length > 1 ? 'possible' : 'not-needed', platformWhy),
  ];
}

function shortFix(h: Hypothesis | undefined): string {
  if (!h) return 'see the fix';
  // Split after a sentence's punctuation, not inside `HOST:PORT` or `::`.
  const first = h.fix.split(/(?<=[A-Za-z0-9)\]`'"][.:;])\s/)[0] ?? h.fix;
  return first.length > 140 ? `${first.slice(0, 139)}…` : first.replace(/[.:;]$/, '');
}

/** A Seldon Core v2 server pod: agent + mlserver containers or Seldon labels. */
export function isSeldonPod(ev: Evidence): boolean {
  const pod = ev.pod;
  if (!pod) return /mlserver|seldon/i.test(ev.target.pod);
  const names = pod.containers.map((c) => `${c.name} ${c.image}`).join(' ');
  return /mlserver|seldon/i.test(names) || Object.keys(pod.labels).some((k) => /seldon/i.test(k));
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
