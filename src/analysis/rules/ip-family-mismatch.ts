import type { Hypothesis } from '../types.js';
import { neverRuledOut, type PodRule } from '../rule.js';
import { Score } from '../confidence.js';
import { acceptsDial, factsOf, listenersOn, note, quoteDial, quoteListener, quoteRefusal, envOf, quoteEnv, settingHome, settingHomeWhy } from '../facts.js';
import { hostPort, isIPv6, rebindValue, stripBrackets } from '../net.js';

/**
 * Whether `::` is dual-stack depends on the runtime (IPV6_V6ONLY), not on the kernel alone:
 * Go and Node leave it off, Python asyncio/uvicorn/uvloop (MLServer's REST server), PostgreSQL
 * `listen_addresses='::'` and Redis set it. Sources: cpython Lib/asyncio/base_events.py
 * (create_server sets IPV6_V6ONLY on AF_INET6 sockets); postgres src/backend/libpq/pqcomm.c
 * (ListenServerPort sets IPV6_V6ONLY); redis src/anet.c (anetV6Only for the IPv6 listener);
 * go src/net/sockopt_linux.go; https://nodejs.org/api/net.html#serverlistenoptions-callback.
 */
const DUAL_STACK_NOTE = '`::` is dual-stack only where the runtime leaves IPV6_V6ONLY off (Go, Node); Python asyncio/uvicorn (MLServer), PostgreSQL and Redis set it';

/**
 * ip-family-mismatch: server and client speak different IP families on loopback. A server on
 * `::1` does not accept 127.0.0.1; a `::` listener whose socket is v6-only does not either
 * (shown by a live 127.0.0.1 dial refused while it listened); a client dialling `localhost`
 * may resolve ::1 first and find nothing when the server listens on IPv4 only.
 */
