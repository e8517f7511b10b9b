import type { Hypothesis } from '../types.js';
import type { PodRule } from '../rule.js';
import { Score } from '../confidence.js';
import { declaredBy, factsOf, serverTie, listenersOn, matchesOf, note, portEnv, quoteDial, quoteEnv, quoteListener, quoteMatch, settingHome, settingHomeWhy, type Facts } from '../facts.js';
import { findHostPorts, hostPort } from '../net.js';

/**
 * Ports of mesh proxies; a listener there is the proxy's, never the server's
 * (https://istio.io/latest/docs/ops/deployment/application-requirements/#ports-used-by-istio;
 * https://linkerd.io/2/reference/proxy-configuration/ for 4140/4143/4191).
 */
const PROXY_PORTS = new Set([15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090, 4140, 4143, 4191]);

/**
 * port-mismatch: the server is up and listening, but on another port than the one the
 * client dials (MLServer's gRPC default 8081 when MLSERVER_GRPC_PORT is unset, while the
 * agent dials SELDON_SERVER_GRPC_PORT=9500). MLServer's defaults: http_port 8080, grpc_port 8081,
 * read from MLSERVER_* env vars (SeldonIO/MLServer mlserver/settings.py, Settings); the Seldon
 * agent's target port is SELDON_SERVER_GRPC_PORT (SeldonIO/seldon-core scheduler/cmd/agent/cli/cli.go).
 */
export const portMismatch: PodRule<'port-mismatch'> = {
  id: 'port-mismatch',
  doc:
    'Fires when nothing listens on the dialled port P at any address, while the server shows it listens on another port Q: ' +
    'a listener on Q that no container declares, or a "server running on …:Q" log line. Supported by env vars that disagree ' +
    '(client *_PORT=P, server *_PORT unset or ≠ P) and by a refused dial to P.',
  appLevel: true,
  // Why no patch: the change is not one field of one object podnet can name.
  remediation: { kind: 'manual', text: 'Client and server disagree on the port: which side changes depends on which is right (see the fix).' },
  ruledOut,
  detect(ev): Hypothesis | undefined {
    const f = factsOf(ev);
    const P = f.port;
    if (P === undefined) return undefined;
    if (listenersOn(f, P).length > 0) return undefined; // something holds P: an address or family problem, not the port
    const s = new Score();
    const server = f.server;

    const declaredElsewhere = new Set(f.containers.filter((c) => c !== server).flatMap((c) => c.ports.map((p) => p.containerPort)));
    const known = new Set([...f.ports, ...declaredElsewhere]);
    const strayListeners = f.listeners.filter((l) => l.port !== P && !known.has(l.port) && !PROXY_PORTS.has(l.port));
    const runningLines = matchesOf(f, ['server-grpc-running', 'server-http-running'], server?.name).filter((m) => !m.previous);
    const otherPortLines = runningLines.filter((m) => {
      const p = Number(m.groups?.port ?? findHostPorts(m.line).at(-1)?.port);
      return p > 0 && p !== P && !f.ports.includes(p);
    });
    // The server's own declared ports it listens on, when it does not declare P at all: the
    // client is configured with a port the server never offered.
    const serverDeclared = server && serverTie(f) && !server.ports.some((p) => p.containerPort === P) ? new Set(server.ports.map((p) => p.containerPort)) : new Set<number>();
    const ownListeners = f.listeners.filter((l) => l.port !== P && serverDeclared.has(l.port) && !strayListeners.includes(l));
    const qPorts = [...new Set([...otherPortLines.map((m) => Number(m.groups?.port ?? findHostPorts(m.line).at(-1)?.port)), ...strayListeners.map((l) => l.port), ...ownListeners.map((l) => l.port)])];
    if (qPorts.length === 0) return undefined;

    if (otherPortLines.length > 0) s.support(0.45, ...otherPortLines.slice(-2).map(quoteMatch));
    if (strayListeners.length > 0) s.support(otherPortLines.length > 0 ? 0.3 : 0.35, ...strayListeners.map(quoteListener));
    if (ownListeners.length > 0 && server) {
      s.support(0.3, ...ownListeners.map(quoteListener), note(`${server.name} declares containerPort ${[...serverDeclared].join(', ')} and listens there; it does not declare ${P}`));
    }
    const clientMentions = (f.client?.env ?? []).filter((e) => e.value !== undefined && (e.value === String(P) || new RegExp(`:${P}(?:/|$)`).test(e.value)));
    if (f.client && clientMentions.length > 0) s.support(0.15, ...clientMentions.map((e) => quoteEnv(f.client!, e.name)));
    if (f.socketsRead) s.support(0.15, note(`no listener on port ${P} at any address in the pod's socket table`));

    const envPair = envDisagreement(f, P);
    if (envPair) s.support(0.3, ...envPair.items);
    const refused = f.dials.filter((d) => d.port === P && d.outcome === 'refused');
    if (refused.length > 0) s.support(0.1, ...refused.map(quoteDial));
    const qOk = f.dials.filter((d) => qPorts.includes(d.port) && d.outcome === 'connected');
    if (qOk.length > 0) s.support(0.15, ...qOk.map(quoteDial));

    if (server && server.status && server.status.state.state !== 'running') {
      s.oppose(0.5, note(`${server.name} is not running now (${server.status.state.reason ?? server.status.state.state}); port ${P} may be missing only because it is down`));
    }
    if (declaredBy(f, P).some((c) => c === server) && strayListeners.length === 0 && otherPortLines.length === 0) s.oppose(0.3);

    const Q = qPorts[0];
    const serverName = server?.name ?? 'the server';
    const clientName = f.client?.name ?? 'the client';
    const fix = envPair
      ? `Align the two: set ${envPair.serverVar}=${P} ${server ? settingHome(f, server.name) : `on ${serverName}`}${envPair.serverValue !== undefined ? ` (now ${envPair.serverValue})` : ' (unset now, so it uses its default)'} to match ${envPair.clientVar}=${P} on ${clientName}` +
        ` — or point ${envPair.clientVar} at ${Q}.` + settingHomeWhy(f)
      : `Make ${serverName} listen on ${P} (it listens on ${Q} now), or point ${clientName} at port ${Q}.`;
    const h = s.toHypothesis('port-mismatch', `${serverName} listens on port ${Q}, but ${clientName} dials ${f.address}:${P}; nothing listens on ${P}.`, fix);
    return h;
  },
};

