/**
 * The timeline of one check: container starts and terminations, probe failures, kills,
 * OOMs, and the client's refusals from the logs, sorted — plus correlations that pair each
 * refusal with what the server was doing at that moment. Pure.
 */
import type { ContainerEvidence, EventEvidence, Evidence, SignatureMatch } from '../evidence.js';
import type { TimelineEntry } from './types.js';
import { factsOf, hms, ms, oneLine, serverCandidates, type Facts, type Refusal } from './facts.js';

/** A refusal this soon after a server kill/termination is attributed to it. */
export const CORRELATION_WINDOW_S = 60;
/** At most this many per-refusal sentences; the rest are summed up. */
export const MAX_CORRELATIONS = 6;

export function buildTimeline(ev: Evidence): TimelineEntry[] {
  const f = factsOf(ev);
  const out: TimelineEntry[] = [];
  for (const c of f.containers) out.push(...containerEntries(c));
  for (const e of [...ev.events, ...ev.nodeEvents]) out.push(...eventEntries(e));
  // A line matched by several signatures gives one entry, the refusal when any says so.
  const byLine = new Map<string, TimelineEntry>();
  for (const m of f.matches) {
    const entry = matchEntry(m);
    if (!entry) continue;
    const key = `${m.container}|${m.at}|${m.line}`;
    const had = byLine.get(key);
    if (!had || (entry.kind === 'refused' && had.kind !== 'refused')) byLine.set(key, entry);
  }
  out.push(...byLine.values());
  for (const d of ev.dials) {
    out.push({
      // The cluster's clock: collectedAt is the worker's, which may be hours off a simulated cluster.
      at: ev.clusterNow ?? ev.collectedAt,
      container: d.from,
      kind: d.outcome === 'refused' ? 'refused' : 'event',
      what: `podnet dial ${d.host}:${d.port} from ${d.from}: ${d.outcome}`,
    });
  }
  return out
    .filter((e) => Number.isFinite(ms(e.at)))
    .map((e, i) => ({ e, i }))
    .sort((a, b) => ms(a.e.at) - ms(b.e.at) || a.i - b.i)
    .map(({ e }) => e);
}

function containerEntries(c: ContainerEvidence): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const st = c.status;
  if (!st) return out;
  const ls = st.lastState;
  if (ls?.startedAt) out.push({ at: ls.startedAt, container: c.name, kind: 'start', what: `${c.name} started (previous run)` });
  if (ls?.finishedAt) {
    out.push({
      at: ls.finishedAt,
      container: c.name,
      kind: ls.reason === 'OOMKilled' ? 'oom' : 'terminated',
      what: `${c.name} terminated: ${[ls.reason && `reason=${ls.reason}`, ls.exitCode !== undefined && `exitCode=${ls.exitCode}`].filter(Boolean).join(' ') || 'no reason given'}`,
    });
  }
  const s = st.state;
  if (s.startedAt) {
    out.push({
      at: s.startedAt,
      container: c.name,
      kind: st.restartCount > 0 ? 'restart' : 'start',
      what: st.restartCount > 0 ? `${c.name} restarted (restartCount=${st.restartCount})` : `${c.name} started`,
    });
  }
  if (s.state === 'terminated' && s.finishedAt) {
    out.push({ at: s.finishedAt, container: c.name, kind: s.reason === 'OOMKilled' ? 'oom' : 'terminated', what: `${c.name} terminated: reason=${s.reason ?? '?'} exitCode=${s.exitCode ?? '?'}` });
  }
  return out;
}

function eventKind(e: EventEvidence): TimelineEntry['kind'] {
  if (e.reason === 'Unhealthy') return 'probe-failed';
  if (e.reason === 'Killing') return 'killed';
  if (/OOM/i.test(e.reason)) return 'oom';
  return 'event';
}

function eventEntries(e: EventEvidence): TimelineEntry[] {
  const kind = eventKind(e);
  const what = `${e.reason}: ${oneLine(e.message, 200)}${e.count > 1 ? ` (×${e.count})` : ''}`;
  const out: TimelineEntry[] = [];
  if (e.at) out.push({ at: e.at, container: e.container, kind, what });
  if (e.firstAt && e.count > 1 && e.firstAt !== e.at) {
    out.push({ at: e.firstAt, container: e.container, kind, what: `${e.reason} first seen: ${oneLine(e.message, 160)}` });
  }
  return out;
}

