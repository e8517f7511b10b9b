import type { Hypothesis } from '../types.js';
import { neverRuledOut, type PodRule } from '../rule.js';
import { Score } from '../confidence.js';
import { planBind } from '../../remediation/patches.js';
import { accepts, factsOf, listenersOn, matchesOf, quoteDial, quoteEnv, quoteListener, quoteMatch, note, settingHome, settingHomeWhy } from '../facts.js';
import { findHostPorts, isLoopback, isWildcard, rebindValue } from '../net.js';

/**
 * bind-address-mismatch: the server bound one specific address (usually the pod IP), the
 * client dials another (usually 127.0.0.1). A listener on 10.42.1.17:9500 does not accept
 * 127.0.0.1:9500 (ip(7): a socket bound to a specific local address receives only what is
 * addressed to it; https://man7.org/linux/man-pages/man7/ip.7.html). kubelet probes still pass
 * (they dial the pod IP: https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#http-probes),
 * so nothing restarts.
 */
export const bindAddressMismatch: PodRule<'bind-address-mismatch'> = {
  id: 'bind-address-mismatch',
  doc:
    'Fires when the dialled port P has an IPv4 listener on a specific non-loopback address (the pod IP or another) and none on ' +
    '0.0.0.0/127.0.0.1/:: that accepts the client\'s address. Supported by a refused dial to 127.0.0.1:P next to a connected ' +
    'dial to POD_IP:P, a server env var taken from status.podIP, or a "running on http://POD_IP:P" line.',
  appLevel: true,
  remediation: { kind: 'patch', plan: planBind },
  // Not listed as ruled out: no one fact in the evidence disproves it.
  ruledOut: neverRuledOut,
  detect(ev): Hypothesis | undefined {
    const f = factsOf(ev);
    const P = f.port;
    if (P === undefined) return undefined;
    const ls = listenersOn(f, P);
    const specific = ls.filter((l) => !isLoopback(l.address) && !isWildcard(l.address));
    if (specific.length === 0) return undefined;
    if (accepts(f, f.address, P)) return undefined;
    const s = new Score();
    s.support(0.55, ...ls.map(quoteListener), note(`no listener on 0.0.0.0:${P}, 127.0.0.1:${P} or [::]:${P}: a dial to ${f.address}:${P} finds nothing`));
    if (isLoopback(f.address)) s.support(0.15, note(`${f.client?.name ?? 'the client'} dials ${f.address}:${P}`));
    const refused = f.dials.filter((d) => d.port === P && d.host === f.address && d.outcome === 'refused');
    const ok = f.dials.filter((d) => d.port === P && specific.some((l) => l.address === d.host) && d.outcome === 'connected');
    if (refused.length > 0) s.support(0.15, ...refused.map(quoteDial));
    if (ok.length > 0) s.support(0.2, ...ok.map(quoteDial));
    const server = f.server;
    const hostEnv = (server?.env ?? []).filter((e) => /HOST|ADDR|BIND|LISTEN/i.test(e.name) && ((e.from === 'fieldRef' && /podIP/i.test(e.ref ?? '')) || (e.value !== undefined && specific.some((l) => l.address === e.value))));
    if (server && hostEnv.length > 0) s.support(0.2, ...hostEnv.map((e) => quoteEnv(server, e.name)));
    const lines = matchesOf(f, ['server-grpc-running', 'server-http-running'], server?.name).filter((m) => findHostPorts(m.line).some((hp) => specific.some((l) => l.address === hp.host)));
    if (lines.length > 0) s.support(0.1, ...lines.slice(-2).map(quoteMatch));

    const addr = specific[0]?.address ?? '?';
    const isPodIP = f.podIPs.includes(addr);
    const serverName = server?.name ?? 'the server';
    const envHint = server && hostEnv[0] ? `set ${hostEnv[0].name}=${rebindValue(hostEnv[0].value, '0.0.0.0')} ${settingHome(f, server.name)} (now ${hostEnv[0].from === 'fieldRef' ? `from fieldRef ${hostEnv[0].ref}` : hostEnv[0].value})` : `make ${serverName} bind 0.0.0.0`;
    const h = s.toHypothesis(
      'bind-address-mismatch',
      `${serverName} is bound to ${addr}:${P}${isPodIP ? ' (the pod IP)' : ''} only; ${f.client?.name ?? 'the client'} dials ${f.address}:${P}, which that socket does not accept.`,
      `Either ${envHint} so it accepts loopback too, or have ${f.client?.name ?? 'the client'} dial ${addr}:${P}${isPodIP ? ' (e.g. its host env var from fieldRef status.podIP)' : ''}.` + settingHomeWhy(f),
    );
    return h;
  },
};
