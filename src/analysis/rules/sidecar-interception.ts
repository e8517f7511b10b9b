import type { Hypothesis, Rule } from '../types.js';
import { Score, MIN_CONFIDENCE } from '../confidence.js';
import { accepts, factsOf, listenersOn, matchesOf, note, quoteDial, quoteListener, quoteMatch } from '../facts.js';
import { isLoopback } from '../net.js';

const PROXY_NAME = /^(istio-proxy|linkerd-proxy|envoy-sidecar|consul-dataplane|kuma-sidecar)$/;
const PROXY_IMAGE = /istio\/proxyv2|linkerd.*proxy|consul-dataplane|kuma-dp/i;
const INIT_NAME = /^(istio-init|linkerd-init|istio-validation|kuma-init)$/;

/**
 * sidecar-interception: a mesh proxy redirects the pod's traffic through iptables (istio-init,
 * linkerd-init) and may reject, reset or hold it — for some ports, or while it starts.
 * Plain 127.0.0.1 → 127.0.0.1 traffic is not redirected by Istio/Linkerd by default, so a
 * loopback refusal with nothing listening is not the mesh's doing.
 */
export const sidecarInterception: Rule = {
  id: 'sidecar-interception',
  doc:
    'Fires when the pod has a mesh proxy (istio-proxy, linkerd-proxy, …; evidence.sidecars) or a redirecting init container ' +
    '(istio-init, linkerd-init) and the client fails. Raised by failures on some ports only (dials to other ports connect), ' +
    'mesh-proxy log lines and a non-loopback target; lowered when the target is loopback and nothing accepts it.',
  detect(ev): Hypothesis[] {
    const f = factsOf(ev);
    const pod = f.ev.pod;
    const proxies = [
      ...new Set([
        ...f.ev.sidecars,
        ...(pod?.containers ?? []).filter((c) => PROXY_NAME.test(c.name) || PROXY_IMAGE.test(c.image)).map((c) => c.name),
        ...(pod?.initContainers ?? []).filter((c) => PROXY_NAME.test(c.name) || PROXY_IMAGE.test(c.image)).map((c) => c.name),
      ]),
    ];
    const inits = (pod?.initContainers ?? []).filter((c) => INIT_NAME.test(c.name)).map((c) => c.name);
    if (proxies.length === 0 && inits.length === 0) return [];
    const failing = f.refusals.length > 0 || f.dials.some((d) => !d.ok) || matchesOf(f, ['mesh-proxy']).length > 0;
    if (!failing) return [];

    const s = new Score();
    s.support(0.3, { kind: 'spec', text: `mesh proxy in the pod: ${[...proxies, ...inits.map((n) => `${n} (init)`)].join(', ')}`, source: 'pod spec' });
    if (inits.length > 0) s.support(0.1, note(`${inits.join(', ')} installs iptables rules that redirect the pod's traffic to the proxy`));
    const P = f.port;
    const okPorts = [...new Set(f.dials.filter((d) => d.ok).map((d) => d.port))];
    const badPorts = [...new Set(f.dials.filter((d) => !d.ok).map((d) => d.port))];
    if (okPorts.length > 0 && badPorts.some((p) => !okPorts.includes(p))) {
      s.support(0.3, ...f.dials.map(quoteDial), note(`only some ports fail (${badPorts.join(', ')}) while others connect (${okPorts.join(', ')})`));
    }
    const meshLines = matchesOf(f, ['mesh-proxy']);
    if (meshLines.length > 0) s.support(0.3, ...meshLines.slice(-3).map(quoteMatch));
    const appLoopbackOnly = P !== undefined && listenersOn(f, P).length > 0 && listenersOn(f, P).every((l) => isLoopback(l.address));
    if (appLoopbackOnly && proxies.length > 0) {
      s.support(
        0.3,
        ...listenersOn(f, P).map(quoteListener),
        note(`the app listens on loopback only, but the proxy forwards inbound traffic to the pod IP (${f.podIP ?? '?'}:${P}; Istio ≥ 1.10): mesh traffic to port ${P} is refused`),
      );
    }
    if (!isLoopback(f.address)) s.support(0.15, note(`${f.client?.name ?? 'the client'} dials ${f.address}, which the proxy intercepts`));
    else if (P !== undefined && f.socketsRead && !accepts(f, f.address, P)) {
      s.oppose(0.6, note(`the target ${f.address}:${P} is loopback and nothing accepts it: the mesh does not redirect 127.0.0.1 → 127.0.0.1, so the refusal is not the proxy's`));
    }
    const proxy = proxies[0] ?? 'the proxy';
    const isLinkerd = /linkerd/.test(proxy);
    const bindFirst = appLoopbackOnly ? `Bind ${f.server?.name ?? 'the app'} to 0.0.0.0 so the proxy can reach it on the pod IP. Otherwise: ` : '';
    const port = badPorts[0] ?? P ?? 'PORT';
    const fix = bindFirst + (isLinkerd
      ? `Exclude port ${port} from the proxy: annotate the pod config.linkerd.io/skip-inbound-ports: "${port}" (or skip-outbound-ports), or fix the Server/AuthorizationPolicy that rejects it.`
      : `Exclude port ${port} from interception: annotate the pod traffic.sidecar.istio.io/excludeInboundPorts: "${port}" (or excludeOutboundPorts), or fix the mesh config (PeerAuthentication/AuthorizationPolicy, Sidecar); if it fails only at start, set proxy.istio.io/config holdApplicationUntilProxyStarts: true.`);
    const h = s.toHypothesis(
      'sidecar-interception',
      `The mesh proxy ${proxy} sits in the traffic path and rejects or holds the client's connections${badPorts.length > 0 ? ` on port ${badPorts.join(', ')}` : ''}.`,
      fix,
    );
    return h.confidence >= MIN_CONFIDENCE ? [h] : [];
  },
};
