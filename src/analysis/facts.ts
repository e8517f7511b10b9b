/**
 * Facts derived once from an {@link Evidence}: the server and client containers, the
 * ports that matter, the listeners, the refusals seen in logs and dials, restarts and
 * kills. Rules read these instead of re-walking the evidence, and quote from them with
 * the `quote*` helpers so every rule words the same fact the same way. Pure.
 */
import type {
  ContainerEvidence,
  DialEvidence,
  EventEvidence,
  Evidence,
  ListenerEvidence,
  SignatureMatch,
} from '../evidence.js';
import type { EvidenceItem } from './types.js';
import { findHostPorts, hostPort, isLoopback, listenerAccepts, stripBrackets } from './net.js';

/** A client-side refusal, from a log line or a dial. */
export interface Refusal {
  at?: string;
  container: string;
  /** Address the client dialled (from the line, else the target's). */
  host?: string;
  port?: number;
  source: 'log' | 'dial';
  line: string;
  previous?: boolean;
  /** The error text mentions a timeout rather than a refusal. */
  timeout?: boolean;
}

export interface Facts {
  ev: Evidence;
  podIP?: string;
  podIPs: string[];
  containers: ContainerEvidence[];
  client?: ContainerEvidence;
  server?: ContainerEvidence;
  /** The port the client dials, when known. */
  port?: number;
  /** The target port plus extra ports of the server. */
  ports: number[];
  /** The address the client dials (`127.0.0.1` when not known: the usual intra-pod case). */
  address: string;
  /** Every listener seen, de-duplicated (tables read in one namespace list the same rows). */
  listeners: ListenerEvidence[];
  /** True when at least one socket table was read. */
  socketsRead: boolean;
  refusals: Refusal[];
  /** Client dials that timed out (from log tails): what a filter causes, unlike a refusal. */
  timeouts: Refusal[];
  /** Dials made by the probes. */
  dials: DialEvidence[];
  /** All events of the pod. */
  events: EventEvidence[];
  nodeEvents: EventEvidence[];
  /** Signature matches across all logs. */
  matches: SignatureMatch[];
  /** Distinct netns values seen (non-empty ones). */
  netnsValues: string[];
  /**
   * Ports whose `::` listener is v6-only by live evidence: an IPv4 dial from a container of the
   * same namespace was refused while the listener existed and no IPv4 listener accepts it.
   * `/proc/net/tcp6` cannot show IPV6_V6ONLY; the refused dial can (causes.md, bind semantics).
   */
  v6OnlyPorts: Map<number, DialEvidence[]>;
}

const cache = new WeakMap<Evidence, Facts>();

/** A dial that timed out (Go, nc, curl, Java wordings): dropped packets, not a refusal. */
const TIMEOUT_LINE = /(?:dial tcp \S+: i\/o timeout|connect(?:ion)? timed out|Operation timed out|Connection timed out|ETIMEDOUT)/i;

/** Derives (and caches per evidence object) the {@link Facts}. */
export function factsOf(ev: Evidence): Facts {
  const hit = cache.get(ev);
  if (hit) return hit;
  const f = buildFacts(ev);
  cache.set(ev, f);
  return f;
}

