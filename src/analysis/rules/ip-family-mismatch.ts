import type { Hypothesis, Rule } from '../types.js';
import { Score, MIN_CONFIDENCE } from '../confidence.js';
import { factsOf, listenersOn, note, quoteDial, quoteListener, quoteRefusal, envOf, quoteEnv } from '../facts.js';
import { isIPv6, listenerAccepts } from '../net.js';

/**
 * ip-family-mismatch: server and client speak different IP families on loopback. A server on
 * `::1` does not accept 127.0.0.1; a client dialling `localhost` may resolve ::1 first and
 * find nothing when the server listens on IPv4 only.
 */
export const ipFamilyMismatch: Rule = {
  id: 'ip-family-mismatch',
  doc:
    'Fires when the dialled port P has only IPv6 listeners that do not accept the client\'s IPv4 address (e.g. tcp6 ::1, no tcp ' +
    'row), or when the client dials `localhost`/::1 (a "[::1]:P" refusal) while P listens on IPv4 only. A `::` listener ' +
    'accepts IPv4 too (bindv6only=0) and does not trigger it.',
  detect(ev): Hypothesis[] {
    const f = factsOf(ev);
    const P = f.port;
    if (P === undefined) return [];
    const ls = listenersOn(f, P);
    const s = new Score();
    const v4Dial = !isIPv6(f.address) && f.address !== 'localhost';
    const v6Refusals = f.refusals.filter((r) => r.port === P && r.host !== undefined && (r.host === '::1' || (isIPv6(r.host) && r.host !== '::')));
    const localhostDial = f.address === 'localhost' || f.address === '::1';
    let direction: 'v6-server' | 'v6-client' | undefined;

    if (ls.length > 0 && ls.every((l) => l.proto === 'tcp6') && v4Dial && !ls.some((l) => listenerAccepts(l, f.address))) {
      direction = 'v6-server';
      s.support(0.65, ...ls.map(quoteListener), note(`no IPv4 (tcp) listener on port ${P}; ${f.address} is IPv4`));
      const refused = f.dials.filter((d) => d.port === P && !isIPv6(d.host) && d.outcome === 'refused');
      const ok6 = f.dials.filter((d) => d.port === P && isIPv6(d.host) && d.outcome === 'connected');
      if (refused.length > 0) s.support(0.15, ...refused.map(quoteDial));
      if (ok6.length > 0) s.support(0.2, ...ok6.map(quoteDial));
    } else if ((v6Refusals.length > 0 || localhostDial) && ls.length > 0 && !ls.some((l) => listenerAccepts(l, '::1'))) {
      direction = 'v6-client';
      s.support(0.4, ...ls.map(quoteListener), note(`port ${P} listens on IPv4 only; nothing accepts [::1]:${P}`));
      if (v6Refusals.length > 0) s.support(0.4, ...v6Refusals.slice(-3).map(quoteRefusal));
      if (localhostDial) s.support(0.2, note(`${f.client?.name ?? 'the client'} dials ${f.address}, which may resolve to ::1 first`));
      const ok4 = f.dials.filter((d) => d.port === P && d.host === '127.0.0.1' && d.outcome === 'connected');
      if (ok4.length > 0) s.support(0.15, ...ok4.map(quoteDial));
    }
    if (!direction) return [];

    const server = f.server;
    const serverName = server?.name ?? 'the server';
    const clientName = f.client?.name ?? 'the client';
    const hostVar = server?.env.find((e) => /HOST|BIND|ADDR/i.test(e.name) && e.value !== undefined);
    if (server && hostVar) s.quote(quoteEnv(server, hostVar.name));
    const clientHostVar = f.client?.env.find((e) => /HOST|ADDR/i.test(e.name) && e.value !== undefined && /localhost|::1/.test(e.value));
    if (f.client && clientHostVar && envOf(f.client, clientHostVar.name)) s.quote(quoteEnv(f.client, clientHostVar.name));

    const h =
      direction === 'v6-server'
        ? s.toHypothesis(
            'ip-family-mismatch',
            `${serverName} listens on IPv6 loopback only ([${ls[0]?.address}]:${P}); ${clientName} dials ${f.address}:${P} over IPv4, which that socket does not accept.`,
            `Bind ${serverName} to \`::\` (dual-stack) or 0.0.0.0${hostVar ? ` — set ${hostVar.name}=:: (now ${hostVar.value})` : ''}, or have ${clientName} dial [::1]:${P}.`,
          )
        : s.toHypothesis(
            'ip-family-mismatch',
            `${clientName} dials ${f.address === '::1' ? '[::1]' : 'localhost → [::1]'}:${P}, but ${serverName} listens on IPv4 only.`,
            `Dial 127.0.0.1:${P} explicitly${clientHostVar ? ` (set ${clientHostVar.name}=127.0.0.1 on ${clientName}, now ${clientHostVar.value})` : ''}, or bind ${serverName} to \`::\` so it accepts both families.`,
          );
    return h.confidence >= MIN_CONFIDENCE ? [h] : [];
  },
};