/** Something listens on the dialled port: the port is right. */
function ruledOut(f: Facts): string | undefined {
  const P = f.port;
  if (P === undefined) return undefined;
  const held = listenersOn(f, P);
  return held.length > 0 ? `Something listens on port ${P} (${held.map((l) => `${l.proto} ${hostPort(l.address, l.port)}`).join(', ')}): the port is right.` : undefined;
}

/** Client env var naming P vs the server's matching env var (same suffix) that is unset or different. */
function envDisagreement(f: Facts, P: number):
  | { clientVar: string; serverVar: string; serverValue?: string; items: ReturnType<typeof quoteEnv>[] }
  | undefined {
  const client = f.client;
  const server = f.server;
  if (!client || !server) return undefined;
  const cv = portEnv(client).find((e) => e.port === P);
  if (!cv) return undefined;
  const suffix = /(GRPC_PORT|HTTP_PORT|REST_PORT|METRICS_PORT|PORT)$/i.exec(cv.name)?.[1] ?? 'PORT';
  const sv = server.env.find((e) => e.name !== cv.name && e.name.endsWith(suffix) && /PORT/.test(e.name));
  const guessName = sv?.name ?? guessServerVar(server.image, cv.name);
  if (sv && sv.value === String(P)) return undefined;
  if (!guessName) return undefined;
  const items = [quoteEnv(client, cv.name), sv ? quoteEnv(server, sv.name) : { kind: 'spec' as const, text: `${server.name} env ${guessName} unset (its default applies)`, source: 'pod spec' }];
  return { clientVar: cv.name, serverVar: guessName, serverValue: sv?.value, items };
}

/** Known server port variables by image, for when the server sets none. */
function guessServerVar(image: string, clientVar: string): string | undefined {
  if (/mlserver/i.test(image)) return /HTTP/i.test(clientVar) ? 'MLSERVER_HTTP_PORT' : 'MLSERVER_GRPC_PORT';
  return undefined;
}