function matchEntry(m: SignatureMatch): TimelineEntry | undefined {
  if (!m.at) return undefined;
  const line = oneLine(m.line, 200);
  const base = { at: m.at, container: m.container };
  switch (m.signature) {
    case 'client-refused':
      return { ...base, kind: 'refused', what: `refused: ${line}` };
    case 'agent-waiting':
    case 'agent-not-ready-legacy':
      return { ...base, kind: /refused/i.test(m.line) ? 'refused' : 'log', what: /refused/i.test(m.line) ? `refused: ${line}` : line };
    case 'agent-ready':
    case 'model-loaded':
      return { ...base, kind: 'ready', what: line };
    case 'server-grpc-running':
    case 'server-http-running':
      return { ...base, kind: 'listening', what: line };
    case 'oom':
      return { ...base, kind: 'oom', what: line };
    default:
      return { ...base, kind: 'log', what: line };
  }
}

interface ServerStop {
  at: string;
  container: string;
  what: string;
}

/** Kills and terminations of the server (candidates), with a phrase each. */
function serverStops(f: Facts): ServerStop[] {
  const out: ServerStop[] = [];
  for (const c of serverCandidates(f)) {
    const ls = c.status?.lastState;
    if (ls?.finishedAt) {
      const how = ls.reason === 'OOMKilled' ? 'was OOM-killed' : `terminated (${[ls.reason && `reason=${ls.reason}`, ls.exitCode !== undefined && `exitCode=${ls.exitCode}`].filter(Boolean).join(' ')})`;
      out.push({ at: ls.finishedAt, container: c.name, what: `${c.name} ${how}` });
    }
    for (const e of f.events) {
      if (e.container && e.container !== c.name) continue;
      if (e.reason !== 'Killing' && !/OOM/i.test(e.reason)) continue;
      const probe = /(startup|liveness|readiness) probe/i.exec(e.message)?.[1]?.toLowerCase();
      const what = /OOM/i.test(e.reason) ? `${c.name} was OOM-killed` : probe ? `${c.name} was killed by its ${probe} probe` : `${c.name} was stopped by kubelet`;
      for (const at of [e.at, e.firstAt]) if (at) out.push({ at, container: c.name, what });
    }
  }
  return out.sort((a, b) => ms(a.at) - ms(b.at));
}

/** Sentences pairing each refusal with the nearest preceding server stop, or with a running server. */
export function correlate(ev: Evidence): string[] {
  const f = factsOf(ev);
  const refusals = f.refusals.filter((r) => r.source === 'log' && r.at);
  if (refusals.length === 0) return [];
  const stops = serverStops(f);
  const server = f.server ?? serverCandidates(f)[0];
  const listening = f.matches.filter((m) => (m.signature === 'server-grpc-running' || m.signature === 'server-http-running') && m.at);
  const sentences: string[] = [];
  let afterStop = 0;
  let whileRunning = 0;
  for (const r of refusals) {
    const s = describeRefusal(f, r, stops, server, listening);
    if (s.kind === 'after-stop') afterStop++;
    if (s.kind === 'while-running') whileRunning++;
    if (s.text) sentences.push(s.text);
  }
  const out: string[] = [];
  const n = refusals.length;
  if (n > 1 && afterStop > 0) {
    out.push(`${afterStop} of ${n} refusals came within ${CORRELATION_WINDOW_S} s after ${server?.name ?? 'the server'} was killed or terminated.`);
  }
  if (n > 1 && whileRunning > 0) {
    out.push(`${whileRunning} of ${n} refusals came while ${server?.name ?? 'the server'} was running and had logged that it listens: that points to an address or port problem, not a restart.`);
  }
  // Keep the latest refusals: they are the ones the on-call engineer is looking at.
  const shown = sentences.slice(-MAX_CORRELATIONS);
  out.push(...shown);
  if (sentences.length > shown.length) out.push(`… and ${sentences.length - shown.length} earlier refusal(s) not listed.`);
  return out;
}

/** How one refusal reads against the server's history; `anchor` is the stop or start it follows. */
interface RefusalReading {
  kind: 'after-stop' | 'while-running' | 'startup' | 'other';
  text?: string;
  anchor?: { at: string; container: string };
}