export const ipFamilyMismatch: PodRule<'ip-family-mismatch'> = {
  id: 'ip-family-mismatch',
  doc:
    'Fires when the dialled port P has only IPv6 listeners that do not accept the client\'s IPv4 address: tcp6 ::1 with no tcp ' +
    'row, or tcp6 :: while a live dial to the IPv4 address from the same namespace was refused (IPV6_V6ONLY; /proc/net/tcp6 ' +
    'cannot show the flag, the refused dial can). Also when the client dials `localhost`/::1 (a "[::1]:P" refusal) while P ' +
    'listens on IPv4 only. A `::` listener with no refused IPv4 dial is taken as possibly dual-stack and does not trigger it.',
  appLevel: true,
  // Why no patch: the change is not one field of one object podnet can name.
  remediation: { kind: 'manual', text: 'Client and server disagree on the address family: the right bind depends on the server (see the fix).' },
  // Not listed as ruled out: no one fact in the evidence disproves it.
  ruledOut: neverRuledOut,
  detect(ev): Hypothesis | undefined {
    const f = factsOf(ev);
    const P = f.port;
    if (P === undefined) return undefined;
    const ls = listenersOn(f, P);
    const s = new Score();
    const v4Dial = !isIPv6(f.address) && f.address !== 'localhost';
    const v6Refusals = f.refusals.filter((r) => r.port === P && r.host !== undefined && (r.host === '::1' || (isIPv6(r.host) && r.host !== '::')));
    const localhostDial = f.address === 'localhost' || f.address === '::1';
    let direction: 'v6-server' | 'v6only-server' | 'v6-client' | undefined;
    const v6onlyDials = f.v6OnlyPorts.get(P) ?? [];

    if (ls.length > 0 && ls.every((l) => l.proto === 'tcp6') && v4Dial && !ls.some((l) => acceptsDial(f, l, f.address))) {
      direction = v6onlyDials.length > 0 && ls.some((l) => stripBrackets(l.address) === '::') ? 'v6only-server' : 'v6-server';
      if (direction === 'v6only-server') {
        s.support(
          0.55,
          ...ls.map(quoteListener),
          ...v6onlyDials.map(quoteDial),
          note(`a dial to ${hostPort(v6onlyDials[0]!.host, P)} was refused while [::]:${P} listened in the same network namespace: that socket is IPv6-only (IPV6_V6ONLY=1, which /proc/net/tcp6 does not show)`),
        );
      } else {
        s.support(0.65, ...ls.map(quoteListener), note(`no IPv4 (tcp) listener on port ${P}; ${f.address} is IPv4`));
        const refused = f.dials.filter((d) => d.port === P && !isIPv6(d.host) && d.outcome === 'refused');
        if (refused.length > 0) s.support(0.15, ...refused.map(quoteDial));
      }
      const ok6 = f.dials.filter((d) => d.port === P && isIPv6(d.host) && d.outcome === 'connected');
      if (ok6.length > 0) s.support(0.2, ...ok6.map(quoteDial));
      const v4Refusals = f.refusals.filter((r) => r.source === 'log' && r.port === P && r.host !== undefined && !isIPv6(r.host));
      if (v4Refusals.length > 0) s.support(0.1, ...v4Refusals.slice(-2).map(quoteRefusal));
    } else if ((v6Refusals.length > 0 || localhostDial) && ls.length > 0 && !ls.some((l) => acceptsDial(f, l, '::1'))) {
      direction = 'v6-client';
      s.support(0.4, ...ls.map(quoteListener), note(`port ${P} listens on IPv4 only; nothing accepts [::1]:${P}`));
      if (v6Refusals.length > 0) s.support(0.4, ...v6Refusals.slice(-3).map(quoteRefusal));
      if (localhostDial) s.support(0.2, note(`${f.client?.name ?? 'the client'} dials ${f.address}, which may resolve to ::1 first`));
      const ok4 = f.dials.filter((d) => d.port === P && d.host === '127.0.0.1' && d.outcome === 'connected');
      if (ok4.length > 0) s.support(0.15, ...ok4.map(quoteDial));
    }
    if (!direction) return undefined;

    const server = f.server;
    const serverName = server?.name ?? 'the server';
    const clientName = f.client?.name ?? 'the client';
    const hostVar = server?.env.find((e) => /HOST|BIND|ADDR|LISTEN/i.test(e.name) && e.value !== undefined);
    if (server && hostVar) s.quote(quoteEnv(server, hostVar.name));
    const clientHostVar = f.client?.env.find((e) => /HOST|ADDR/i.test(e.name) && e.value !== undefined && /localhost|::1/.test(e.value));
    if (f.client && clientHostVar && envOf(f.client, clientHostVar.name)) s.quote(quoteEnv(f.client, clientHostVar.name));

    // Bind 0.0.0.0, keeping the variable's form: a HOST:PORT variable keeps its port
    // (IMGPROXY_BIND=0.0.0.0:8081), a host-only one gets the address (MLSERVER_HOST=0.0.0.0).
    // Never `::` for MLServer: its gRPC server binds f"{host}:{port}", so `::` gives ":::9500",
    // which fails (SeldonIO/MLServer mlserver/grpc/server.py, add_insecure_port).
    const where = server ? settingHome(f, server.name) : '';
    const setVar = hostVar ? ` — set ${hostVar.name}=${rebindValue(hostVar.value, '0.0.0.0')} ${where} (now ${hostVar.value})` : server ? ` (${where.replace(/^on /, '')})` : '';
    let h: Hypothesis;
    if (direction === 'v6-server') {
      h = s.toHypothesis(
        'ip-family-mismatch',
        `${serverName} listens on IPv6 only ([${ls[0]?.address}]:${P}); ${clientName} dials ${f.address}:${P} over IPv4, which that socket does not accept.`,
        `Bind ${serverName} to 0.0.0.0${setVar}, or have ${clientName} dial [::1]:${P}. (${DUAL_STACK_NOTE}.)` + settingHomeWhy(f),
      );
    } else if (direction === 'v6only-server') {
      h = s.toHypothesis(
        'ip-family-mismatch',
        `${serverName} listens on [::]:${P} with an IPv6-only socket: a live dial to ${hostPort(v6onlyDials[0]!.host, P)} was refused while it listened, so ${clientName}'s IPv4 dials to ${f.address}:${P} are refused.`,
        `Bind ${serverName} to 0.0.0.0${setVar}, or have ${clientName} dial [::1]:${P}. (${DUAL_STACK_NOTE}.)` + settingHomeWhy(f),
      );
    } else {
      h = s.toHypothesis(
        'ip-family-mismatch',
        `${clientName} dials ${f.address === '::1' ? '[::1]' : 'localhost → [::1]'}:${P}, but ${serverName} listens on IPv4 only.`,
        `Dial 127.0.0.1:${P} explicitly${clientHostVar ? ` (set ${clientHostVar.name}=${(clientHostVar.value ?? '').replace(/localhost|\[::1\]|::1/, '127.0.0.1')} on ${clientName}, now ${clientHostVar.value})` : ''}, ` +
          `or make ${serverName} listen on IPv6 too (${DUAL_STACK_NOTE}).`,
      );
    }
    return h;
  },
};