function buildFacts(ev: Evidence): Facts {
  const pod = ev.pod;
  const containers = pod ? [...pod.containers, ...pod.initContainers.filter((c) => c.restartPolicy === 'Always')] : [];
  const byName = (n?: string): ContainerEvidence | undefined => (n ? containers.find((c) => c.name === n) : undefined);
  const port = ev.target.port;
  const client = byName(ev.target.client);
  let server = byName(ev.target.server);
  if (!server && port !== undefined) {
    server = containers.find((c) => c.name !== client?.name && c.ports.some((p) => p.containerPort === port));
  }
  const ports = uniq([...(port !== undefined ? [port] : []), ...(ev.target.extraPorts ?? [])]);

  const seen = new Set<string>();
  const listeners: ListenerEvidence[] = [];
  for (const table of ev.sockets) {
    for (const l of table.listeners) {
      const key = `${l.proto}|${l.address}|${l.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      listeners.push(l);
    }
  }

  const matches = ev.logs.flatMap((l) => l.matches);
  const refusals: Refusal[] = [];
  const refusalKeys = new Set<string>();
  for (const m of matches) {
    const isRefusal =
      m.signature === 'client-refused' ||
      ((m.signature === 'agent-waiting' || m.signature === 'agent-not-ready-legacy') && /refused/i.test(m.line));
    const isTimeout = /i\/o timeout|timed out|deadline exceeded/i.test(m.line) && m.signature === 'client-refused';
    if (!isRefusal) continue;
    if (server && m.container === server.name) continue;
    const key = `${m.container}|${m.at ?? ''}|${m.line}`;
    if (refusalKeys.has(key)) continue;
    refusalKeys.add(key);
    const hp = hostPortOfMatch(m);
    refusals.push({
      at: m.at,
      container: m.container,
      host: hp?.host ?? ev.target.address,
      port: hp?.port ?? port,
      source: 'log',
      line: m.line,
      previous: m.previous,
      timeout: isTimeout || undefined,
    });
  }
  // Dial timeouts have no signature of their own; they are read from the log tails.
  for (const l of ev.logs) {
    if (server && l.container === server.name) continue;
    for (const t of l.tail) {
      const m = TIMEOUT_LINE.exec(t.text);
      if (!m) continue;
      const key = `${l.container}|${t.at ?? ''}|${t.text}`;
      if (refusalKeys.has(key)) continue;
      refusalKeys.add(key);
      const hp = findHostPorts(t.text).at(-1);
      refusals.push({ at: t.at, container: l.container, host: hp?.host, port: hp?.port, source: 'log', line: t.text, previous: l.previous, timeout: true });
    }
  }
  for (const d of ev.dials) {
    if (d.outcome !== 'refused') continue;
    refusals.push({
      at: ev.collectedAt,
      container: d.from,
      host: d.host,
      port: d.port,
      source: 'dial',
      line: `dial ${hostPort(d.host, d.port)} from ${d.from}: refused${d.detail ? ` (${d.detail})` : ''}`,
    });
  }
  refusals.sort((a, b) => ms(a.at) - ms(b.at));

  const netnsValues = uniq(ev.netns.map((n) => n.netns).filter((v): v is string => !!v));
  const v6OnlyPorts = findV6OnlyPorts(ev, listeners, netnsValues);

  return {
    ev,
    podIP: pod?.podIP,
    podIPs: uniq([...(pod?.podIP ? [pod.podIP] : []), ...(pod?.podIPs ?? [])]),
    containers,
    client,
    server,
    port,
    ports,
    address: ev.target.address ?? '127.0.0.1',
    listeners,
    socketsRead: ev.sockets.length > 0,
    refusals: refusals.filter((r) => !r.timeout),
    timeouts: refusals.filter((r) => r.timeout),
    dials: ev.dials,
    events: ev.events,
    nodeEvents: ev.nodeEvents,
    matches,
    netnsValues,
    v6OnlyPorts,
  };
}

/**
 * Live evidence beats inference: a `::` listener is taken to accept IPv4 until a dial says it
 * does not. Only dials made in the listener's own namespace count (in split namespaces the
 * refusal is separate-netns, not the socket's flag).
 */
function findV6OnlyPorts(ev: Evidence, listeners: ListenerEvidence[], netnsValues: string[]): Map<number, DialEvidence[]> {
  const out = new Map<number, DialEvidence[]>();
  const nsOf = (container: string) => ev.netns.find((n) => n.container === container)?.netns;
  for (const d of ev.dials) {
    if (d.outcome !== 'refused' || d.host.includes(':') || d.host === 'localhost') continue;
    const onPort = listeners.filter((l) => l.port === d.port);
    if (!onPort.some((l) => l.proto === 'tcp6' && stripBrackets(l.address) === '::')) continue;
    if (onPort.some((l) => l.proto === 'tcp' && listenerAccepts(l, d.host))) continue;
    const dialNs = nsOf(d.from);
    const tables = ev.sockets.filter((t) => t.listeners.some((l) => l.port === d.port && l.proto === 'tcp6'));
    const sameNs = dialNs
      ? tables.some((t) => (t.netns ?? nsOf(t.readFrom)) === dialNs)
      : netnsValues.length <= 1;
    if (!sameNs) continue;
    out.set(d.port, [...(out.get(d.port) ?? []), d]);
  }
  return out;
}

function hostPortOfMatch(m: SignatureMatch): { host: string; port: number } | undefined {
  const g = m.groups ?? {};
  if (g.port && Number(g.port) > 0) return { host: g.host ?? g.address ?? '', port: Number(g.port) };
  const all = findHostPorts(m.line);
  return all[all.length - 1];
}

// ---------- queries ----------

/** Listeners on a port. */
export function listenersOn(f: Facts, port: number): ListenerEvidence[] {
  return f.listeners.filter((l) => l.port === port);
}

/** Whether some listener on `port` accepts a dial to `address` (v6-only evidence applied). */
export function accepts(f: Facts, address: string, port: number): boolean {
  return listenersOn(f, port).some((l) => acceptsDial(f, l, address));
}

/** {@link listenerAccepts} with the live v6-only evidence of this check applied. */
export function acceptsDial(f: Facts, l: ListenerEvidence, address: string): boolean {
  return listenerAccepts(l, address, { v6only: f.v6OnlyPorts.has(l.port) });
}

/** Where kubelet's network probe lands. */
export type ProbeLanding = 'pod-ip' | 'node-loopback' | 'pod-loopback' | 'elsewhere';

/**
 * kubelet's network probes (httpGet/tcpSocket/grpc) of a container, with where each lands.
 * kubelet makes them from the NODE's network namespace, to the pod IP unless `host` is set
 * (https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#http-probes:
 * "host: Host name to connect to, defaults to the pod IP"); gRPC probes have no `host`
 * (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Probe, GRPCAction).
 * So `host: 127.0.0.1` probes the node's own loopback — the pod's only for hostNetwork pods,
 * which share the node's namespace (https://kubernetes.io/docs/concepts/security/pod-security-standards/, "Host Namespaces").
 * `exec` probes run inside the container and are not listed.
 */
export function networkProbes(f: Facts, c: ContainerEvidence | undefined): { probe: ContainerEvidence['probes'][number]; lands: ProbeLanding }[] {
  if (!c) return [];
  const hostNetwork = !!f.ev.pod?.hostNetwork;
  return c.probes
    .filter((p) => (p.handler === 'httpGet' || p.handler === 'tcpSocket' || p.handler === 'grpc') && p.port !== undefined)
    .map((p) => {
      const host = p.handler === 'grpc' ? undefined : p.host;
      let lands: ProbeLanding;
      if (!host || f.podIPs.includes(host)) lands = 'pod-ip';
      else if (isLoopback(host)) lands = hostNetwork ? 'pod-loopback' : 'node-loopback';
      else lands = 'elsewhere';
      return { probe: p, lands };
    });
}

/** Probes that a server bound to loopback only does not answer: to the pod IP, or to the node's loopback. */
export function probesMissingLoopback(f: Facts, c: ContainerEvidence | undefined): ContainerEvidence['probes'] {
  return networkProbes(f, c)
    .filter((x) => x.lands === 'pod-ip' || x.lands === 'node-loopback')
    .map((x) => x.probe);
}

/**
 * Where a container's setting must be changed so that it sticks, as a phrase: "on container X
 * in the pod template of its StatefulSet Y", or for a Seldon Core v2 server pod "in Seldon
 * Server Y's spec.podSpec (container X) or its ServerConfig". The Seldon operator rewrites the
 * StatefulSet (and so the pod) from the Server and its ServerConfig, so an edit to either is
 * reverted (SeldonIO/seldon-core operator/apis/mlops/v1alpha1/server_types.go: ServerSpec
 * .ServerConfig, .PodSpec "PodSpec overrides"; https://docs.seldon.ai/seldon-core-2/kubernetes/resources/server).
 */
export function settingHome(f: Facts, container: string): string {
  const seldon = seldonServerOf(f.ev);
  if (seldon) return `in Seldon Server ${seldon}'s spec.podSpec (container ${container}) or in its ServerConfig`;
  const owner = f.ev.pod?.owner;
  if (!owner) return `on container ${container}`;
  const workload = owner.kind === 'ReplicaSet' ? `the Deployment that owns ReplicaSet ${owner.name}` : `${owner.kind} ${owner.name}`;
  return `on container ${container} in the pod template of ${workload}`;
}

/** The sentence that says why {@link settingHome} names the Server for a Seldon pod, else ''. */
export function settingHomeWhy(f: Facts): string {
  return seldonServerOf(f.ev)
    ? ' (The Seldon operator rewrites the StatefulSet, and so the pod, from the Server and its ServerConfig: an edit to the pod or the StatefulSet is reverted.)'
    : '';
}

/**
 * The Seldon Core v2 Server a pod belongs to: its `seldon-server-name` label, else the
 * StatefulSet that owns an agent + mlserver pod (the operator names it after the Server).
 */
export function seldonServerOf(ev: Evidence): string | undefined {
  const pod = ev.pod;
  if (!pod) return undefined;
  const label = pod.labels['seldon-server-name'];
  if (label) return label;
  const names = pod.containers.map((c) => c.name);
  if (names.includes('agent') && names.includes('mlserver') && pod.owner?.kind === 'StatefulSet') return pod.owner.name;
  return undefined;
}

/** Events about one container (by fieldPath) or, when the event names none, the pod. */
export function eventsFor(f: Facts, container: string | undefined, reason?: string | RegExp): EventEvidence[] {
  return f.events.filter((e) => {
    if (container && e.container && e.container !== container) return false;
    if (reason === undefined) return true;
    return typeof reason === 'string' ? e.reason === reason : reason.test(e.reason);
  });
}

/** Env var of a container. */
export function envOf(c: ContainerEvidence | undefined, name: string): ContainerEvidence['env'][number] | undefined {
  return c?.env.find((e) => e.name === name);
}

/** Env vars of a container whose literal value is a loopback address (e.g. MLSERVER_HOST=127.0.0.1). */
export function loopbackHostEnv(c: ContainerEvidence | undefined): ContainerEvidence['env'] {
  if (!c) return [];
  // A HOST:PORT value is a bind setting only when the port is the container's own; otherwise
  // it is where the container dials (RANKER_ADDR=127.0.0.1:7000 on a client).
  const own = new Set([...c.ports.map((p) => p.containerPort), ...c.probes.map((p) => p.port).filter((p): p is number => p !== undefined)]);
  return c.env.filter((e) => {
    if (!/HOST|ADDR|BIND|LISTEN/i.test(e.name) || e.value === undefined) return false;
    const hp = findHostPorts(e.value)[0];
    if (hp) return isLoopback(hp.host) && own.has(hp.port);
    return isLoopback(e.value.replace(/^\[|\]$/g, ''));
  });
}

/** Env vars of a container that name a port (value is a number). */
export function portEnv(c: ContainerEvidence | undefined): { name: string; port: number }[] {
  return (c?.env ?? [])
    .filter((e) => /PORT/i.test(e.name) && e.value !== undefined && /^\d{1,5}$/.test(e.value))
    .map((e) => ({ name: e.name, port: Number(e.value) }));
}

/** Matches of some signatures, optionally for one container. */
export function matchesOf(f: Facts, sigs: string[], container?: string): SignatureMatch[] {
  return f.matches.filter((m) => sigs.includes(m.signature) && (!container || m.container === container));
}

/** Which containers declare a containerPort. */
export function declaredBy(f: Facts, port: number): ContainerEvidence[] {
  return f.containers.filter((c) => c.ports.some((p) => p.containerPort === port));
}

// ---------- quoting ----------

/** A socket-table row, raw and decoded. */
export function quoteListener(l: ListenerEvidence): EvidenceItem {
  return {
    kind: 'listener',
    text: `LISTEN ${l.proto} ${hostPort(l.address, l.port)}  (row: ${l.raw.trim()})`,
    source: `/proc/net/${l.proto}`,
  };
}

/** `mlserver lastState.terminated: reason=OOMKilled exitCode=137 finishedAt=…`. */
export function quoteLastState(c: ContainerEvidence): EvidenceItem | undefined {
  const ls = c.status?.lastState;
  if (!ls || ls.state === 'unknown') return undefined;
  return {
    kind: 'status',
    text: `${c.name} lastState.${ls.state}: ${stateFields(ls)}; restartCount=${c.status?.restartCount ?? 0}`,
    at: ls.finishedAt ?? ls.startedAt,
    source: 'pod status',
  };
}

export function quoteState(c: ContainerEvidence): EvidenceItem | undefined {
  const s = c.status?.state;
  if (!s) return undefined;
  return {
    kind: 'status',
    text: `${c.name} state.${s.state}: ${stateFields(s) || '-'}; ready=${c.status?.ready ?? false} restartCount=${c.status?.restartCount ?? 0}`,
    at: s.startedAt ?? s.finishedAt,
    source: 'pod status',
  };
}

function stateFields(s: NonNullable<ContainerEvidence['status']>['state']): string {
  const parts: string[] = [];
  if (s.reason) parts.push(`reason=${s.reason}`);
  if (s.exitCode !== undefined) parts.push(`exitCode=${s.exitCode}`);
  if (s.signal !== undefined) parts.push(`signal=${s.signal}`);
  if (s.startedAt) parts.push(`startedAt=${s.startedAt}`);
  if (s.finishedAt) parts.push(`finishedAt=${s.finishedAt}`);
  if (s.message) parts.push(`message="${oneLine(s.message, 160)}"`);
  return parts.join(' ');
}

export function quoteEvent(e: EventEvidence): EvidenceItem {
  const who = e.container ? `${e.object.name}/${e.container}` : e.object.name;
  const times = e.count > 1 ? ` (×${e.count}${e.firstAt ? ` since ${e.firstAt}` : ''})` : '';
  return { kind: 'event', text: `${e.type} ${e.reason} ${who}: ${oneLine(e.message, 300)}${times}`, at: e.at, source: 'events' };
}

export function quoteMatch(m: SignatureMatch): EvidenceItem {
  return {
    kind: 'log',
    text: `${m.at ? `${m.at} ` : ''}${oneLine(m.line, 300)}`,
    at: m.at,
    source: `${m.container} logs${m.previous ? ' (previous)' : ''}`,
  };
}

export function quoteRefusal(r: Refusal): EvidenceItem {
  if (r.source === 'dial') return { kind: 'dial', text: r.line, at: r.at, source: 'dial probe' };
  return { kind: 'log', text: `${r.at ? `${r.at} ` : ''}${oneLine(r.line, 300)}`, at: r.at, source: `${r.container} logs${r.previous ? ' (previous)' : ''}` };
}

export function quoteDial(d: DialEvidence): EvidenceItem {
  return {
    kind: 'dial',
    text: `dial ${hostPort(d.host, d.port)} from ${d.from} (${d.tool}): ${d.outcome}${d.detail ? ` — ${oneLine(d.detail, 200)}` : ''}`,
    source: 'dial probe',
  };
}

export function quoteEnv(c: ContainerEvidence, name: string): EvidenceItem | undefined {
  const e = envOf(c, name);
  if (!e) return undefined;
  const v = e.value !== undefined ? `=${e.value}` : e.from && e.from !== 'literal' ? ` from ${e.from}${e.ref ? ` ${e.ref}` : ''}` : e.masked ? ' (masked)' : '';
  return { kind: 'spec', text: `${c.name} env ${name}${v}`, source: 'pod spec' };
}

export function quoteProbe(c: ContainerEvidence, p: ContainerEvidence['probes'][number]): EvidenceItem {
  const what = p.handler === 'httpGet' ? `httpGet ${p.path ?? '/'} port ${p.port}` : `${p.handler} port ${p.port ?? '?'}`;
  return {
    kind: 'spec',
    // kubelet probes from the node's network namespace (see networkProbes for the sources).
    text: `${c.name} ${p.kind}Probe ${what}, host ${p.host ? `${p.host}${isLoopback(p.host) ? " → the node's loopback, which is the pod's only with hostNetwork" : ''}` : 'unset → kubelet dials the pod IP'} (period ${p.periodSeconds}s × ${p.failureThreshold} failures)`,
    source: 'pod spec',
  };
}

export function note(text: string): EvidenceItem {
  return { kind: 'note', text };
}

export function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

// ---------- time ----------

/** Milliseconds of an ISO time; NaN-safe (missing sorts first). */
export function ms(at: string | undefined): number {
  if (!at) return Number.NEGATIVE_INFINITY;
  const t = Date.parse(at);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/** `15:19:24` (UTC) of an ISO time. */
export function hms(at: string | undefined): string {
  if (!at) return '?';
  const t = Date.parse(at);
  if (Number.isNaN(t)) return at;
  return new Date(t).toISOString().slice(11, 19);
}

/** Seconds from a to b (b later), rounded. */
export function secondsBetween(a: string | undefined, b: string | undefined): number | undefined {
  const x = ms(a);
  const y = ms(b);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return undefined;
  return Math.round((y - x) / 1000);
}

export function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** A refusal (log or dial) names a loopback or the pod's own IP: an intra-pod target. */
export function isIntraPodAddress(f: Facts, host: string | undefined): boolean {
  if (!host) return true;
  return isLoopback(host) || f.podIPs.includes(host);
}

/** The server when known, else every container except the client and mesh proxies. */
export function serverCandidates(f: Facts): ContainerEvidence[] {
  if (f.server) return [f.server];
  return f.containers.filter((c) => c !== f.client && !f.ev.sidecars.includes(c.name));
}

/** Refusals that fall within `windowS` seconds after `at`. */
export function refusalsAfter(f: Facts, at: string | undefined, windowS: number): Refusal[] {
  const t = ms(at);
  if (!Number.isFinite(t)) return [];
  return f.refusals.filter((r) => r.source === 'log' && ms(r.at) >= t && ms(r.at) - t <= windowS * 1000);
}

/**
 * Whether something ties the server container to the dialled port beyond "the only other
 * container": it was named with --server, declares the port, is a Seldon MLServer, or the
 * client's env var naming the port shares a word with its name or image (REDIS_ADDR ↔ redis).
 */
export function serverTie(f: Facts): boolean {
  const s = f.server;
  const P = f.port;
  if (!s) return false;
  if (f.ev.target.inferredFrom.some((x) => x.startsWith(`server ${s.name}: given`))) return true;
  if (P !== undefined && s.ports.some((p) => p.containerPort === P)) return true;
  if (/mlserver/i.test(`${s.name} ${s.image}`)) return true;
  const words = new Set(`${s.name} ${s.image}`.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 4));
  return (f.client?.env ?? []).some(
    (e) => e.value !== undefined && P !== undefined && e.value.includes(String(P)) && e.name.toLowerCase().split(/[^a-z0-9]+/).some((w) => words.has(w)),
  );
}
