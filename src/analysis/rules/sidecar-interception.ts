import type { Hypothesis } from '../types.js';
import type { PodRule } from '../rule.js';
import { Score } from '../confidence.js';
import { accepts, factsOf, listenersOn, matchesOf, note, quoteDial, quoteListener, quoteMatch, settingHome, type Facts } from '../facts.js';
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
export const sidecarInterception: PodRule<'sidecar-interception'> = {
  id: 'sidecar-interception',
  doc:
    'Fires when the pod has a mesh proxy (istio-proxy, linkerd-proxy, …; evidence.sidecars) or a redirecting init container ' +
    '(istio-init, linkerd-init) and the client fails. Raised by failures on some ports only (dials to other ports connect), ' +
    'mesh-proxy log lines and a non-loopback target; lowered when the target is loopback and nothing accepts it.',
  appLevel: true,
  // Why no patch: the change is not one field of one object podnet can name.
  remediation: { kind: 'manual', text: 'The change is either the app bind or an Istio `Sidecar` resource; pick one (see the fix) and apply it through your mesh configuration.' },
  ruledOut,
  detect(ev): Hypothesis | undefined {
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
    if (proxies.length === 0 && inits.length === 0) return undefined;
    const failing = f.refusals.length > 0 || f.dials.some((d) => !d.ok) || matchesOf(f, ['mesh-proxy']).length > 0;
    if (!failing) return undefined;

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
        note(`the app listens on loopback only, but the proxy forwards inbound traffic to the pod IP (${f.podIP ?? '?'}:${P}; Istio ≥ 1.10, https://istio.io/latest/blog/2021/upcoming-networking-changes/): mesh traffic to port ${P} is refused`),
      );
    }
    if (!isLoopback(f.address)) s.support(0.15, note(`${f.client?.name ?? 'the client'} dials ${f.address}, which the proxy intercepts`));
    else if (P !== undefined && f.socketsRead && !accepts(f, f.address, P)) {
      // istio-iptables returns traffic to 127.0.0.1/32 from the OUTPUT chain before any redirect
      // (istio/istio tools/istio-iptables/pkg/capture/run.go: "-d 127.0.0.1/32 -j RETURN").
      s.oppose(0.6, note(`the target ${f.address}:${P} is loopback and nothing accepts it: the mesh does not redirect 127.0.0.1 → 127.0.0.1, so the refusal is not the proxy's`));
    }
    // The proxy is a container (istio-proxy, linkerd-proxy); istio-init/linkerd-init only install
    // the iptables redirect and exit before the app starts.
    const proxy = proxies.find((n) => !INIT_NAME.test(n)) ?? proxies[0] ?? 'the proxy';
    const redirect = inits.length > 0 ? ` (redirect installed by ${inits.join(', ')})` : '';
    const isLinkerd = /linkerd/.test(proxy);
    const app = f.server?.name ?? 'the app';
    const port = badPorts[0] ?? P ?? 'PORT';
    let fix: string;
    let summary: string;
    if (appLoopbackOnly) {
      // Since Istio 1.10 the sidecar forwards inbound traffic to the pod IP, not 127.0.0.1
      // (https://istio.io/latest/blog/2021/upcoming-networking-changes/). A loopback-only app is
      // fixed by binding 0.0.0.0, or by a Sidecar ingress listener whose defaultEndpoint is
      // 127.0.0.1:PORT (https://istio.io/latest/docs/reference/config/analysis/ist0143/,
      // https://istio.io/latest/docs/reference/config/networking/sidecar/#IstioIngressListener).
      // Excluding the port from capture (traffic.sidecar.istio.io/excludeInboundPorts) only lets
      // callers reach POD_IP:PORT directly, which a loopback-bound app refuses as well.
      summary = `The ${proxy} sidecar${redirect} forwards inbound traffic for port ${P} to the pod IP (${f.podIP ?? '?'}:${P}), but ${app} listens on loopback only, so the proxy's connections to it are refused.`;
      fix =
        `Bind ${app} to 0.0.0.0 ${f.server ? `(${settingHome(f, f.server.name).replace(/^on /, '')}) ` : ''}so the proxy reaches it on the pod IP` +
        (isLinkerd
          ? '.'
          : `, or keep it on loopback and add an Istio \`Sidecar\` for this workload with an ingress listener on port ${P} and \`defaultEndpoint: 127.0.0.1:${P}\`.`) +
        ` Excluding port ${P} from the proxy (${isLinkerd ? 'config.linkerd.io/skip-inbound-ports' : 'traffic.sidecar.istio.io/excludeInboundPorts'}) does not help: callers would then reach ${f.podIP ?? 'the pod IP'}:${P}, which ${app} refuses too.`;
    } else {
      // Start-up order: holdApplicationUntilProxyStarts
      // (https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#ProxyConfig) or the
      // proxy as a native sidecar (https://istio.io/latest/blog/2023/native-sidecars/).
      summary = `The mesh proxy ${proxy}${redirect} intercepts the pod's traffic and rejects or holds the client's connections${badPorts.length > 0 ? ` on port ${badPorts.join(', ')}` : ''}.`;
      fix = isLinkerd
        ? `Fix the Linkerd policy that rejects port ${port} (Server/AuthorizationPolicy), or, for a protocol the proxy cannot handle, skip it: config.linkerd.io/skip-inbound-ports: "${port}" (or skip-outbound-ports) — only when ${app} listens on 0.0.0.0, since callers then reach the pod IP directly.`
        : `Fix the mesh config that rejects port ${port} (PeerAuthentication/AuthorizationPolicy, Sidecar), or exclude it from capture with traffic.sidecar.istio.io/excludeInboundPorts: "${port}" (or excludeOutboundPorts) — only when ${app} listens on 0.0.0.0, since callers then reach the pod IP directly; ` +
          `if it fails only at start, start the proxy first: proxy.istio.io/config holdApplicationUntilProxyStarts: true, or native sidecars.`;
    }
    const h = s.toHypothesis('sidecar-interception', summary, fix);
    return h;
  },
};

/** No mesh proxy container and no redirecting init container in the pod. */
function ruledOut(f: Facts): string | undefined {
  const ev = f.ev;
  if (ev.pod && ev.sidecars.length === 0 && !ev.pod.initContainers.some((c) => /istio-init|linkerd-init/.test(c.name)) && !ev.pod.containers.some((c) => /istio-proxy|linkerd-proxy/.test(c.name))) {
    return 'No mesh proxy (istio-proxy, linkerd-proxy) and no istio-init/linkerd-init in the pod.';
  }
  return undefined;
}