/** A refusal paired with the server stop or start it is attributed to (for drawing the pairing). */
export interface CorrelationLink {
  /** The refusal: when, and which container logged it. */
  at: string;
  container: string;
  kind: RefusalReading['kind'];
  /** The server kill/termination (`after-stop`) or start (`startup`) it follows. */
  anchor: { at: string; container: string };
}

/** The refusals of {@link correlate} that it pairs with a server stop or start, as data. */
export function correlationLinks(ev: Evidence): CorrelationLink[] {
  const f = factsOf(ev);
  const stops = serverStops(f);
  const server = f.server ?? serverCandidates(f)[0];
  const listening = f.matches.filter((m) => (m.signature === 'server-grpc-running' || m.signature === 'server-http-running') && m.at);
  const out: CorrelationLink[] = [];
  for (const r of f.refusals) {
    if (r.source !== 'log' || !r.at) continue;
    const s = describeRefusal(f, r, stops, server, listening);
    if (s.anchor) out.push({ at: r.at, container: r.container, kind: s.kind, anchor: { at: s.anchor.at, container: s.anchor.container } });
  }
  return out;
}

function describeRefusal(
  f: Facts,
  r: Refusal,
  stops: ServerStop[],
  server: ContainerEvidence | undefined,
  listening: SignatureMatch[],
): RefusalReading {
  const t = ms(r.at);
  const target = r.host && r.port ? ` ${r.host}:${r.port}` : '';
  const prior = stops.filter((s) => ms(s.at) <= t && t - ms(s.at) <= CORRELATION_WINDOW_S * 1000);
  const nearest = prior[prior.length - 1];
  if (nearest) {
    const d = Math.round((t - ms(nearest.at)) / 1000);
    return { kind: 'after-stop', anchor: nearest, text: `${r.container} refused${target} at ${hms(r.at)}, ${d} s after ${nearest.what} (${hms(nearest.at)}).` };
  }
  if (server?.status) {
    const startedAt = server.status.state.startedAt;
    const runningSince = server.status.state.state === 'running' && startedAt && ms(startedAt) <= t ? startedAt : undefined;
    if (runningSince) {
      const listen = listening.filter((m) => m.container === server.name && ms(m.at) >= ms(runningSince) && ms(m.at) <= t).at(-1);
      const d = Math.round((t - ms(runningSince)) / 1000);
      if (listen) {
        return {
          kind: 'while-running',
          text: `${r.container} refused${target} at ${hms(r.at)} while ${server.name} had been running since ${hms(runningSince)} (${d} s) and logged "${oneLine(listen.line, 120)}" at ${hms(listen.at)} — points to an address or port problem, not a restart.`,
        };
      }
      if (d <= 120) return { kind: 'startup', anchor: { at: runningSince, container: server.name }, text: `${r.container} refused${target} at ${hms(r.at)}, ${d} s after ${server.name} started (${hms(runningSince)}) — nothing accepted that address yet.` };
      return { kind: 'other', text: `${r.container} refused${target} at ${hms(r.at)} while ${server.name} had been running for ${d} s.` };
    }
  }
  if (server?.status) {
    const starts = [server.status.lastState?.startedAt, server.status.state.startedAt].filter((x): x is string => !!x && ms(x) <= t && t - ms(x) <= 120_000);
    const start = starts.sort((a, b) => ms(a) - ms(b)).at(-1);
    if (start) return { kind: 'startup', anchor: { at: start, container: server.name }, text: `${r.container} refused${target} at ${hms(r.at)}, ${Math.round((t - ms(start)) / 1000)} s after ${server.name} started (${hms(start)}) — nothing accepted that address yet.` };
  }
  const podStart = f.ev.pod?.startTime;
  if (podStart && t - ms(podStart) <= 120_000 && t >= ms(podStart)) {
    return { kind: 'startup', text: `${r.container} refused${target} at ${hms(r.at)}, ${Math.round((t - ms(podStart)) / 1000)} s after the pod started (${hms(podStart)}).` };
  }
  return { kind: 'other', text: `${r.container} refused${target} at ${hms(r.at)}; no server restart or kill within ${CORRELATION_WINDOW_S} s before it.` };
}
